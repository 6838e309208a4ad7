"""Email in the expert's language: which wording an email uses, and its deadline in that language.

An expert reads their mail in the language their pages are in (:func:`surveys.expert_language.language_for`:
their own, else the study's default). The wording comes from one of two places:

- the study's own wording of that kind of email (``MessageTemplate``): its translation into the expert's
  language when the facilitator gave one (``translations``), otherwise the study's default language;
- the built-in wording (``DEFAULT_MESSAGES``), whose translations ship in the gettext catalogue like any
  other interface text; in a language without one it stays English, the language it is written in.

An email never mixes languages: subject and body come from the same language, and that language, the
email's, is the one its deadline and greeting are rendered in (``translation.override``), so an English
fallback wording carries an English date, and a Russian one ``16 декабря 2026 г., 18:00 MSK (Europe/Moscow)``
(:func:`surveys.deadlines.moment_format`, which always names the zone).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import translation
from django.utils.translation import gettext, gettext_lazy

from surveys.content_language import base_language, localized
from surveys.deadlines import moment_format
from surveys.models import MessageTemplate, Study
from surveys.models.messages import DEFAULT_MESSAGES

SOURCE_LANGUAGE = "en"  # the language the built-in wording is written in

#: Why a batch of each kind cannot go out: the round is not open, or its deadline has passed.
NOT_SENT = {
    "invitations": (
        gettext_lazy("Round %(number)d is %(status)s; invitations go out only while a round is open."),
        gettext_lazy(
            "Round %(number)d passed its deadline (%(deadline)s); invitations go out only while a round is open."
        ),
    ),
    "reminders": (
        gettext_lazy("Round %(number)d is %(status)s; reminders go out only while a round is open."),
        gettext_lazy(
            "Round %(number)d passed its deadline (%(deadline)s); reminders go out only while a round is open."
        ),
    ),
}


@dataclass(frozen=True)
class Wording:
    """One kind of email's subject and body templates, and the language they are written in."""

    subject: str
    body: str
    language: str


def _built_in(kind: str, language: str) -> Wording:
    subject, body = DEFAULT_MESSAGES[kind]
    if base_language(language) == SOURCE_LANGUAGE:
        return Wording(subject, body, SOURCE_LANGUAGE)
    with translation.override(language):
        translated = gettext(subject), gettext(body)
    if translated == (subject, body):  # no catalogue for it: the English the wording is written in
        return Wording(subject, body, SOURCE_LANGUAGE)
    return Wording(*translated, language)


def wording_for(study: Study, kind: str, language: str | None = None) -> Wording:
    """The (subject, body) templates of ``kind`` in ``language`` (default: the study's default language).

    The study's own wording in that language if translated (both parts), else in the study's default
    language; with no wording of its own, the built-in one in that language if the catalogue has it."""
    default = study.default_language or SOURCE_LANGUAGE
    language = language or default
    saved = MessageTemplate.objects.filter(study=study, kind=kind).first()
    if saved is None:
        return _built_in(kind, language)
    subject = localized(saved, "subject", language, default)
    body = localized(saved, "body", language, default)
    if subject.is_fallback or body.is_fallback:  # never a Russian subject over an English body
        return Wording(saved.subject, saved.body, default)
    return Wording(subject.text, body.text, body.language)


def wordings_of(template: MessageTemplate) -> dict[str, tuple[str, str]]:
    """Every language a saved wording is given in, default first: language → (subject, body). A
    translation lacking a part uses the default's part, as :func:`wording_for` would not (it falls back
    whole); checking it so is stricter, never laxer."""
    default = template.study.default_language or SOURCE_LANGUAGE
    found = {default: (template.subject, template.body)}
    for language, fields in (template.translations or {}).items():
        if isinstance(fields, dict) and (fields.get("subject") or fields.get("body")):
            found.setdefault(
                language, (str(fields.get("subject") or template.subject), str(fields.get("body") or template.body))
            )
    return found


def deadline_text(moment: datetime | None, zone: str | None) -> str:
    """A deadline in the active language with the study's zone named (``16 Dec 2026, 18:00 CET
    (Europe/Paris)``, in Russian ``16 декабря 2026 г., 18:00 CET (Europe/Paris)``), as every page shows it;
    ``""`` for no time. The email renders it inside ``translation.override`` of its own language."""
    return moment_format(moment, zone)
