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
from django.utils.translation import gettext

from surveys.errors import DomainError
from surveys.models import Panelist, Study
from surveys.models.transitions import check_transition
from surveys.services.audit import audit_record
from surveys.services.panel import panelist_create, panelist_token_rotate
from surveys.services.panelist_fields import language_normalized, panelist_field_problems

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
    email, name, group = email.strip().lower(), name.strip(), group.strip()
    language = language_normalized(language) or "en"
    try:
        validate_email(email)
    except ValidationError as exc:
        raise DomainError(gettext("'%(email)s' is not a valid email address.") % {"email": email}) from exc
    problems = panelist_field_problems(study, {"name": name, "group": group, "language": language})
    if problems:
        raise DomainError(_sentence(next(iter(problems.values()))))
    panelist, raw = panelist_create(study=study, email=email, name=name, group=group, language=language)
    audit_record(
        study=study, action="panelist.added", actor=actor, actor_label=actor_label, pseudonym=panelist.pseudonym
    )
    return panelist, raw


def _sentence(problem: str) -> str:
    return f"{problem[:1].upper()}{problem[1:]}."


class PanelistInvalid(DomainError):
    """A change to a panelist was refused; ``errors`` maps each refused field to why."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__(" ".join(_sentence(m) for m in errors.values()))


EDITABLE = ("name", "group", "language")


@transaction.atomic
def panelist_update(
    *,
    panelist: Panelist,
    actor: AbstractBaseUser | None = None,
    actor_label: str = "system",
    **changes: str,
) -> Panelist:
    """Change an expert's ``name``, ``group`` and/or ``language`` (any other field is refused).

    Checked as the CSV import checks them; ``PanelistInvalid`` names each refused field and nothing
    changes. The audit event lists the fields that changed and the language (not the name's or group's
    values: they are personal)."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise PanelistInvalid({f: gettext("this field cannot be changed here") for f in unknown})
    locked = Panelist.objects.select_for_update(of=("self",)).select_related("study").get(pk=panelist.pk)
    cleaned = {f: language_normalized(v) if f == "language" else v.strip() for f, v in changes.items()}
    problems = panelist_field_problems(locked.study, cleaned)
    if problems:
        raise PanelistInvalid(problems)
    changed = sorted(f for f, v in cleaned.items() if getattr(locked, f) != v)
    for field in changed:
        setattr(locked, field, cleaned[field])
    if changed:
        locked.save(update_fields=changed)
        audit_record(
            study=locked.study,
            action="panelist.updated",
            actor=actor,
            actor_label=actor_label,
            pseudonym=locked.pseudonym,
            fields=changed,
            language=locked.language,  # the language now (not personal, unlike the name)
        )
    return locked


@transaction.atomic
def panelist_remove(*, panelist: Panelist, actor: AbstractBaseUser | None = None, actor_label: str = "system") -> None:
    """Delete an expert who has not answered yet; one with a ballot must be revoked instead."""
    locked = Panelist.objects.select_for_update(of=("self",)).select_related("study").get(pk=panelist.pk)
    if locked.ballots.exists():
        raise DomainError(
            gettext(
                "%(pseudonym)s has already answered, so removing them would lose their answers; revoke them instead."
            )
            % {"pseudonym": locked.pseudonym}
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
        raise DomainError(
            gettext("%(pseudonym)s is revoked; a revoked expert gets no new link.") % {"pseudonym": locked.pseudonym}
        )
    raw = panelist_token_rotate(panelist=locked)
    audit_record(study=locked.study, action="panelist.link_issued", actor=actor, pseudonym=locked.pseudonym)
    return raw
