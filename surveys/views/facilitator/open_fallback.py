"""Opening a round while a declared language lacks translations of its content: what is missing, said
on the confirmation page, and the box that confirms the fallback to the default language is intended
(``round_open(allow_fallback=True)``; without it the service refuses, naming what is missing)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext

from surveys.models import Round, Study
from surveys.selectors.translations import round_completeness

from .forms import language_name


def fallback_note(study: Study, round_: Round) -> str:
    """What the round's items lack in each declared language, or "" when nothing (or one language)."""
    if not round_.is_draft or len(getattr(study, "languages", None) or []) < 2:
        return ""
    lacking = [c for c in round_completeness(study, round_.number) if c.missing]
    if not lacking:
        return ""
    parts = [
        gettext("%(language)s: %(n)d of %(total)d fields missing")
        % {"language": language_name(c.language), "n": len(c.missing), "total": c.total}
        for c in lacking
    ]
    return gettext(
        "Translations are missing (%(parts)s); the dashboard lists them. Experts reading those languages would "
        "see the default language, %(default)s, there, marked as such."
    ) % {"parts": "; ".join(parts), "default": language_name(study.default_language)}


def fallback_field(form: forms.Form, study: Study, *, shown: bool) -> None:
    """The "open anyway" box: only when translations are missing, naming the default language."""
    if not shown:
        form.fields.pop("allow_fallback", None)
        return
    form.fields["allow_fallback"].label = gettext(
        "Open anyway: the fallback to %(language)s is intended where a translation is missing."
    ) % {"language": language_name(study.default_language)}
