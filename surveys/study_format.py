"""The study file format ``delphi-study/1`` (docs/study-format.md): parse and validate, no database.

``parse_study`` turns YAML text into a ``StudySpec`` or raises ``StudyFileError`` listing every
problem, each naming the item code and the field. ``spec_to_data`` is the inverse used by export.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from surveys.errors import FieldError, StudyFileError
from surveys.stats import RuleError, parse_consensus_rule, parse_stopping_rule

FORMAT = "delphi-study/1"
KINDS = ("question", "claim", "risk", "recommendation", "forecast", "open")
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
KEY_RE = re.compile(r"^[a-z][a-z0-9_-]*$")
CODE_RE = re.compile(r"^[A-Za-z]+[0-9]+(?:r[0-9]+)?[a-z]?$")
IQR_REASON = ("required", "optional", "off")


@dataclass(frozen=True)
class DimensionSpec:
    key: str
    label: str
    question: str
    scale_min: int
    scale_max: int
    labels: dict[int, str]
    agree: tuple[int, int]
    disagree: tuple[int, int]
    consensus: bool = True


@dataclass(frozen=True)
class SectionSpec:
    key: str
    title: str


@dataclass(frozen=True)
class ItemSpec:
    code: str
    kind: str
    section: str
    text: str
    source: str
    dimensions: tuple[str, ...]
    order: int
    replaces: str | None


@dataclass(frozen=True)
class StudySpec:
    slug: str
    title: str
    description: str
    citation: str
    references: tuple[str, ...]
    min_group_size: int
    outside_iqr_reason: str
    expertise_weighting: bool
    consensus_rule: dict[str, Any]
    stopping_rule: dict[str, Any]
    dimensions: tuple[DimensionSpec, ...]
    sections: tuple[SectionSpec, ...]
    items: tuple[ItemSpec, ...] = field(default_factory=tuple)


class _Checker:
    """Collects every error instead of stopping at the first, so a file is fixed in one pass."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def fail(self, field_name: str, message: str, item: str = "") -> None:
        self.errors.append(FieldError(field=field_name, message=message, item=item))

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
            self.fail(field_name, f"must be a whole number, not {value!r}", item)
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


def _band(check: _Checker, raw: Any, field_name: str, low: int, high: int) -> tuple[int, int]:
    if not (
        isinstance(raw, list) and len(raw) == 2 and all(isinstance(v, int) and not isinstance(v, bool) for v in raw)
    ):
        check.fail(field_name, f"must be a pair of whole numbers [low, high], not {raw!r}")
        return (low, low)
    a, b = raw
    if not (low <= a <= b <= high):
        check.fail(field_name, f"[{a}, {b}] must lie inside the scale {low}..{high} with low ≤ high")
    return (a, b)


def _dimension(check: _Checker, raw: Mapping[str, Any], index: int) -> DimensionSpec | None:
    where = f"dimensions[{index}]."
    key = check.text(raw, "key", where)
    if key and not KEY_RE.match(key):
        check.fail(f"{where}key", f"'{key}' must be lowercase letters, digits, '-' or '_'")
    scale = raw.get("scale")
    if not isinstance(scale, Mapping):
        check.fail(f"{where}scale", "is required: {min, max, labels}")
        return None
    low = check.integer(scale.get("min"), f"{where}scale.min")
    high = check.integer(scale.get("max"), f"{where}scale.max")
    if low is None or high is None:
        return None
    if low >= high:
        check.fail(f"{where}scale", f"min ({low}) must be less than max ({high})")
        return None
    labels_raw = scale.get("labels") or {}
    labels: dict[int, str] = {}
    if not isinstance(labels_raw, Mapping):
        check.fail(f"{where}scale.labels", "must map scale points to labels")
    else:
        for point, label in labels_raw.items():
            if not isinstance(point, int) or not low <= point <= high:
                check.fail(f"{where}scale.labels", f"point {point!r} is not on the scale {low}..{high}")
            else:
                labels[point] = str(label)
    return DimensionSpec(
        key=key,
        label=check.text(raw, "label", where) or key,
        question=check.text(raw, "question", where, required=False),
        scale_min=low,
        scale_max=high,
        labels=labels,
        agree=_band(check, raw.get("agree"), f"{where}agree", low, high),
        disagree=_band(check, raw.get("disagree"), f"{where}disagree", low, high),
        consensus=_flag(check, raw.get("consensus", True), f"{where}consensus"),
    )


def _flag(check: _Checker, value: Any, field_name: str) -> bool:
    if not isinstance(value, bool):
        check.fail(field_name, f"must be true or false, not {value!r}")
        return True
    return value


def _item(
    check: _Checker, raw: Mapping[str, Any], index: int, dimension_keys: set[str], section_keys: set[str]
) -> ItemSpec:
    code = str(raw.get("code") or "").strip()
    label = code or f"#{index + 1}"
    if not code:
        check.fail(f"items[{index}].code", "is required", label)
    elif not CODE_RE.match(code):
        check.fail("code", f"'{code}' must be letters then digits, e.g. Q1, C7, R2 (a rewording: C7r2)", label)
    kind = check.text(raw, "kind", "", item=label)
    if kind and kind not in KINDS:
        check.fail("kind", f"unknown kind '{kind}'; choose one of {', '.join(KINDS)}", label)
    section = check.text(raw, "section", "", item=label)
    if section and section not in section_keys:
        check.fail(
            "section", f"unknown section '{section}'; the file declares {', '.join(sorted(section_keys))}", label
        )
    dims_raw = raw.get("dimensions") or []
    if not isinstance(dims_raw, list):
        check.fail("dimensions", "must be a list of dimension keys", label)
        dims_raw = []
    for key in dims_raw:
        if key not in dimension_keys:
            check.fail(
                "dimensions", f"unknown dimension '{key}'; the file declares {', '.join(sorted(dimension_keys))}", label
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
    return ItemSpec(
        code=code,
        kind=kind,
        section=section,
        text=check.text(raw, "text", "", item=label),
        source=check.text(raw, "source", "", required=False, item=label),
        dimensions=tuple(str(k) for k in dims_raw),
        order=order,
        replaces=str(replaces).strip() if replaces else None,
    )


def _rules(check: _Checker, data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    rules: list[dict[str, Any]] = []
    for key, parse in (("consensus_rule", parse_consensus_rule), ("stopping_rule", parse_stopping_rule)):
        raw = data.get(key)
        if not isinstance(raw, Mapping):
            check.fail(key, "is required and must be a mapping")
            rules.append({})
            continue
        try:
            parse(raw)
        except RuleError as exc:
            check.fail(exc.field or key, str(exc))
        rules.append(dict(raw))
    return rules[0], rules[1]


def parse_study(text: str, filename: str) -> StudySpec:
    """Parse and validate a study file; raise ``StudyFileError`` naming every problem."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        raise StudyFileError(
            filename, [FieldError("yaml", f"malformed YAML at {where}: {getattr(exc, 'problem', exc)}")]
        ) from exc
    if not isinstance(data, Mapping):
        raise StudyFileError(filename, [FieldError("(top level)", "must be a mapping of study fields")])
    check = _Checker()
    if data.get("format") != FORMAT:
        check.fail("format", f"must be '{FORMAT}', not {data.get('format')!r}")
    slug = check.text(data, "slug", "")
    if slug and not SLUG_RE.match(slug):
        check.fail("slug", f"'{slug}' must be lowercase letters and digits joined by hyphens")
    source = data.get("source") or {}
    settings = data.get("settings") or {}
    if not isinstance(source, Mapping) or not isinstance(settings, Mapping):
        check.fail("source" if not isinstance(source, Mapping) else "settings", "must be a mapping")
        source, settings = {}, {}
    references = source.get("references") or []
    if not isinstance(references, list):
        check.fail("source.references", "must be a list of strings")
        references = []
    min_group = check.integer(settings.get("min_group_size", 3), "settings.min_group_size")
    if min_group is not None and min_group < 2:
        check.fail("settings.min_group_size", f"must be at least 2, not {min_group}")
    reason = settings.get("outside_iqr_reason", "optional")
    if reason not in IQR_REASON:
        check.fail("settings.outside_iqr_reason", f"'{reason}' must be one of {', '.join(IQR_REASON)}")
    weighting = settings.get("expertise_weighting", False)
    if not isinstance(weighting, bool):
        check.fail("settings.expertise_weighting", f"must be true or false, not {weighting!r}")
    consensus_rule, stopping_rule = _rules(check, data)

    dimensions = [d for i, raw in enumerate(check.mapping_list(data, "dimensions")) if (d := _dimension(check, raw, i))]
    _refuse_duplicates(check, [d.key for d in dimensions], "dimensions", "dimension key")
    sections = [
        SectionSpec(key=check.text(raw, "key", f"sections[{i}]."), title=check.text(raw, "title", f"sections[{i}]."))
        for i, raw in enumerate(check.mapping_list(data, "sections"))
    ]
    _refuse_duplicates(check, [s.key for s in sections], "sections", "section key")
    dimension_keys = {d.key for d in dimensions}
    section_keys = {s.key for s in sections}
    items = [
        _item(check, raw, i, dimension_keys, section_keys) for i, raw in enumerate(check.mapping_list(data, "items"))
    ]
    seen: set[str] = set()
    for item in items:
        if item.code and item.code in seen:
            check.fail("code", f"duplicate item code '{item.code}'", item.code)
        seen.add(item.code)
    for item in items:
        if item.replaces and (item.replaces not in seen or item.replaces == item.code):
            check.fail("replaces", f"'{item.replaces}' is not another item of this file", item.code)
    if check.errors:
        raise StudyFileError(filename, check.errors)
    return StudySpec(
        slug=slug,
        title=check.text(data, "title", ""),
        description=str(data.get("description") or "").strip(),
        citation=str(source.get("citation") or "").strip(),
        references=tuple(str(r).strip() for r in references),
        min_group_size=min_group or 3,
        outside_iqr_reason=str(reason),
        expertise_weighting=weighting is True,
        consensus_rule=consensus_rule,
        stopping_rule=stopping_rule,
        dimensions=tuple(dimensions),
        sections=tuple(sections),
        items=tuple(items),
    )


def _refuse_duplicates(check: _Checker, keys: list[str], field_name: str, what: str) -> None:
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            check.fail(field_name, f"duplicate {what} '{key}'")
        seen.add(key)


def spec_to_data(spec: StudySpec) -> dict[str, Any]:
    """The inverse of ``parse_study``: plain data in the file's layout, defaults left out."""
    items = []
    for position, item in enumerate(spec.items, start=1):
        entry: dict[str, Any] = {"code": item.code, "kind": item.kind, "section": item.section, "text": item.text}
        if item.source:
            entry["source"] = item.source
        entry["dimensions"] = list(item.dimensions)
        if item.order != position:
            entry["order"] = item.order
        if item.replaces:
            entry["replaces"] = item.replaces
        items.append(entry)
    return {
        "format": FORMAT,
        "slug": spec.slug,
        "title": spec.title,
        "description": spec.description,
        "source": {"citation": spec.citation, "references": list(spec.references)},
        "settings": {
            "min_group_size": spec.min_group_size,
            "outside_iqr_reason": spec.outside_iqr_reason,
            "expertise_weighting": spec.expertise_weighting,
        },
        "consensus_rule": spec.consensus_rule,
        "stopping_rule": spec.stopping_rule,
        "dimensions": [
            {
                "key": d.key,
                "label": d.label,
                "question": d.question,
                "scale": {"min": d.scale_min, "max": d.scale_max, "labels": dict(d.labels)},
                "agree": list(d.agree),
                "disagree": list(d.disagree),
                **({} if d.consensus else {"consensus": False}),
            }
            for d in spec.dimensions
        ],
        "sections": [{"key": s.key, "title": s.title} for s in spec.sections],
        "items": items,
    }


def dump_yaml(data: Mapping[str, Any]) -> str:
    return yaml.safe_dump(dict(data), sort_keys=False, allow_unicode=True, width=100)
