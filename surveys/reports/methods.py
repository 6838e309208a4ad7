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
from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_lazy, ngettext
from django.utils.translation import gettext as _

from surveys.stats import RuleError, parse_consensus_rule, parse_stopping_rule

from .finding import FINDING_RULES
from .source import Row

CHANGE_KINDS = ("asked", "carried", "reworded", "added", "decided", "dropped")
CHANGE_LABELS = {  # translated where shown (str() in the report's language)
    "asked": gettext_lazy("asked in the first round"),
    "carried": gettext_lazy("carried forward unchanged"),
    "reworded": gettext_lazy("reworded (its trajectory continues)"),
    "added": gettext_lazy("added"),
    "decided": gettext_lazy("retired: consensus reached"),
    "dropped": gettext_lazy("dropped without consensus"),
}
FEEDBACK: str = gettext_lazy(  # type: ignore[assignment]  # text in Methods.__post_init__
    "From round 2 on, each expert saw their own previous rating, the group median and interquartile "
    "range, the distribution of ratings, the share agreeing, and the other experts’ rationales "
    "without names; an expert rating outside the group’s IQR was asked for a reason."
)
STATISTICS: tuple[str, ...] = (  # type: ignore[assignment]  # lazy: text in Methods.__post_init__
    gettext_lazy("n counts valid ratings; “can’t answer” is excluded from n and reported as abstentions."),
    gettext_lazy("Quantiles by linear interpolation (Hyndman & Fan type 7, R’s default); IQR = Q3 − Q1."),
    gettext_lazy("Standard deviation with n − 1; CV = sd / mean."),
    gettext_lazy("% agree and % disagree: the share of valid ratings in the dimension’s agree or disagree band."),
    gettext_lazy("Kendall’s W per dimension with the tie correction (Kendall & Babington Smith 1939)."),
    gettext_lazy(
        "Stability between rounds on experts who answered both: Wilcoxon signed-rank test, "
        "quadratic-weighted kappa, share unchanged, Scheibe et al.’s (1975) % change (stable below 15%)."
    ),
    # surveys.stats.weighted.WEIGHTED_FIGURES, word for word (stats holds no Django; a test checks they agree)
    gettext_lazy(
        "Expertise weighting, when the study turns it on, changes one figure only: weighted_median, the "
        "median of the ratings weighted by each panelist's self-rated expertise (Edgeworth's weighted median: "
        "the mean of the lower and upper weighted medians), shown beside the ordinary median, never instead "
        "of it. Every other figure (n, mean, sd, quartiles, IQR, % agree and % disagree, RAND/UCLA, verdicts, "
        "intervals, verdict confidence, agreement A, bimodality, Kruskal-Wallis, trend, herding, attrition, "
        "Kendall's W, APMO, stability) counts each valid rating once, unweighted."
    ),
)

#: Who counts in a round's response rate, and what revoking or withdrawing means for answers
#: (the definitions are :mod:`surveys.stats.participation`'s; the dashboard and aggregation use them too).
PARTICIPATION: tuple[str, ...] = (  # type: ignore[assignment]  # lazy: text in Methods.__post_init__
    gettext_lazy(
        "Response rate of a round: experts who submitted over experts invited. Invited means on the panel when "
        "the round closed (joined before it, not revoked or withdrawn by then), or having submitted in it; so "
        "the rate never exceeds 100%. While a round is open, the share so far is shown as progress, not as a rate."
    ),
    gettext_lazy("Attrition: the share of the previous round’s respondents who did not submit in a round."),
    gettext_lazy(
        "Answers an expert submitted before being revoked, or before withdrawing, count: they stay in the "
        "statistics, and the expert counts as invited and answered in those rounds."
    ),
    gettext_lazy(
        "An expert may withdraw and have their answers deleted: every rating, rationale and open answer of "
        "theirs is deleted in every round, and the aggregated rounds are computed again without them. They "
        "remain counted as invited to the rounds they were on the panel for, but not as having answered."
    ),
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

    def __post_init__(self) -> None:
        """Lazy translations become text now, in the language the report is built in (JSON needs str)."""
        for name in ("feedback", "statistics", "anonymity", "findings"):
            value: Any = getattr(self, name)
            text = str(value) if isinstance(value, str | Promise) else tuple(gettext(str(line)) for line in value)
            object.__setattr__(self, name, text)


def rule_audit(audit: Sequence[Row], current: Mapping[str, Any], frozen_at: datetime | None) -> str:
    """What the audit trail says of the consensus rule since it was fixed (ACCORD R2, DELPHISTAR 32).

    The ``study.rule_frozen`` event records the rule as it was when round 1 opened; the platform
    refuses to change a fixed rule (study file import, admin), so a difference means the stored rule
    was altered outside it, and the report says so.
    """
    from .numbers import fmt_time

    if frozen_at is None:
        return _("The rule is not fixed yet: round 1 has not opened.")
    frozen = [e for e in audit if e["action"] == "study.rule_frozen"]
    if not frozen:
        return _("Fixed on %(at)s; the audit trail holds no record of the rule as fixed.") % {"at": fmt_time(frozen_at)}
    recorded = (frozen[-1]["detail"] or {}).get("consensus_rule")
    at = fmt_time(frozen[-1]["created_at"])
    if recorded is None or recorded == dict(current or {}):
        return _("Fixed on %(at)s, when round 1 opened; the audit trail records no change since.") % {"at": at}
    return _(
        "Fixed on %(at)s, when round 1 opened; the rule stored now differs from the one recorded then (%(rule)s), "
        "a change the platform does not allow: check the audit trail."
    ) % {"at": at, "rule": describe_consensus_rule(recorded)}


def describe_consensus_rule(data: Mapping[str, Any]) -> str:
    try:
        return parse_consensus_rule(data).describe()
    except RuleError as exc:
        return _("The stored consensus rule is not valid (%(error)s).") % {"error": exc}


def describe_stopping_rule(data: Mapping[str, Any]) -> str:
    try:
        return parse_stopping_rule(data).describe()
    except RuleError as exc:
        return _("No valid stopping rule is stored (%(error)s).") % {"error": exc}


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
        _(
            "Experts answered through personal invitation links; the tokens are stored only as hashes, and no "
            "expert saw who else was on the panel."
        ),
        _("Feedback between rounds showed group statistics and rationales without names."),
        ngettext(
            "A group’s statistics for an item and dimension are shown only where at least %(n)d of its experts "
            "gave a valid rating there, in the feedback, in this report and in the API; elsewhere they are marked "
            "suppressed, with no count. Feedback to experts shows the whole panel’s statistics on the same terms. "
            "Groups with fewer than %(n)d member are pooled in the composition, attrition and ratings tables.",
            "A group’s statistics for an item and dimension are shown only where at least %(n)d of its experts "
            "gave a valid rating there, in the feedback, in this report and in the API; elsewhere they are marked "
            "suppressed, with no count. Feedback to experts shows the whole panel’s statistics on the same terms. "
            "Groups with fewer than %(n)d members are pooled in the composition, attrition and ratings tables.",
            min_group_size,
        )
        % {"n": min_group_size},
        _("No names or email addresses appear in this report; raw ratings are listed under stable pseudonyms."),
    ]
    if n_synthetic:
        statements.append(
            ngettext(
                "%(n)d of %(total)d panelists is synthetic (generated for a demonstration), not a real expert.",
                "%(n)d of %(total)d panelists are synthetic (generated for a demonstration), not real experts.",
                n_synthetic,
            )
            % {"n": n_synthetic, "total": panel_size}
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
