"""A study file's structure: its dimensions (rating scales), sections and items, each checked on its own
and against the others (an item names declared dimensions and a declared section; codes are unique;
``replaces`` names another item of the file)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from surveys.study_yaml import short

from .checker import Checker
from .keys import CODE_RE, DIMENSION_KEYS, ITEM_KEYS, KEY_RE, KINDS, SCALE_KEYS, SECTION_KEYS
from .languages import put
from .specs import DimensionSpec, ItemSpec, SectionSpec, Translations


def read_structure(
    check: Checker, data: Mapping[str, Any]
) -> tuple[list[DimensionSpec], list[SectionSpec], list[ItemSpec]]:
    """The file's dimensions, sections and items; every problem is recorded on ``check``."""
    dimensions = [
        d for i, raw in enumerate(check.mapping_list(data, "dimensions")) if (d := dimension_spec(check, raw, i))
    ]
    refuse_duplicates(check, [d.key for d in dimensions], "dimensions", "dimension key")
    sections = [section_spec(check, raw, i) for i, raw in enumerate(check.mapping_list(data, "sections"))]
    refuse_duplicates(check, [s.key for s in sections], "sections", "section key")
    dimension_keys = {d.key for d in dimensions}
    section_keys = {s.key for s in sections}
    items = [
        item_spec(check, raw, i, dimension_keys, section_keys)
        for i, raw in enumerate(check.mapping_list(data, "items"))
    ]
    check_item_codes(check, items)
    return dimensions, sections, items


def check_item_codes(check: Checker, items: Sequence[ItemSpec]) -> None:
    """Item codes are unique, and each ``replaces`` names another item of the file."""
    seen: set[str] = set()
    for item in items:
        if item.code and item.code in seen:
            check.fail("code", f"duplicate item code '{item.code}'", item.code)
        seen.add(item.code)
    for item in items:
        if item.replaces and (item.replaces not in seen or item.replaces == item.code):
            check.fail("replaces", f"{short(item.replaces)} is not another item of this file", item.code)


def _band(check: Checker, raw: Any, field_name: str, low: int, high: int) -> tuple[int, int]:
    if not (
        isinstance(raw, list) and len(raw) == 2 and all(isinstance(v, int) and not isinstance(v, bool) for v in raw)
    ):
        check.fail(field_name, f"must be a pair of whole numbers [low, high], not {short(raw)}")
        return (low, low)
    a, b = raw
    if not (low <= a <= b <= high):
        check.fail(field_name, f"[{a}, {b}] must lie inside the scale {low}..{high} with low ≤ high")
    return (a, b)


def dimension_spec(check: Checker, mapping: Mapping[str, Any], index: int) -> DimensionSpec | None:
    where = f"dimensions[{index}]."
    whose = (
        f"dimension {short(mapping.get('key'))}" if isinstance(mapping.get("key"), str) else f"dimension #{index + 1}"
    )
    raw = check.fields(mapping, DIMENSION_KEYS, where, whose=whose)
    key = check.text(raw, "key", where)
    if key and not KEY_RE.match(key):
        check.fail(f"{where}key", f"{short(key)} must be lowercase letters, digits, '-' or '_'")
    scale_raw = raw.get("scale")
    if not isinstance(scale_raw, Mapping):
        check.fail(f"{where}scale", "is required: {min, max, labels}")
        return None
    scale = check.fields(scale_raw, SCALE_KEYS, f"{where}scale.", whose=f"the scale of {whose}")
    low = check.integer(scale.get("min"), f"{where}scale.min")
    high = check.integer(scale.get("max"), f"{where}scale.max")
    if low is None or high is None:
        return None
    if low >= high:
        check.fail(f"{where}scale", f"min ({low}) must be less than max ({high})")
        return None
    translations: Translations = {}
    labels = _scale_labels(check, scale.get("labels") or {}, f"{where}scale.labels", (low, high), translations)
    label, label_given = check.translatable(raw, "label", where)
    question, question_given = check.translatable(raw, "question", where, required=False)
    put(translations, "label", label_given)
    put(translations, "question", question_given)
    return DimensionSpec(
        key=key,
        label=label or key,
        question=question,
        scale_min=low,
        scale_max=high,
        labels=labels,
        agree=_band(check, raw.get("agree"), f"{where}agree", low, high),
        disagree=_band(check, raw.get("disagree"), f"{where}disagree", low, high),
        consensus=flag(check, raw.get("consensus", True), f"{where}consensus"),
        translations=translations,
    )


def _scale_labels(
    check: Checker, raw: Any, where: str, scale: tuple[int, int], translations: Translations
) -> dict[int, str]:
    """A scale's labels, each plain or ``{en: ..., ru: ...}``; other languages go to ``translations``."""
    low, high = scale
    labels: dict[int, str] = {}
    if not isinstance(raw, Mapping):
        check.fail(where, "must map scale points to labels")
        return labels
    for point, label in raw.items():
        if not isinstance(point, int) or not low <= point <= high:
            check.fail(where, f"point {short(point)} is not on the scale {low}..{high}")
            continue
        if isinstance(label, Mapping):
            text, given = check.translatable(raw, point, f"{where}.")  # type: ignore[arg-type]
        else:
            text, given = str(label), {}
            check.warn_missing(f"{where}.{point}", text, given, "")
        labels[point] = text
        for language, translated in given.items():
            translations.setdefault(language, {}).setdefault("scale_labels", {})[str(point)] = translated
    return labels


def flag(check: Checker, value: Any, field_name: str) -> bool:
    if not isinstance(value, bool):
        check.fail(field_name, f"must be true or false, not {short(value)}")
        return True
    return value


def item_spec(
    check: Checker, mapping: Mapping[str, Any], index: int, dimension_keys: set[str], section_keys: set[str]
) -> ItemSpec:
    code = str(mapping.get("code") or "").strip()
    label = (code if len(code) <= 20 else short(code)) or f"#{index + 1}"
    raw = check.fields(mapping, ITEM_KEYS, "", whose=f"item {label}", item=label)
    if not code:
        check.fail(f"items[{index}].code", "is required", label)
    elif not CODE_RE.match(code):
        check.fail("code", f"{short(code)} must be letters then digits, e.g. Q1, C7, R2 (a rewording: C7r2)", label)
    kind = check.text(raw, "kind", "", item=label)
    if kind and kind not in KINDS:
        check.fail("kind", f"unknown kind {short(kind)}; choose one of {', '.join(KINDS)}", label)
    section = check.text(raw, "section", "", item=label)
    if section and section not in section_keys:
        check.fail(
            "section", f"unknown section {short(section)}; the file declares {', '.join(sorted(section_keys))}", label
        )
    dims_raw = raw.get("dimensions") or []
    if not isinstance(dims_raw, list):
        check.fail("dimensions", "must be a list of dimension keys", label)
        dims_raw = []
    for key in dims_raw:
        if key not in dimension_keys:
            check.fail(
                "dimensions",
                f"unknown dimension {short(key)}; the file declares {', '.join(sorted(dimension_keys))}",
                label,
            )
    if len(set(dims_raw)) != len(dims_raw):
        check.fail("dimensions", "lists a dimension twice", label)
    if kind and kind != "open" and not dims_raw:
        check.fail("dimensions", "must name at least one dimension (only open questions have none)", label)
    if kind == "open" and dims_raw:
        check.fail("dimensions", "must be empty for an open question", label)
    order = raw.get("order", index + 1)
    order = check.integer(order, "order", label) or index + 1
    replaces = raw.get("replaces")
    text, text_given = check.translatable(raw, "text", "", item=label)
    translations: Translations = {}
    put(translations, "text", text_given)
    return ItemSpec(
        code=code,
        kind=kind,
        section=section,
        text=text,
        source=check.text(raw, "source", "", required=False, item=label),
        dimensions=tuple(str(k) for k in dims_raw),
        order=order,
        replaces=str(replaces).strip() if replaces else None,
        translations=translations,
    )


def section_spec(check: Checker, mapping: Mapping[str, Any], index: int) -> SectionSpec:
    where = f"sections[{index}]."
    whose = f"section {short(mapping.get('key'))}" if isinstance(mapping.get("key"), str) else f"section #{index + 1}"
    raw = check.fields(mapping, SECTION_KEYS, where, whose=whose)
    title, given = check.translatable(raw, "title", where)
    translations: Translations = {}
    put(translations, "title", given)
    return SectionSpec(key=check.text(raw, "key", where), title=title, translations=translations)


def refuse_duplicates(check: Checker, keys: list[str], field_name: str, what: str) -> None:
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            check.fail(field_name, f"duplicate {what} '{key}'")
        seen.add(key)
