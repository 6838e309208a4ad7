"""The consensus rule a study declares before round 1: parsing, validation, export, description.

The rule is data, never code: a preset name with its parameters, or a custom list of
``{stat, op, value}`` criteria joined by ``all`` or ``any``. Operators are looked up in a fixed
table; no string is ever evaluated. The YAML shape is documented in ``docs/study-format.md``::

    consensus_rule: {preset: cos}                         # agree_min 0.70, disagree_max 0.15
    consensus_rule: {preset: percent, threshold: 0.8}     # default 0.75
    consensus_rule: {preset: iqr, max_iqr: 1}             # default 1 on ≤ 5 points, else 2
    consensus_rule: {preset: rand_ucla}
    consensus_rule: {preset: custom, join: all, criteria: [...], out_criteria: [...]}

Besides the numeric statistics a custom criterion may test the two axes of
:mod:`surveys.stats.direction`: ``{stat: direction, op: "==", value: agree}`` (agree, neutral or
disagree) and ``{stat: has_consensus, op: "==", value: true}`` (the dispersion criterion, IQR ≤
``max_iqr``, which a custom rule may set like the ``iqr`` preset), both with ``==`` or ``!=`` only.

Errors are :class:`RuleError` with the dotted ``field`` of the offending entry, e.g.
``consensus_rule.criteria[1].op`` (list positions count from 0).
"""

from __future__ import annotations

import difflib
import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from .errors import RuleError, short

PRESETS = ("cos", "percent", "iqr", "rand_ucla", "custom")
JOINS = ("all", "any")
OPERATORS: Mapping[str, Callable[[Any, Any], Any]] = MappingProxyType(
    {
        "<": operator.lt,
        "<=": operator.le,
        ">": operator.gt,
        ">=": operator.ge,
        "==": operator.eq,
        "!=": operator.ne,
    }
)
CRITERION_STATS = (
    "n",
    "mean",
    "sd",
    "median",
    "q1",
    "q3",
    "iqr",
    "pct_agree",
    "pct_disagree",
    "cv",
    "ipr",
    "ipras",
    "direction",
    "has_consensus",
)
AXIS_STATS = ("direction", "has_consensus")  # compared with == or != to a word or a boolean, not a number
DIRECTION_VALUES = ("agree", "neutral", "disagree")
SHARE_STATS = ("pct_agree", "pct_disagree")
STAT_LABELS = {
    "pct_agree": "% agree",
    "pct_disagree": "% disagree",
    "iqr": "IQR",
    "ipr": "IPR",
    "ipras": "IPRAS",
    "has_consensus": "has consensus",
}

# Parameters of each preset with their defaults (None: depends on the dimension's scale).
PRESET_PARAMETERS: Mapping[str, Mapping[str, Any]] = MappingProxyType(
    {
        "cos": {"agree_min": 0.70, "disagree_max": 0.15},
        "percent": {"threshold": 0.75},
        "iqr": {"max_iqr": None},
        "rand_ucla": {},
        "custom": {"join": "all", "criteria": (), "out_criteria": (), "max_iqr": None},
    }
)
ROOT = "consensus_rule"


@dataclass(frozen=True)
class Criterion:
    """One custom test: ``stat op value``, e.g. ``pct_agree >= 0.8`` or ``direction == "agree"``."""

    stat: str
    op: str
    value: float | str | bool

    def holds(self, observed: Any) -> Any:
        """Apply the operator (works on numbers and numpy arrays alike)."""
        return OPERATORS[self.op](observed, self.value)

    def describe(self) -> str:
        label = STAT_LABELS.get(self.stat, self.stat)
        if self.stat == "has_consensus":
            value = "yes" if self.value else "no"
        elif self.stat == "direction":
            value = str(self.value)
        else:
            value = _percent(self.value) if self.stat in SHARE_STATS else f"{self.value:g}"  # type: ignore[arg-type]
        symbol = {"<=": "≤", ">=": "≥", "!=": "≠", "==": "="}.get(self.op, self.op)
        return f"{label} {symbol} {value}"


@dataclass(frozen=True)
class ConsensusRule:
    """A validated consensus rule: the preset and the parameters exactly as given (read-only).

    Custom criteria are held as tuples of :class:`Criterion`. Use :meth:`param` for a parameter
    with its default filled in.
    """

    preset: str
    params: Mapping[str, Any]

    def __hash__(self) -> int:
        return hash((self.preset, tuple(sorted(self.params.items()))))

    def param(self, name: str) -> Any:
        """The parameter as given, else the preset's default."""
        return self.params.get(name, PRESET_PARAMETERS[self.preset][name])

    def describe(self) -> str:
        """The rule in one plain-English sentence, for the methods appendix and the UI."""
        if self.preset == "cos":
            agree, disagree = _percent(self.param("agree_min")), _percent(self.param("disagree_max"))
            return (
                f"Consensus in when at least {agree} rate in the agree band and fewer than {disagree} in the "
                f"disagree band; out when at least {agree} disagree and fewer than {disagree} agree "
                "(core outcome set standard, COMET; Williamson et al. 2017)."
            )
        if self.preset == "percent":
            threshold = _percent(self.param("threshold"))
            return (
                f"Consensus in when at least {threshold} rate in the agree band; out when at least {threshold} "
                "rate in the disagree band (Diamond et al. 2014)."
            )
        if self.preset == "iqr":
            max_iqr = self.param("max_iqr")
            limit = "1 on scales of up to 5 points and 2 on larger ones" if max_iqr is None else f"{max_iqr:g}"
            return (
                f"Consensus when the interquartile range is at most {limit}: in when the median lies in the "
                "agree band, out when it lies in the disagree band (von der Gracht 2012)."
            )
        if self.preset == "rand_ucla":
            return (
                "RAND/UCLA: in when the median lies in the top third of the scale (7–9 on 1–9) and the panel "
                "does not disagree by the IPRAS test; out when it lies in the bottom third (1–3) without "
                "disagreement (Fitch et al. 2001)."
            )
        join = " and " if self.param("join") == "all" else " or "
        text = "Consensus in when " + join.join(c.describe() for c in self.param("criteria"))
        out = self.param("out_criteria")
        text += ("; out when " + join.join(c.describe() for c in out)) if out else "; never out"
        if any(c.stat == "has_consensus" for c in (*self.param("criteria"), *out)):
            max_iqr = self.param("max_iqr")
            limit = "1 on scales of up to 5 points and 2 on larger ones" if max_iqr is None else f"{max_iqr:g}"
            text += f"; consensus on dispersion means an interquartile range of at most {limit}"
        return text + " (custom rule)."


def parse_consensus_rule(data: Mapping[str, Any]) -> ConsensusRule:
    """Validate a consensus rule as written in a study file; raise :class:`RuleError` if it is wrong."""
    if not isinstance(data, Mapping):
        raise RuleError(ROOT, "must be a mapping with a preset, e.g. {preset: cos}")
    preset = data.get("preset")
    choices = ", ".join(PRESETS)
    if preset is None:
        raise RuleError(f"{ROOT}.preset", f"is required; choose one of {choices}")
    if preset not in PRESETS:
        raise RuleError(f"{ROOT}.preset", f"unknown consensus preset {short(preset)}; choose one of {choices}")
    allowed = PRESET_PARAMETERS[preset]
    params: dict[str, Any] = {}
    for name, raw in data.items():
        if name == "preset":
            continue
        if name not in allowed:
            takes = f"it takes {', '.join(allowed)}" if allowed else "it takes no parameters"
            raise RuleError(
                f"{ROOT}.{name}", f"is not a parameter of preset {preset!r}; {_did_you_mean(name, allowed)}{takes}"
            )
        params[name] = _parameter(name, raw)
    if preset == "custom" and "criteria" not in params:
        raise RuleError(f"{ROOT}.criteria", "is required for a custom rule: a list of {stat, op, value}")
    return ConsensusRule(preset=preset, params=MappingProxyType(params))


def rule_to_data(rule: ConsensusRule) -> dict[str, Any]:
    """The rule as plain data, exactly as it was written: ``parse_consensus_rule`` of it gives it back."""
    data: dict[str, Any] = {"preset": rule.preset}
    for name, value in rule.params.items():
        if name in ("criteria", "out_criteria"):
            data[name] = [{"stat": c.stat, "op": c.op, "value": c.value} for c in value]
        else:
            data[name] = value
    return data


def _did_you_mean(word: Any, choices: Any) -> str:
    """'did you mean 'x'? ' for the closest of ``choices`` to a misspelt key, else nothing."""
    close = difflib.get_close_matches(str(word), list(choices), n=1)
    return f"did you mean {close[0]!r}? " if close else ""


def _parameter(name: str, raw: Any) -> Any:
    field = f"{ROOT}.{name}"
    if name in ("agree_min", "disagree_max", "threshold"):
        if not _is_number(raw) or not 0 < raw <= 1:
            raise RuleError(field, f"must be a share in (0, 1], e.g. 0.75 for 75%; got {short(raw)}")
        return raw
    if name == "max_iqr":
        if not _is_number(raw) or raw < 0:
            raise RuleError(field, f"must be a number ≥ 0 (the largest IQR that counts as consensus); got {short(raw)}")
        return raw
    if name == "join":
        if raw not in JOINS:
            raise RuleError(field, f"must be 'all' or 'any'; got {short(raw)}")
        return raw
    return _criteria(name, raw)


def _criteria(name: str, raw: Any) -> tuple[Criterion, ...]:
    field = f"{ROOT}.{name}"
    if not isinstance(raw, list | tuple) or (name == "criteria" and not raw):
        emptiness = "non-empty " if name == "criteria" else ""
        raise RuleError(field, f"must be a {emptiness}list of {{stat, op, value}} mappings")
    return tuple(_criterion(f"{field}[{index}]", entry) for index, entry in enumerate(raw))


def _criterion(field: str, raw: Any) -> Criterion:
    if not isinstance(raw, Mapping):
        raise RuleError(field, "must be a mapping {stat, op, value}")
    for key in raw:
        if key not in ("stat", "op", "value"):
            hint = _did_you_mean(key, ("stat", "op", "value"))
            raise RuleError(f"{field}.{key}", f"is not a criterion field; {hint}use stat, op and value")
    for key in ("stat", "op", "value"):
        if key not in raw:
            raise RuleError(f"{field}.{key}", "is required")
    stat, op, value = raw["stat"], raw["op"], raw["value"]
    if stat not in CRITERION_STATS:
        raise RuleError(f"{field}.stat", f"unknown statistic {short(stat)}; choose one of {', '.join(CRITERION_STATS)}")
    if op not in OPERATORS:
        raise RuleError(f"{field}.op", f"unknown operator {short(op)}; choose one of {', '.join(OPERATORS)}")
    if stat in AXIS_STATS:
        return _axis_criterion(field, stat, op, value)
    if not _is_number(value):
        raise RuleError(f"{field}.value", f"must be a number; got {short(value)}")
    if stat in SHARE_STATS and not 0 <= value <= 1:
        raise RuleError(f"{field}.value", f"{stat} is a share in [0, 1] (0.8 means 80%); got {short(value)}")
    return Criterion(stat=stat, op=op, value=value)


def _axis_criterion(field: str, stat: str, op: str, value: Any) -> Criterion:
    """``direction`` takes agree / neutral / disagree, ``has_consensus`` true / false; both only == or !=."""
    if op not in ("==", "!="):
        raise RuleError(f"{field}.op", f"{stat} is compared with == or != only; got {short(op)}")
    if stat == "direction" and value not in DIRECTION_VALUES:
        raise RuleError(f"{field}.value", f"direction is one of {', '.join(DIRECTION_VALUES)}; got {short(value)}")
    if stat == "has_consensus" and not isinstance(value, bool):
        raise RuleError(f"{field}.value", f"has_consensus is true or false; got {short(value)}")
    return Criterion(stat=stat, op=op, value=value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _percent(share: float) -> str:
    return f"{share * 100:g}%"
