"""The language a report is written in: one of ``settings.LANGUAGES``.

Every format is rendered inside ``translation.override(language)`` (:func:`in_language`), so the
report's prose, its chart labels and its number formats follow it; machine formats (JSON keys, CSV
columns and values) do not change with it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _


def report_languages() -> tuple[str, ...]:
    """The codes of the languages a report can be written in, the default first as declared."""
    return tuple(code for code, _name in settings.LANGUAGES)


def supported(code: str | None) -> str:
    """``code`` reduced to a declared language ("ru-RU" → "ru"); the default language otherwise."""
    languages = report_languages()
    if code:
        base = code.lower().split("-")[0]
        if base in languages:
            return base
    default = settings.LANGUAGE_CODE.split("-")[0]
    return default if default in languages else languages[0]


def report_language(code: str | None) -> str:
    """``code`` when it names a declared language; the active language when empty.

    Raises ``ValueError`` naming the declared languages for any other code."""
    if not code:
        return supported(translation.get_language())
    if code not in report_languages():
        raise ValueError(
            _("Unknown report language %(code)s; choose one of %(languages)s.")
            % {"code": repr(code)[:40], "languages": ", ".join(report_languages())}
        )
    return code


@contextmanager
def in_language(language: str) -> Iterator[str]:
    """Render a report in ``language`` (a declared code) whatever the active language."""
    with translation.override(report_language(language)):
        yield language
