"""A panelist's own fields as every way of setting them checks them: the CSV import, adding one
expert, the dashboard's panel page and the API's ``PATCH``. One check each, so the limits and the
accepted languages cannot drift apart between them."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.utils.translation import gettext, ngettext

from surveys.models import Study
from surveys.text_input import text_problem

MAX_LENGTH = {"email": 254, "name": 200, "group": 80, "language": 16}


def accepted_languages(study: Study | None = None) -> list[str]:
    """The language codes a panelist of ``study`` may have: the study's declared languages when it
    declares some (``Study.languages``), otherwise every language the site has a catalogue for."""
    declared = getattr(study, "languages", None) if study is not None else None
    if declared:
        return [str(code) for code in declared]
    return [code for code, _ in settings.LANGUAGES]


def language_normalized(value: str) -> str:
    """``" RU "`` → ``"ru"``, ``"pt_BR"`` → ``"pt-br"``: codes are compared as Django spells them."""
    return value.strip().lower().replace("_", "-")


def language_problem(value: str, accepted: Sequence[str]) -> str | None:
    """Why ``value`` cannot be a panelist's language, naming the accepted codes; None if it can.

    The one check of a panelist's language: the CSV import, adding one expert, the dashboard and the
    API's PATCH all call it."""
    if language_normalized(value) in accepted:
        return None
    return gettext("the language '%(value)s' is not one of this study's languages: %(accepted)s") % {
        "value": value,
        "accepted": ", ".join(accepted),
    }


def length_problem(field: str, value: str) -> str | None:
    """Why ``value`` is too long for the panelist's ``field`` (the import's limits), or None."""
    if len(value) <= MAX_LENGTH[field]:
        return None
    return ngettext(
        "the %(field)s has %(n)d character; the limit is %(limit)d",
        "the %(field)s has %(n)d characters; the limit is %(limit)d",
        len(value),
    ) % {"field": FIELD_NAMES[field](), "n": len(value), "limit": MAX_LENGTH[field]}


# The column names as a message names them (translated when the message is made).
FIELD_NAMES = {
    "email": lambda: gettext("email"),
    "name": lambda: gettext("name"),
    "group": lambda: gettext("group"),
    "language": lambda: gettext("language"),
}


def panelist_field_problems(study: Study, values: dict[str, str]) -> dict[str, str]:
    """What is wrong with each of a panelist's ``name``, ``group`` or ``language`` values (those
    given, already trimmed), by field; empty when all are fine."""
    problems: dict[str, str] = {}
    for field, value in values.items():
        problem = text_problem(value)
        if problem is not None:
            problem = gettext("the %(field)s %(problem)s") % {"field": FIELD_NAMES[field](), "problem": problem}
        else:
            problem = length_problem(field, value)
        if problem is None and field == "language":
            problem = language_problem(value, accepted_languages(study))
        if problem is not None:
            problems[field] = problem
    return problems
