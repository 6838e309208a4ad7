"""A study file's top level other than its structure: the slug and title, the source, the settings
(group size, the outside-IQR reason, weighting, time zone) and the consensus and stopping rules."""

from __future__ import annotations

import difflib
import functools
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from surveys.stats import RuleError, parse_consensus_rule, parse_stopping_rule
from surveys.study_yaml import short

from .checker import Checker, Fields
from .keys import BOOTSTRAP_RESAMPLES, DEFAULT_TIME_ZONE, FORMAT, IQR_REASON, SETTINGS_KEYS, SLUG_RE, SOURCE_KEYS


@dataclass(frozen=True)
class Settings:
    """The ``source`` and ``settings`` mappings, read and checked."""

    citation: str
    references: tuple[str, ...]
    min_group_size: int
    outside_iqr_reason: str
    expertise_weighting: bool
    time_zone: str
    bootstrap_resamples: int = BOOTSTRAP_RESAMPLES[2]


def read_slug(check: Checker, data: Mapping[str, Any]) -> str:
    """The file's format (which must be this one) and its slug."""
    if data.get("format") != FORMAT:
        check.fail("format", f"must be '{FORMAT}', not {short(data.get('format'))}")
    value = check.text(data, "slug", "")
    if value and not SLUG_RE.match(value):
        check.fail("slug", f"{short(value)} must be lowercase letters and digits joined by hyphens")
    return value


def _source_and_settings(check: Checker, data: Mapping[str, Any]) -> tuple[Fields, Fields]:
    source_raw = data.get("source") or {}
    settings_raw = data.get("settings") or {}
    if not isinstance(source_raw, Mapping) or not isinstance(settings_raw, Mapping):
        check.fail("source" if not isinstance(source_raw, Mapping) else "settings", "must be a mapping")
        source_raw, settings_raw = {}, {}
    source = check.fields(source_raw, SOURCE_KEYS, "source.", whose="source")
    return source, check.fields(settings_raw, SETTINGS_KEYS, "settings.", whose="settings")


def read_settings(check: Checker, data: Mapping[str, Any]) -> Settings:
    """The source and the settings, defaults filled in; every problem is recorded on ``check``."""
    source, raw = _source_and_settings(check, data)
    references = source.get("references") or []
    if not isinstance(references, list):
        check.fail("source.references", "must be a list of strings")
        references = []
    min_group = check.integer(raw.get("min_group_size", 3), "settings.min_group_size")
    if min_group is not None and min_group < 2:
        check.fail("settings.min_group_size", f"must be at least 2, not {min_group}")
    reason = raw.get("outside_iqr_reason", "optional")
    if not isinstance(reason, str) or reason not in IQR_REASON:
        check.fail("settings.outside_iqr_reason", f"{short(reason)} must be one of {', '.join(IQR_REASON)}")
    weighting = raw.get("expertise_weighting", False)
    if not isinstance(weighting, bool):
        check.fail("settings.expertise_weighting", f"must be true or false, not {short(weighting)}")
    least, most, default = BOOTSTRAP_RESAMPLES
    resamples = check.integer(raw.get("bootstrap_resamples", default), "settings.bootstrap_resamples")
    if resamples is not None and not least <= resamples <= most:
        check.fail("settings.bootstrap_resamples", f"must be from {least} to {most:,}, not {resamples}")
    return Settings(
        citation=str(source.get("citation") or "").strip(),
        references=tuple(str(r).strip() for r in references),
        min_group_size=min_group or 3,
        outside_iqr_reason=str(reason),
        expertise_weighting=weighting is True,
        time_zone=read_time_zone(check, raw.get("time_zone", DEFAULT_TIME_ZONE)),
        bootstrap_resamples=resamples or default,
    )


@functools.cache
def _zones() -> dict[str, str]:
    """IANA zone names by their lower-case spelling (for a suggestion when only the case is wrong)."""
    return {name.lower(): name for name in zoneinfo.available_timezones()}


def read_time_zone(check: Checker, value: Any) -> str:
    if isinstance(value, str) and value in _zones().values():
        return value
    name = str(value)
    close = _zones().get(name.lower()) or next(iter(difflib.get_close_matches(name, _zones().values(), n=1)), None)
    hint = f"; did you mean '{close}'?" if close else ", e.g. UTC, Europe/Berlin or Asia/Kabul"
    check.fail("settings.time_zone", f"{short(value)} is not an IANA time zone name{hint}")
    return DEFAULT_TIME_ZONE


def read_rules(check: Checker, data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
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
