"""A facilitator's changes to the panel: add one expert, remove, revoke, and issue a new link.

Removing deletes the expert, so it is allowed only while they have no ballot; an expert who has
answered is revoked instead: their link stops working at once, they get no more email, and what
they already submitted stays in the record (a Delphi report never silently loses answers).
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from surveys.errors import DomainError
from surveys.models import Panelist, Study
from surveys.models.transitions import check_transition
from surveys.services.audit import audit_record
from surveys.services.panel import panelist_create, panelist_token_rotate
from surveys.services.panel_import import LANGUAGE, MAX_LENGTH

# Revoking is final: a revoked link is never revived (issue a new expert instead).
REVOKE: dict[str, tuple[str, ...]] = {
    Panelist.Status.INVITED: (Panelist.Status.REVOKED,),
    Panelist.Status.ACTIVE: (Panelist.Status.REVOKED,),
    Panelist.Status.WITHDRAWN: (Panelist.Status.REVOKED,),
    Panelist.Status.REVOKED: (),
}


@transaction.atomic
def panelist_add(
    *,
    study: Study,
    email: str,
    name: str = "",
    group: str = "",
    language: str = "en",
    actor: AbstractBaseUser | None = None,
    actor_label: str = "system",
) -> tuple[Panelist, str]:
    """Add one expert. Returns the panelist and their raw link token, shown once and never stored."""
    email, name, group, language = email.strip().lower(), name.strip(), group.strip(), language.strip() or "en"
    try:
        validate_email(email)
    except ValidationError as exc:
        raise DomainError(f"'{email}' is not a valid email address.") from exc
    for field, value in (("name", name), ("group", group), ("language", language)):
        if len(value) > MAX_LENGTH[field]:
            raise DomainError(f"The {field} has {len(value)} characters; the limit is {MAX_LENGTH[field]}.")
    if not LANGUAGE.match(language):
        raise DomainError(f"'{language}' is not a language code such as en, fr or pt-BR.")
    panelist, raw = panelist_create(study=study, email=email, name=name, group=group, language=language)
    audit_record(
        study=study, action="panelist.added", actor=actor, actor_label=actor_label, pseudonym=panelist.pseudonym
    )
    return panelist, raw


@transaction.atomic
def panelist_remove(*, panelist: Panelist, actor: AbstractBaseUser | None = None, actor_label: str = "system") -> None:
    """Delete an expert who has not answered yet; one with a ballot must be revoked instead."""
    locked = Panelist.objects.select_for_update(of=("self",)).select_related("study").get(pk=panelist.pk)
    if locked.ballots.exists():
        raise DomainError(
            f"{locked.pseudonym} has already answered, so removing them would lose their answers; revoke them instead."
        )
    study, pseudonym = locked.study, locked.pseudonym
    locked.delete()
    audit_record(study=study, action="panelist.removed", actor=actor, actor_label=actor_label, pseudonym=pseudonym)


@transaction.atomic
def panelist_revoke(
    *, panelist: Panelist, actor: AbstractBaseUser | None = None, actor_label: str = "system"
) -> Panelist:
    """Stop an expert's link and their email at once; what they submitted stays in the record."""
    locked = Panelist.objects.select_for_update(of=("self",)).select_related("study").get(pk=panelist.pk)
    check_transition(locked.pseudonym, REVOKE, locked.status, Panelist.Status.REVOKED)
    locked.status = Panelist.Status.REVOKED
    locked.revoked_at = timezone.now()  # answers submitted before this moment keep counting
    locked.save(update_fields=["status", "revoked_at"])
    audit_record(
        study=locked.study, action="panelist.revoked", actor=actor, actor_label=actor_label, pseudonym=locked.pseudonym
    )
    return locked


@transaction.atomic
def panelist_link_issue(*, panelist: Panelist, actor: AbstractBaseUser) -> str:
    """A new personal link for an expert; the old one stops working. Returns the raw token (shown once).

    ``actor`` is required: a link is a credential, so the trail always names who handed it out."""
    locked = Panelist.objects.select_for_update(of=("self",)).select_related("study").get(pk=panelist.pk)
    if locked.status == Panelist.Status.REVOKED:
        raise DomainError(f"{locked.pseudonym} is revoked; a revoked expert gets no new link.")
    raw = panelist_token_rotate(panelist=locked)
    audit_record(study=locked.study, action="panelist.link_issued", actor=actor, pseudonym=locked.pseudonym)
    return raw
