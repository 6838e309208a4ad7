"""The study file's languages: ``languages`` and ``default_language`` at the top level, and translatable
fields given either as plain text (the default language) or as ``{en: ..., ru: ...}``.

The specs hold the default language in their plain fields and the others in ``translations``
(language → field → text), as the models do; :func:`field_value` writes a field back in the file's
form (plain text when only the default language has it), and :func:`merge_value` is how an edit of one
field keeps the languages it does not mention.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from surveys.study_yaml import short

from .checker import Checker
from .keys import DEFAULT_LANGUAGE, LANGUAGE_RE
from .specs import Translations


def read_languages(check: Checker, data: Mapping[str, Any]) -> tuple[tuple[str, ...], str]:
    """The declared languages (default first) and the default; sets them on ``check`` for the fields after."""
    raw = data.get("languages")
    default_raw = data.get("default_language")
    if raw is None:
        raw = [default_raw or DEFAULT_LANGUAGE]
    if not isinstance(raw, list) or not raw:
        check.fail("languages", f"must be a non-empty list of language codes such as [en, ru], not {short(raw)}")
        raw = [DEFAULT_LANGUAGE]
    languages: list[str] = []
    for code in raw:
        if not isinstance(code, str) or not LANGUAGE_RE.match(code):
            check.fail("languages", f"{short(code)} is not a language code such as en, ru or pt-BR")
        elif code in languages:
            check.fail("languages", f"lists '{code}' twice")
        else:
            languages.append(code)
    if default_raw is None:
        default = DEFAULT_LANGUAGE if DEFAULT_LANGUAGE in languages or not languages else languages[0]
    elif not isinstance(default_raw, str) or default_raw not in languages:
        check.fail(
            "default_language", f"{short(default_raw)} must be one of the declared languages ({', '.join(languages)})"
        )
        default = languages[0] if languages else DEFAULT_LANGUAGE
    else:
        default = default_raw
    ordered = tuple(dict.fromkeys([default, *languages]))
    check.languages, check.default_language = ordered, default
    return ordered, default


def put(translations: Translations, field: str, given: Mapping[str, Any]) -> None:
    """Record ``{language: text}`` of one field into ``translations`` (language → field → text)."""
    for language, text in given.items():
        if text:
            translations.setdefault(language, {})[field] = text


def given_for(translations: Mapping[str, Mapping[str, Any]], field: str) -> dict[str, Any]:
    """``{language: text}`` of one field, from translations shaped language → field → text."""
    return {language: fields[field] for language, fields in translations.items() if fields.get(field)}


def field_value(default_text: Any, translations: Mapping[str, Mapping[str, Any]], field: str, default: str) -> Any:
    """A translatable field in the file's form: plain when no other language has it, else a mapping
    with the default language first."""
    others = given_for(translations, field)
    if not others:
        return default_text
    return {default: default_text, **dict(sorted(others.items()))}


def scale_labels_value(
    labels: Mapping[int, str], translations: Mapping[str, Mapping[str, Any]], default: str
) -> dict[int, Any]:
    """A scale's labels in the file's form: each label plain, or a mapping of its languages."""
    result: dict[int, Any] = {}
    for point, text in labels.items():
        others = {
            language: fields["scale_labels"][str(point)]
            for language, fields in sorted(translations.items())
            if (fields.get("scale_labels") or {}).get(str(point))
        }
        result[point] = {default: text, **others} if others else text
    return result


def merge_value(old: Any, new: Any, default: str) -> Any:
    """An edit of one translatable field: plain ``new`` text replaces the default language's and keeps
    the other languages' text; a mapping replaces the languages it names (``""`` removes one) and keeps
    the rest."""
    if not isinstance(old, Mapping):
        return new
    merged = {**old, **new} if isinstance(new, Mapping) else {**old, default: new}
    return {language: text for language, text in merged.items() if text or language == default}
