"""Which language an expert reads: their pages, their autosave's messages and their mail.

The panelist's own ``language`` (from the panel CSV, the dashboard, the API or the switcher on their
pages) when the site has an interface in it; otherwise the study's default language; otherwise the
site's ``LANGUAGE_CODE``. The browser's Accept-Language plays no part: an expert invited in Russian
reads Russian on any computer. Staff pages follow the browser instead (``LocaleMiddleware``).

A neutral module (settings and translation only), so views, services and mail can all import it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import translation

#: The session remembers the language the expert's last page resolved, so the autosave (whose hot
#: path loads no panelist) answers in it without a query.
SESSION_LANGUAGE_KEY = "delphi_language"


def interface_language(code: str | None) -> str | None:
    """``code`` as one of the site's interface languages (``"ru-RU"`` → ``"ru"``), or None if none fits."""
    if not code:
        return None
    try:
        return translation.get_supported_language_variant(code.strip().lower().replace("_", "-"))
    except LookupError:
        return None


def language_for(panelist: Any) -> str:
    """The language ``panelist``'s pages and mail are in (see the module docstring)."""
    study = getattr(panelist, "study", None)
    for code in (getattr(panelist, "language", ""), getattr(study, "default_language", "en")):
        if language := interface_language(code):
            return language
    return settings.LANGUAGE_CODE


def switchable_languages(study: Any) -> list[str]:
    """The languages an expert of ``study`` may choose on the switcher: the study's declared languages
    (every interface language when it declares none) that the site has an interface in. The same set
    the panel import and the dashboard accept (``surveys.services.panel_import.accepted_languages``)."""
    declared = getattr(study, "languages", None) or [code for code, _ in settings.LANGUAGES]
    return [str(code) for code in declared if interface_language(str(code)) == code]


def activate_for(request: Any, language: str) -> None:
    """Use ``language`` for the rest of ``request`` (and its ``Content-Language``), and remember it in
    the session for the autosave. Writes the session only when the language changed."""
    translation.activate(language)
    request.LANGUAGE_CODE = language
    session = getattr(request, "session", None)
    if session is not None and session.get(SESSION_LANGUAGE_KEY) != language:
        session[SESSION_LANGUAGE_KEY] = language
