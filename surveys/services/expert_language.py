"""The expert's own choice of language, from the switcher on their pages."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext

from surveys.errors import DomainError
from surveys.expert_language import interface_language
from surveys.models import Panelist
from surveys.models.panel import UNUSABLE
from surveys.services.audit import audit_record
from surveys.services.panel_import import accepted_languages


@transaction.atomic
def panelist_language_set(*, panelist: Panelist, language: str) -> Panelist:
    """Remember ``language`` on the panelist: their pages and mail use it from now on.

    Only a language the site has an interface in and the study accepts (its declared languages, or
    every interface language when it declares none). Recorded in the audit log by pseudonym."""
    locked = Panelist.objects.select_for_update(of=("self",)).select_related("study").get(pk=panelist.pk)
    if locked.status in UNUSABLE:
        raise DomainError(gettext("This invitation is no longer valid."))
    code = interface_language(language)
    accepted = accepted_languages(locked.study)
    if code is None or code != language.strip().lower() or code not in accepted:
        raise DomainError(
            gettext("“%(language)s” is not a language of this study; choose one of: %(accepted)s.")
            % {"language": language[:20], "accepted": ", ".join(accepted)}
        )
    if locked.language != code:
        previous, locked.language = locked.language, code
        locked.save(update_fields=["language"])
        audit_record(
            study=locked.study,
            action="panelist.language_set",
            actor_label="expert",
            pseudonym=locked.pseudonym,
            language=code,
            previous=previous,
        )
    return locked
