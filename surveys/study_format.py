"""The study file format ``delphi-study/1`` (docs/study-format.md): parse and validate, no database.

``parse_study`` turns YAML text into a ``StudySpec`` or raises ``StudyFileError`` listing every
problem, each naming the item code and the field. ``spec_to_data`` is the inverse used by export.

Each mapping of the file declares its keys once, below (``*_KEYS``). The parser reads a mapping
only through that declaration (``_Checker.fields``), which refuses every other key and suggests
the nearest declared one, so a misspelt ``outside_iqr_reson`` is an error, not a silent default.
"""

from __future__ import annotations

import difflib
import functools
import re
import zoneinfo
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from surveys.errors import FieldError, StudyFileError
from surveys.stats import RuleError, parse_consensus_rule, parse_stopping_rule
from surveys.study_yaml import load_study_yaml, short
from surveys.text_input import unstorable_paths

FORMAT = "delphi-study/1"
TOP_KEYS = (
    "format", "slug", "title", "description", "source", "settings", "consensus_rule", "stopping_rule",
    "dimensions", "sections", "items",
)  # fmt: skip
SOURCE_KEYS = ("citation", "references")
SETTINGS_KEYS = ("min_group_size", "outside_iqr_reason", "expertise_weighting", "time_zone")
DIMENSION_KEYS = ("key", "label", "question", "scale", "agree", "disagree", "consensus")
SCALE_KEYS = ("min", "max", "labels")
SECTION_KEYS = ("key", "title")
ITEM_KEYS = ("code", "kind", "section", "text", "source", "dimensions", "order", "replaces")
#: Every mapping of the file and its keys (the consensus and stopping rules declare theirs in surveys/stats).
FILE_KEYS: Mapping[str, tuple[str, ...]] = {
    "(top level)": TOP_KEYS,
    "source": SOURCE_KEYS,
    "settings": SETTINGS_KEYS,
    "dimension": DIMENSION_KEYS,
    "scale": SCALE_KEYS,
    "section": SECTION_KEYS,
    "item": ITEM_KEYS,
}
BACKUP_KEY = "data"  # the section export_study --with-data adds; only a restore reads it
BACKUP_NOTE = (
    "is the data section of a backup: restore it with `import_study --with-data` into a database "
    "without this study, or delete the section to import only the study's definition"
)
DEFAULT_TIME_ZONE = "UTC"
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
    time_zone: str
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

    def fields(
        self, raw: Mapping[str, Any], keys: tuple[str, ...], where: str, *, whose: str, item: str = ""
    ) -> _Fields:
        """``raw`` read through its declared ``keys``: each other key is an error naming it and ``whose`` it is."""
        for key in raw:
            if key not in keys:
                self.fail(f"{where}{key}", f"is not a key of {whose}; {nearest_key(str(key), keys)}", item)
        return _Fields(raw, keys)

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


class _Fields(Mapping[str, Any]):
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


@functools.cache
def _zones() -> dict[str, str]:
    """IANA zone names by their lower-case spelling (for a suggestion when only the case is wrong)."""
    return {name.lower(): name for name in zoneinfo.available_timezones()}


def _time_zone(check: _Checker, value: Any) -> str:
    if isinstance(value, str) and value in _zones().values():
        return value
    name = str(value)
    close = _zones().get(name.lower()) or next(iter(difflib.get_close_matches(name, _zones().values(), n=1)), None)
    hint = f"; did you mean '{close}'?" if close else ", e.g. UTC, Europe/Berlin or Asia/Kabul"
    check.fail("settings.time_zone", f"{short(value)} is not an IANA time zone name{hint}")
    return DEFAULT_TIME_ZONE


def _band(check: _Checker, raw: Any, field_name: str, low: int, high: int) -> tuple[int, int]:
    if not (
        isinstance(raw, list) and len(raw) == 2 and all(isinstance(v, int) and not isinstance(v, bool) for v in raw)
    ):
        check.fail(field_name, f"must be a pair of whole numbers [low, high], not {short(raw)}")
        return (low, low)
    a, b = raw
    if not (low <= a <= b <= high):
        check.fail(field_name, f"[{a}, {b}] must lie inside the scale {low}..{high} with low ≤ high")
    return (a, b)


def _dimension(check: _Checker, mapping: Mapping[str, Any], index: int) -> DimensionSpec | None:
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
    labels_raw = scale.get("labels") or {}
    labels: dict[int, str] = {}
    if not isinstance(labels_raw, Mapping):
        check.fail(f"{where}scale.labels", "must map scale points to labels")
    else:
        for point, label in labels_raw.items():
            if not isinstance(point, int) or not low <= point <= high:
                check.fail(f"{where}scale.labels", f"point {short(point)} is not on the scale {low}..{high}")
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
        check.fail(field_name, f"must be true or false, not {short(value)}")
        return True
    return value


def _item(
    check: _Checker, mapping: Mapping[str, Any], index: int, dimension_keys: set[str], section_keys: set[str]
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
    return parse_study_data(load_study_yaml(text, filename), filename)


def parse_study_data(document: Any, filename: str) -> StudySpec:
    """Validate a study file already parsed (by ``load_study_yaml``, or JSON from the API)."""
    if not isinstance(document, Mapping):
        raise StudyFileError(filename, [FieldError("(top level)", "must be a mapping of study fields")])
    check = _Checker()
    for path, problem in unstorable_paths(document):  # e.g. a "\0" escape: a NUL that PostgreSQL cannot hold
        check.fail(path, problem)
    if BACKUP_KEY in document:
        check.fail(BACKUP_KEY, BACKUP_NOTE)
    data = check.fields(
        {k: v for k, v in document.items() if k != BACKUP_KEY}, TOP_KEYS, "", whose="a study file (top level)"
    )
    if data.get("format") != FORMAT:
        check.fail("format", f"must be '{FORMAT}', not {short(data.get('format'))}")
    slug = check.text(data, "slug", "")
    if slug and not SLUG_RE.match(slug):
        check.fail("slug", f"{short(slug)} must be lowercase letters and digits joined by hyphens")
    source_raw = data.get("source") or {}
    settings_raw = data.get("settings") or {}
    if not isinstance(source_raw, Mapping) or not isinstance(settings_raw, Mapping):
        check.fail("source" if not isinstance(source_raw, Mapping) else "settings", "must be a mapping")
        source_raw, settings_raw = {}, {}
    source = check.fields(source_raw, SOURCE_KEYS, "source.", whose="source")
    settings = check.fields(settings_raw, SETTINGS_KEYS, "settings.", whose="settings")
    references = source.get("references") or []
    if not isinstance(references, list):
        check.fail("source.references", "must be a list of strings")
        references = []
    min_group = check.integer(settings.get("min_group_size", 3), "settings.min_group_size")
    if min_group is not None and min_group < 2:
        check.fail("settings.min_group_size", f"must be at least 2, not {min_group}")
    reason = settings.get("outside_iqr_reason", "optional")
    if not isinstance(reason, str) or reason not in IQR_REASON:
        check.fail("settings.outside_iqr_reason", f"{short(reason)} must be one of {', '.join(IQR_REASON)}")
    weighting = settings.get("expertise_weighting", False)
    if not isinstance(weighting, bool):
        check.fail("settings.expertise_weighting", f"must be true or false, not {short(weighting)}")
    time_zone = _time_zone(check, settings.get("time_zone", DEFAULT_TIME_ZONE))
    consensus_rule, stopping_rule = _rules(check, data)

    dimensions = [d for i, raw in enumerate(check.mapping_list(data, "dimensions")) if (d := _dimension(check, raw, i))]
    _refuse_duplicates(check, [d.key for d in dimensions], "dimensions", "dimension key")
    sections = [_section(check, raw, i) for i, raw in enumerate(check.mapping_list(data, "sections"))]
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
            check.fail("replaces", f"{short(item.replaces)} is not another item of this file", item.code)
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
        time_zone=time_zone,
        consensus_rule=consensus_rule,
        stopping_rule=stopping_rule,
        dimensions=tuple(dimensions),
        sections=tuple(sections),
        items=tuple(items),
    )


def _section(check: _Checker, mapping: Mapping[str, Any], index: int) -> SectionSpec:
    where = f"sections[{index}]."
    whose = f"section {short(mapping.get('key'))}" if isinstance(mapping.get("key"), str) else f"section #{index + 1}"
    raw = check.fields(mapping, SECTION_KEYS, where, whose=whose)
    return SectionSpec(key=check.text(raw, "key", where), title=check.text(raw, "title", where))


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
            "time_zone": spec.time_zone,
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
