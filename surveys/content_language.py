"""Study content in several languages: which text a reader sees, and which translations are missing.

A translatable model keeps its study's default language in its plain fields (``Item.text``,
``Dimension.label`` ...) and every other declared language in ``translations``, shaped
``{"ru": {"text": "..."}}`` (language → field → text) and, for a dimension's scale labels,
``{"ru": {"scale_labels": {"1": "...", "5": "..."}}}``. Readers that ignore languages keep reading the
plain fields and see the default language.

:func:`localized` picks the reader's language when a translation exists and otherwise falls back to the
default language, saying so (``is_fallback``), so that a page can mark the fallback. Nothing is ever
machine-translated. A language is matched exactly, then by its base (``ru-RU`` reads ``ru``).

A neutral module: it reads models and imports no services, selectors or views.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.utils.translation import gettext, ngettext

from surveys.errors import DomainError

#: The translatable fields of each translatable model, by model name (scale labels are one field).
TRANSLATABLE: dict[str, tuple[str, ...]] = {
    "Study": ("title", "description"),
    "Section": ("title",),
    "Dimension": ("label", "question", "scale_labels"),
    "Item": ("text",),
    "MessageTemplate": ("subject", "body"),
}


@dataclass(frozen=True)
class Localized:
    """The text a reader is shown, the language it is in, and whether it stands in for a missing one."""

    text: str
    language: str
    is_fallback: bool

    def __str__(self) -> str:
        return self.text


class Missing(NamedTuple):
    """One field lacking its translation into ``language``: ``kind`` is study, section, dimension, item or
    message; ``key`` is the item code, section or dimension key, message kind (the study's slug for the
    study); ``field`` is the field name, ``scale_labels.<value>`` for one scale label."""

    language: str
    kind: str
    key: str
    field: str

    @property
    def where(self) -> str:
        return self.kind if self.kind == "study" else f"{self.kind} {self.key}"

    def __str__(self) -> str:
        return f"{self.where}: {self.field} ({self.language})"


def base_language(language: str) -> str:
    """``ru-RU``/``ru_RU`` → ``ru``; lower case."""
    return language.strip().lower().replace("_", "-").split("-")[0]


def study_of(obj: Any) -> Any:
    """The study a translatable object belongs to (the object itself for a study)."""
    return obj if hasattr(obj, "default_language") else obj.study


def default_language_of(obj: Any) -> str:
    return str(study_of(obj).default_language or "en")


def _pick(translations: dict[str, Any], language: str) -> dict[str, Any]:
    """The translations given for ``language`` (exactly, then by its base language)."""
    for code in (language, language.lower(), base_language(language)):
        found = translations.get(code)
        if isinstance(found, dict):
            return found
    return {}


def translation(obj: Any, field: str, language: str) -> Any:
    """The raw translation of ``field`` into ``language`` (a string, or a dict for scale labels), or None."""
    value = _pick(getattr(obj, "translations", None) or {}, language).get(field)
    return value if value not in (None, "", {}) else None


def is_default(language: str | None, default_language: str) -> bool:
    return not language or base_language(language) == base_language(default_language)


def localized(obj: Any, field: str, language: str | None, default_language: str | None = None) -> Localized:
    """``obj.field`` in ``language`` if translated, else in the default language with ``is_fallback``.

    ``default_language``: the study's, when the caller has it (saves a query per object). An empty
    default text is never a fallback: there is nothing to translate."""
    default = default_language or default_language_of(obj)
    plain = str(getattr(obj, field) or "")
    if is_default(language, default):
        return Localized(plain, default, False)
    given = translation(obj, field, language or default)
    if isinstance(given, str):
        return Localized(given, language or default, False)
    return Localized(plain, default, bool(plain))


def localized_text(obj: Any, field: str, language: str | None, default_language: str | None = None) -> str:
    """Only the text of :func:`localized`."""
    return localized(obj, field, language, default_language).text


def localized_scale_label(
    dimension: Any, value: int | str, language: str | None, default_language: str | None = None
) -> Localized:
    """One scale label of a dimension in ``language``, falling back label by label."""
    default = default_language or default_language_of(dimension)
    plain = str((dimension.scale_labels or {}).get(str(value), "") or "")
    if is_default(language, default):
        return Localized(plain, default, False)
    given = translation(dimension, "scale_labels", language or default) or {}
    text = given.get(str(value)) if isinstance(given, dict) else None
    if text:
        return Localized(str(text), language or default, False)
    return Localized(plain, default, bool(plain))


def localized_scale_labels(
    dimension: Any, language: str | None, default_language: str | None = None
) -> dict[str, Localized]:
    """Every labelled point of a dimension's scale in ``language`` (keys are the values as strings)."""
    return {
        key: localized_scale_label(dimension, key, language, default_language) for key in (dimension.scale_labels or {})
    }


def _fields_missing(obj: Any, kind: str, key: str, language: str) -> Iterator[Missing]:
    for field in TRANSLATABLE[type(obj).__name__]:
        if field == "scale_labels":
            given = translation(obj, field, language) or {}
            for value, label in (obj.scale_labels or {}).items():
                if label and not (isinstance(given, dict) and given.get(str(value))):
                    yield Missing(language, kind, key, f"scale_labels.{value}")
        elif getattr(obj, field) and not isinstance(translation(obj, field, language), str):
            yield Missing(language, kind, key, field)


def content_objects(study: Any, items: Iterable[Any] | None = None) -> Iterator[tuple[Any, str, str]]:
    """``(object, kind, key)`` for every translatable object of a study; ``items`` limits the items
    (a round's), default every item that no later wording replaces."""
    yield study, "study", study.slug
    for section in study.sections.order_by("order", "key"):
        yield section, "section", section.key
    for dimension in study.dimensions.order_by("order", "key"):
        yield dimension, "dimension", dimension.key
    chosen = items if items is not None else study.items.filter(rewordings__isnull=True).order_by("order", "code")
    for item in chosen:
        yield item, "item", item.code
    for template in study.message_templates.order_by("kind"):
        yield template, "message", template.kind


def declared_languages(study: Any) -> list[str]:
    """The study's declared languages, default first, without repeats."""
    ordered = [study.default_language, *(study.languages or [])]
    return list(dict.fromkeys(code for code in ordered if code))


def missing_translations(study: Any, items: Iterable[Any] | None = None) -> list[Missing]:
    """Every non-empty default-language field lacking its translation into a declared language.

    ``items``: only these items (e.g. a round's), default the study's current wordings."""
    objects = list(content_objects(study, items))
    others = [code for code in declared_languages(study) if not is_default(code, study.default_language)]
    return [found for code in others for obj, kind, key in objects for found in _fields_missing(obj, kind, key, code)]


def count_fields(study: Any, items: Iterable[Any] | None = None) -> int:
    """How many non-empty default-language fields (one per scale label) the study's content holds."""
    total = 0
    for obj, _kind, _key in content_objects(study, items):
        for field in TRANSLATABLE[type(obj).__name__]:
            if field == "scale_labels":
                total += sum(1 for label in (obj.scale_labels or {}).values() if label)
            elif getattr(obj, field):
                total += 1
    return total


class MissingTranslationsError(DomainError):
    """A round cannot open while declared translations of its content are missing (``missing`` lists
    them); opening with ``allow_fallback`` shows those fields in the default language instead."""

    SHOWN = 12

    def __init__(self, round_number: int, missing: list[Missing], default_language: str) -> None:
        self.missing = missing
        listed = "; ".join(str(m) for m in missing[: self.SHOWN])
        if len(missing) > self.SHOWN:
            listed += "; " + gettext("and %(count)d more") % {"count": len(missing) - self.SHOWN}
        message = ngettext(
            "Round %(number)d cannot open: %(count)d translation is missing (%(listed)s). Add it, or confirm "
            "that experts see the default language (%(default)s) there instead.",
            "Round %(number)d cannot open: %(count)d translations are missing (%(listed)s). Add them, or confirm "
            "that experts see the default language (%(default)s) there instead.",
            len(missing),
        ) % {"number": round_number, "count": len(missing), "listed": listed, "default": default_language}
        super().__init__(message)
