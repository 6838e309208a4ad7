"""The methods appendix: what CREDES asks a Delphi report to state.

Source: Jünger S, Payne SA, Brine J, Radbruch L, Brearley SG. Guidance on Conducting and REporting
DElphi Studies (CREDES) in palliative care: recommendations based on a methodological systematic
review. Palliat Med 2017;31(8):684–706. Its reporting items covered here: panel composition,
response rates per round (see :mod:`.panel` and :data:`PARTICIPATION`), the definition of consensus
and when it was fixed, the stopping rule and number of rounds, how the items changed between rounds, the feedback given
between rounds, and how anonymity was kept. ACCORD and DELPHISTAR join them in :mod:`.checklist`;
the reminders sent and what the audit trail says of the rule are stated here (:func:`rule_audit`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from surveys.stats import RuleError, parse_consensus_rule, parse_stopping_rule
from surveys.stats.weighted import WEIGHTED_FIGURES

from .finding import FINDING_RULES
from .source import Row

CHANGE_KINDS = ("asked", "carried", "reworded", "added", "decided", "dropped")
CHANGE_LABELS = {
    "asked": "asked in the first round",
    "carried": "carried forward unchanged",
    "reworded": "reworded (its trajectory continues)",
    "added": "added",
    "decided": "retired: consensus reached",
    "dropped": "dropped without consensus",
}
FEEDBACK = (
    "From round 2 on, each expert saw their own previous rating, the group median and interquartile "
    "range, the distribution of ratings, the share agreeing, and the other experts' rationales "
    "without names; an expert rating outside the group's IQR was asked for a reason."
)
STATISTICS = (
    'n counts valid ratings; "can\'t answer" is excluded from n and reported as abstentions.',
    "Quantiles by linear interpolation (Hyndman & Fan type 7, R's default); IQR = Q3 − Q1.",
    "Standard deviation with n − 1; CV = sd / mean.",
    "% agree and % disagree: the share of valid ratings in the dimension's agree or disagree band.",
    "Kendall's W per dimension with the tie correction (Kendall & Babington Smith 1939).",
    "Stability between rounds on experts who answered both: Wilcoxon signed-rank test, "
    "quadratic-weighted kappa, share unchanged, Scheibe et al.'s (1975) % change (stable below 15%).",
    WEIGHTED_FIGURES,
)

#: Who counts in a round's response rate, and what revoking or withdrawing means for answers
#: (the definitions are :mod:`surveys.stats.participation`'s; the dashboard and aggregation use them too).
PARTICIPATION = (
    "Response rate of a round: experts who submitted over experts invited. Invited means on the panel when "
    "the round closed (joined before it, not revoked or withdrawn by then), or having submitted in it; so the "
    "rate never exceeds 100%. While a round is open, the share so far is shown as progress, not as a rate.",
    "Attrition: the share of the previous round's respondents who did not submit in a round.",
    "Answers an expert submitted before being revoked, or before withdrawing, count: they stay in the "
    "statistics, and the expert counts as invited and answered in those rounds.",
    "An expert may withdraw and have their answers deleted: every rating, rationale and open answer of theirs "
    "is deleted in every round, and the aggregated rounds are computed again without them. They remain "
    "counted as invited to the rounds they were on the panel for, but not as having answered.",
)


@dataclass(frozen=True)
class Methods:
    """The appendix's statements, ready to print."""

    consensus_rule: str
    consensus_rule_data: Mapping[str, Any]
    consensus_rule_frozen_at: datetime | None
    stopping_rule: str
    agree_threshold: float | None
    min_group_size: int
    rounds_reported: int
    rounds_total: int
    feedback: str
    statistics: tuple[str, ...]
    anonymity: tuple[str, ...]
    reminders_sent: tuple[tuple[int, int], ...] = ()  # (round number, reminder emails sent), reported rounds
    rule_audit: str = ""  # whether the audit trail shows the rule changed after it was fixed
    findings: tuple[str, ...] = FINDING_RULES  # how the plain-language findings are worded (.finding)


def rule_audit(audit: Sequence[Row], current: Mapping[str, Any], frozen_at: datetime | None) -> str:
    """What the audit trail says of the consensus rule since it was fixed (ACCORD R2, DELPHISTAR 32).

    The ``study.rule_frozen`` event records the rule as it was when round 1 opened; the platform
    refuses to change a fixed rule (study file import, admin), so a difference means the stored rule
    was altered outside it, and the report says so.
    """
    if frozen_at is None:
        return "The rule is not fixed yet: round 1 has not opened."
    frozen = [e for e in audit if e["action"] == "study.rule_frozen"]
    if not frozen:
        return f"Fixed on {frozen_at:%Y-%m-%d %H:%M} UTC; the audit trail holds no record of the rule as fixed."
    recorded = (frozen[-1]["detail"] or {}).get("consensus_rule")
    when = f"Fixed on {frozen[-1]['created_at']:%Y-%m-%d %H:%M} UTC, when round 1 opened"
    if recorded is None or recorded == dict(current or {}):
        return f"{when}; the audit trail records no change since."
    return (
        f"{when}; the rule stored now differs from the one recorded then ({describe_consensus_rule(recorded)}), "
        "a change the platform does not allow: check the audit trail."
    )


def describe_consensus_rule(data: Mapping[str, Any]) -> str:
    try:
        return parse_consensus_rule(data).describe()
    except RuleError as exc:
        return f"The stored consensus rule is not valid ({exc})."


def describe_stopping_rule(data: Mapping[str, Any]) -> str:
    try:
        return parse_stopping_rule(data).describe()
    except RuleError as exc:
        return f"No valid stopping rule is stored ({exc})."


def agree_threshold(data: Mapping[str, Any]) -> float | None:
    """The share agreeing that the rule asks for, drawn as a line on the % agree charts.

    ``cos``: ``agree_min``; ``percent``: ``threshold``; a custom rule: its first ``pct_agree ≥``
    criterion. IQR and RAND/UCLA rules have no such share: None.
    """
    try:
        rule = parse_consensus_rule(data)
    except RuleError:
        return None
    if rule.preset == "cos":
        return float(rule.param("agree_min"))
    if rule.preset == "percent":
        return float(rule.param("threshold"))
    if rule.preset == "custom":
        for criterion in rule.param("criteria"):
            if criterion.stat == "pct_agree" and criterion.op in (">=", ">"):
                return float(criterion.value)
    return None


def anonymity_statements(*, min_group_size: int, n_synthetic: int, panel_size: int) -> tuple[str, ...]:
    statements = [
        "Experts answered through personal invitation links; the tokens are stored only as hashes, and no "
        "expert saw who else was on the panel.",
        "Feedback between rounds showed group statistics and rationales without names.",
        f"A group's statistics for an item and dimension are shown only where at least {min_group_size} of its "
        "experts gave a valid rating there, in the feedback, in this report and in the API; elsewhere they are "
        "marked suppressed, with no count. Feedback to experts shows the whole panel's statistics on the same "
        f"terms. Groups with fewer than {min_group_size} members are pooled in the composition, attrition and "
        "ratings tables.",
        "No names or email addresses appear in this report; raw ratings are listed under stable pseudonyms.",
    ]
    if n_synthetic:
        statements.append(
            f"{n_synthetic} of {panel_size} panelists are synthetic (generated for a demonstration), not real experts."
        )
    return tuple(statements)


def item_changes(
    rounds: Sequence[Row],
    round_items: Sequence[tuple[int, int, int]],
    roots: Mapping[int, int],
    item_codes: Mapping[int, str],
    whole_verdicts: Mapping[tuple[int, str], set[str]],
    reworded_at: Mapping[int, datetime],
    open_roots: frozenset[int] = frozenset(),
) -> pd.DataFrame:
    """How the item set changed from each round to the next (CREDES: "item changes between rounds").

    Per round and lineage: ``asked`` (round 1), ``carried``, ``reworded`` (from RoundItems and
    ``Item.replaces``; the date from the ``item.reworded`` audit event), ``added``, and for the
    lineages of the round before that are missing: ``decided`` when the whole panel reached a
    verdict, in or out, on every dimension that counts toward consensus, else ``dropped`` (open
    questions, ``open_roots``, are asked in round 1 only). ``whole_verdicts`` maps (round number,
    root code) to that round's whole-panel verdicts on those dimensions.
    """
    held: dict[int, dict[int, int]] = {}
    round_ids = {row["id"]: row["number"] for row in rounds}
    for round_id, item_id, _order in round_items:
        if round_id in round_ids:
            held.setdefault(round_ids[round_id], {}).setdefault(roots[item_id], item_id)
    records = []
    previous: dict[int, int] | None = None
    previous_number = 0
    for row in rounds:
        number = row["number"]
        current = held.get(number, {})
        for root, item_id in current.items():
            root_code, code = item_codes[root], item_codes[item_id]
            if previous is None:
                change, detail = "asked", ""
            elif root not in previous:
                change, detail = "added", ""
            elif previous[root] == item_id:
                change, detail = "carried", ""
            else:
                change = "reworded"
                detail = f"{item_codes[previous[root]]} → {code}"
                if item_id in reworded_at:
                    detail += f" (on {reworded_at[item_id]:%Y-%m-%d})"
            records.append((number, change, code, root_code, detail))
        for root, item_id in (previous or {}).items():
            if root in current:
                continue
            verdicts = whole_verdicts.get((previous_number, item_codes[root]), set())
            if root in open_roots:
                records.append(
                    (number, "dropped", item_codes[item_id], item_codes[root], "open question: round 1 only")
                )
            elif verdicts and verdicts <= {"in", "out"}:
                kind = (
                    "in"
                    if verdicts == {"in"}
                    else "out"
                    if verdicts == {"out"}
                    else "in on some dimensions, out on others"
                )
                records.append((number, "decided", item_codes[item_id], item_codes[root], f"consensus {kind}"))
            else:
                records.append((number, "dropped", item_codes[item_id], item_codes[root], "no consensus"))
        previous, previous_number = current, number
    return pd.DataFrame(records, columns=["round", "change", "item_code", "lineage_root_code", "detail"])


def change_counts(changes: pd.DataFrame) -> pd.DataFrame:
    """Per round, how many lineages each kind of change touched (a column per kind, zeros included)."""
    if not len(changes):
        return pd.DataFrame(columns=["round", *CHANGE_KINDS])
    table = changes.pivot_table(index="round", columns="change", values="item_code", aggfunc="count", fill_value=0)
    return table.reindex(columns=list(CHANGE_KINDS), fill_value=0).reset_index().rename_axis(columns=None)
