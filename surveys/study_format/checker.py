"""Reading a study file's mappings: every error is collected, each naming the field and the item, and
a mapping is read only through its declared keys, so an unknown key is an error with a suggestion."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from surveys.errors import FieldError
from surveys.study_yaml import short


class Checker:
    """Collects every error instead of stopping at the first, so a file is fixed in one pass."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []
        self.warnings: list[FieldError] = []
        self.languages: tuple[str, ...] = ("en",)  # the study's declared languages, default first
        self.default_language = "en"

    def fail(self, field_name: str, message: str, item: str = "") -> None:
        self.errors.append(FieldError(field=field_name, message=message, item=item))

    def warn(self, field_name: str, message: str, item: str = "") -> None:
        self.warnings.append(FieldError(field=field_name, message=message, item=item))

    def translatable(
        self, data: Mapping[str, Any], key: str, where: str, *, required: bool = True, item: str = ""
    ) -> tuple[str, dict[str, str]]:
        """A translatable field: plain text (the default language) or ``{en: ..., ru: ...}``.

        Returns the default language's text and the other languages' ``{language: text}``. A language
        the study does not declare is an error; a declared one left out (or empty) is a warning."""
        value = data.get(key)
        if not isinstance(value, Mapping):
            text = self.text(data, key, where, required=required, item=item)
            self.warn_missing(f"{where}{key}", text, {}, item)
            return text, {}
        given: dict[str, str] = {}
        for language, text in value.items():
            name = f"{where}{key}.{language}"
            if language not in self.languages:
                declared = ", ".join(self.languages)
                self.fail(
                    name,
                    f"is a translation into '{language}', which the study does not declare "
                    f"(languages: {declared}); add it to `languages` or remove it",
                    item,
                )
            elif text is not None and not isinstance(text, str | int | float):
                self.fail(name, f"must be text, not {type(text).__name__}", item)
            elif text is not None and str(text).strip():
                given[str(language)] = str(text).strip()
        default = given.pop(self.default_language, "")
        if not default and required:
            self.fail(f"{where}{key}.{self.default_language}", "is required (the default language's text)", item)
        elif not default and given:
            self.fail(f"{where}{key}.{self.default_language}", "is required when other languages are given", item)
        self.warn_missing(f"{where}{key}", default, given, item)
        return default, given

    def warn_missing(self, name: str, default: str, given: Mapping[str, str], item: str) -> None:
        if not default:
            return
        for language in self.languages:
            if language != self.default_language and language not in given:
                self.warn(
                    name,
                    f"has no '{language}' translation; experts reading {language} see "
                    f"the {self.default_language} text there",
                    item,
                )

    def fields(
        self, raw: Mapping[str, Any], keys: tuple[str, ...], where: str, *, whose: str, item: str = ""
    ) -> Fields:
        """``raw`` read through its declared ``keys``: each other key is an error naming it and ``whose`` it is."""
        for key in raw:
            if key not in keys:
                self.fail(f"{where}{key}", f"is not a key of {whose}; {nearest_key(str(key), keys)}", item)
        return Fields(raw, keys)

    def text(self, data: Mapping[str, Any], key: str, where: str, *, required: bool = True, item: str = "") -> str:
        value = data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(f"{where}{key}", "is required", item)
            return ""
        if not isinstance(value, str | int | float):
            self.fail(f"{where}{key}", f"must be text, not {type(value).__name__}", item)
            return ""
        return str(value).strip()

    def integer(self, value: Any, field_name: str, item: str = "") -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(field_name, f"must be a whole number, not {short(value)}", item)
            return None
        return value

    def mapping_list(self, data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
        value = data.get(key)
        if not isinstance(value, list) or not value:
            self.fail(key, "must be a non-empty list")
            return []
        good = []
        for index, entry in enumerate(value):
            if isinstance(entry, Mapping):
                good.append(entry)
            else:
                self.fail(f"{key}[{index}]", "must be a mapping of fields")
        return good


class Fields(Mapping[str, Any]):
    """A mapping of the file seen through its declared keys.

    Reading a key the declaration lacks is a bug in this module, not in the file: it raises at once,
    so the declaration stays the one list of what the parser understands.
    """

    def __init__(self, raw: Mapping[str, Any], keys: tuple[str, ...]) -> None:
        self._raw = {k: v for k, v in raw.items() if k in keys}
        self._keys = keys

    def __getitem__(self, key: str) -> Any:
        if key not in self._keys:
            raise RuntimeError(f"the parser reads '{key}', which its declaration {self._keys} lacks")
        return self._raw[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)


def nearest_key(word: str, choices: Iterable[str]) -> str:
    """'did you mean …?' with the closest choice, else the list of choices."""
    options = list(choices)
    close = difflib.get_close_matches(word, options, n=1)
    if close:
        return f"did you mean '{close[0]}'?"
    return f"the known keys are {', '.join(options)}"
