"""The stopping rule: when a study has had enough rounds.

Shape (``docs/study-format.md``)::

    stopping_rule:
      max_rounds: 3                          # required, 1..20: stop after this many rounds
      criteria: [all_decided, all_stable]    # optional: stop early when ANY of them holds

- ``all_decided``: every whole-panel item × dimension has a consensus verdict, "in" or "out";
- ``all_stable``: every whole-panel item × dimension is stable against the previous round (see
  :mod:`surveys.stats.stability`); never met after round 1, which has no previous round.

Stopping on stability as well as on consensus follows Dajani, Sincoff & Talley (1979) and
von der Gracht (2012): a panel that no longer moves has said what it will say.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .errors import RuleError, short

CRITERIA = ("all_decided", "all_stable")
MAX_ROUNDS_LIMIT = 20
ROOT = "stopping_rule"


@dataclass(frozen=True)
class StoppingRule:
    """At most ``max_rounds`` rounds; stop earlier when any of ``criteria`` holds."""

    max_rounds: int
    criteria: tuple[str, ...] = ()

    def describe(self) -> str:
        text = f"Stop after at most {self.max_rounds} round{'s' if self.max_rounds != 1 else ''}"
        early = {"all_decided": "every item has a consensus verdict", "all_stable": "every item is stable"}
        if self.criteria:
            text += ", or earlier when " + " or when ".join(early[c] for c in self.criteria)
        return text + "."


@dataclass(frozen=True)
class StopDecision:
    """Whether the study should stop now, and why (or why not), in words for the facilitator."""

    is_met: bool
    reason: str


def parse_stopping_rule(data: Mapping[str, Any]) -> StoppingRule:
    """Validate a stopping rule as written in a study file; raise :class:`RuleError` if it is wrong."""
    if not isinstance(data, Mapping):
        raise RuleError(ROOT, "must be a mapping, e.g. {max_rounds: 3, criteria: [all_decided]}")
    for key in data:
        if key not in ("max_rounds", "criteria"):
            close = difflib.get_close_matches(str(key), ["max_rounds", "criteria"], n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise RuleError(f"{ROOT}.{key}", f"is not a stopping rule field; {hint}use max_rounds and criteria")
    if "max_rounds" not in data:
        raise RuleError(f"{ROOT}.max_rounds", f"is required: a whole number from 1 to {MAX_ROUNDS_LIMIT}")
    max_rounds = data["max_rounds"]
    if not isinstance(max_rounds, int) or isinstance(max_rounds, bool) or not 1 <= max_rounds <= MAX_ROUNDS_LIMIT:
        raise RuleError(
            f"{ROOT}.max_rounds", f"must be a whole number from 1 to {MAX_ROUNDS_LIMIT}; got {short(max_rounds)}"
        )
    raw = data.get("criteria", [])
    if not isinstance(raw, list | tuple):
        raise RuleError(f"{ROOT}.criteria", f"must be a list drawn from {', '.join(CRITERIA)}; got {short(raw)}")
    for index, criterion in enumerate(raw):
        if criterion not in CRITERIA:
            raise RuleError(
                f"{ROOT}.criteria[{index}]",
                f"unknown stopping criterion {short(criterion)}; choose from {', '.join(CRITERIA)}",
            )
        if criterion in raw[:index]:
            raise RuleError(f"{ROOT}.criteria[{index}]", f"{short(criterion)} is listed twice")
    return StoppingRule(max_rounds=max_rounds, criteria=tuple(raw))


def stopping_rule_to_data(rule: StoppingRule) -> dict[str, Any]:
    """The rule as plain data; ``criteria`` is left out when there are none."""
    data: dict[str, Any] = {"max_rounds": rule.max_rounds}
    if rule.criteria:
        data["criteria"] = list(rule.criteria)
    return data


def evaluate_stopping(
    rule: StoppingRule,
    *,
    rounds_completed: int,
    verdicts: pd.Series | Sequence[str],
    stable: pd.Series | Sequence[bool] | None,
) -> StopDecision:
    """Decide whether to stop after ``rounds_completed`` aggregated rounds.

    ``verdicts`` are the whole-panel verdicts of the last round (one per item × dimension; ``""``
    counts as undecided). ``stable`` are the whole-panel ``is_stable`` flags of the last round
    against the one before, or None/empty after round 1 (a missing flag counts as not stable).
    The decision is met when the round limit is reached or any listed criterion holds; the reason
    names every condition that holds, or what is still missing.
    """
    decided = [str(v) in ("in", "out") for v in _values(verdicts)]
    steady = [_is_true(v) for v in _values(stable)]
    met: list[str] = []
    if rounds_completed >= rule.max_rounds:
        met.append(f"Round {rounds_completed} of at most {rule.max_rounds} reached")
    if "all_decided" in rule.criteria and decided and all(decided):
        met.append(f"Every item has a verdict (all {len(decided)} in or out)")
    if "all_stable" in rule.criteria and steady and all(steady):
        met.append(f"Every item is stable against the previous round (all {len(steady)})")
    if met:
        return StopDecision(is_met=True, reason="; ".join(met) + ".")
    waiting = [f"Round {rounds_completed} of at most {rule.max_rounds} done"]
    if "all_decided" in rule.criteria:
        waiting.append(f"{decided.count(False)} of {len(decided)} item ratings have no verdict yet")
    if "all_stable" in rule.criteria:
        if steady:
            waiting.append(f"{steady.count(False)} of {len(steady)} are not yet stable")
        else:
            waiting.append("stability needs a previous round")
    return StopDecision(is_met=False, reason="; ".join(waiting) + ".")


def _values(values: pd.Series | Sequence[Any] | None) -> list[Any]:
    if values is None:
        return []
    return list(values.tolist() if isinstance(values, pd.Series) else values)


def _is_true(value: Any) -> bool:
    """A stability flag: True, False, or missing (None, NaN, pd.NA) which counts as not stable."""
    return False if value is None or pd.isna(value) else bool(value)
