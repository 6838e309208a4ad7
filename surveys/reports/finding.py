"""The headline's plain-language finding: one sentence computed from the stored statistics.

:func:`finding` classifies the whole panel's trajectory with :func:`surveys.stats.trend` (its rules:
insufficient data, polarised, stable consensus, converging, stable dissensus, unstable) and words it
by :data:`FINDING_RULES`, which the methods appendix prints as they are. Nothing in a finding is
written by hand: the groups it names and every number come from the rows it is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, ngettext

from surveys.stats import Scale, dissent_statistics, trend

from .numbers import fmt_num, fmt_pct

if TYPE_CHECKING:
    from .data import DimensionInfo

TREND_WORDS = {  # translated where used (str() in the report's language)
    "converging": gettext_lazy("Converging"),
    "stable_consensus": gettext_lazy("Stable consensus"),
    "stable_dissensus": gettext_lazy("Stable dissensus"),
    "polarised": gettext_lazy("Polarised"),
    "unstable": gettext_lazy("Unstable"),
    "insufficient_data": gettext_lazy("Too few rounds to tell a trend"),
}
NAMED_TIES = 2  # tied groups named in a contrast; more are counted ("+2 more")

#: The wording rules, in the order :func:`finding` applies them (printed in the methods appendix, translated
#: there: :class:`.methods.Methods` passes each through gettext; here they stay the English text).
FINDING_RULES = (
    gettext_noop(
        "A finding opens with the trend of the whole panel's ratings across the aggregated rounds: polarised "
        "(in the last round one group's median lies in the agree band and another's in the disagree band, or "
        "the ratings form two camps: Sarle's bimodality coefficient above 5/9 with van der Eijk's agreement A "
        "below 0); else stable consensus (a verdict of in or out, stable against the round before: Scheibe's "
        "% change below 15% and no Wilcoxon shift); else converging (the IQR narrowed or agreement A rose by "
        "0.1 or more since the first round, and neither worsened); else stable dissensus (stable, no consensus); "
        "else unstable. Fewer than two rated rounds, or fewer than 5 valid ratings in the last, give “too few "
        "rounds to tell a trend”."
    ),
    gettext_noop(
        "Groups are contrasted (“between groups: A 7.5 vs B 2”: the highest and the lowest group median "
        "of the last round, up to two tied groups named, more counted) when those two medians lie in different "
        "bands of the scale (agree, between the bands, disagree) and at least a quarter of the scale's range "
        "apart (2 points on 1–9); only groups shown under the anonymity rule count."
    ),
    gettext_noop(
        "Converging and unstable findings give how the panel's median and IQR moved from the first to the last "
        "rated round (and agreement A when the IQR did not change); stable ones give the last round's median, "
        "IQR and share agreeing."
    ),
    gettext_noop(
        "On a dimension that decides consensus a finding ends with the last verdict (“consensus in since round "
        "2”) or “no consensus after k rounds”."
    ),
    gettext_noop(
        "Numbers are the stored statistics, printed as in the tables (up to two decimals, whole percentages)."
    ),
)


@dataclass(frozen=True)
class Finding:
    trend: str  # a key of TREND_WORDS (surveys.stats.TRENDS)
    text: str
    contrast: tuple[str, ...] = ()  # the groups the finding names, highest median first


def band(value: float, dimension: DimensionInfo) -> str:
    """``agree``, ``disagree`` or ``between``: where a median lies on the dimension's scale."""
    if dimension.agree[0] <= value <= dimension.agree[1]:
        return "agree"
    if dimension.disagree[0] <= value <= dimension.disagree[1]:
        return "disagree"
    return "between"


def finding(rows: pd.DataFrame, dimension: DimensionInfo) -> Finding:
    """The finding of one item × dimension, worded by :data:`FINDING_RULES`.

    ``rows``: its statistics per round, the whole panel (``group == ""``) and the groups shown, with
    the columns of the report's statistics frame (round, group, n, median, iqr, pct_agree, verdict,
    is_stable, distribution). Agreement A and bimodality are read from ``agreement_a`` and
    ``bimodality`` when present, else computed from the stored distribution; the trend from the
    stored ``trend`` of the last round's whole-panel row when present, else computed.
    """
    history = _history(rows, dimension)
    label = _stored_trend(history) or (
        str(trend(history, {dimension.key: _scale(dimension)})["trend"].iloc[0]) if len(history) else ""
    )
    label = label or "insufficient_data"
    panel = history[(history["group"] == "") & (history["n"] > 0)].sort_values("round")
    if not len(panel):
        return Finding("insufficient_data", _("Not yet rated in an aggregated round."))
    contrast, between = _contrast(history, int(panel["round"].iloc[-1]), dimension)
    head = str(TREND_WORDS[label])
    if between:
        head = _("%(trend)s between groups: %(contrast)s") % {"trend": head, "contrast": between}
    elif label == "polarised":
        head = _("%(trend)s: the panel splits into two camps") % {"trend": head}
    first, last = panel.iloc[0], panel.iloc[-1]
    if label in ("converging", "unstable"):
        values: dict[str, Any] = {"m0": fmt_num(first["median"]), "m1": fmt_num(last["median"])}
        values["q0"] = fmt_num(first["iqr"])
        values.update(q1=fmt_num(last["iqr"]), a0=fmt_num(first["agreement_a"]), a1=fmt_num(last["agreement_a"]))
        values.update(r0=int(first["round"]), r1=int(last["round"]))
        if first["iqr"] == last["iqr"]:
            moved = _(
                "median %(m0)s → %(m1)s, IQR %(q0)s → %(q1)s, agreement A %(a0)s → %(a1)s from round %(r0)d to %(r1)d"
            )
        else:
            moved = _("median %(m0)s → %(m1)s, IQR %(q0)s → %(q1)s from round %(r0)d to %(r1)d")
        details = [moved % values]
    else:
        values = {"median": fmt_num(last["median"]), "iqr": fmt_num(last["iqr"]), "round": int(last["round"])}
        values["agree"] = fmt_pct(last["pct_agree"])
        if dimension.decides:
            said = _("median %(median)s, IQR %(iqr)s, %(agree)s agree in round %(round)d")
        else:
            said = _("median %(median)s, IQR %(iqr)s in round %(round)d")
        details = [said % values]
    if dimension.decides:
        details.append(_verdict(panel))
    joiner = "; " if ":" in head else ": "
    return Finding(label, _("%(sentence)s.") % {"sentence": head + joiner + "; ".join(details)}, contrast)


def _stored_trend(history: pd.DataFrame) -> str:
    """The trend the aggregation stored on the last round's whole-panel row (``ItemStatistic.trend``,
    computed by the same :func:`surveys.stats.trend` over the rounds up to it), or "" when that row
    has none (statistics from before the figure existed): recomputing it for each item was a fifth of
    a 100-item PDF's build."""
    if "trend" not in history or not len(history):
        return ""
    panel = history[history["group"] == ""]
    if not len(panel):
        return ""
    stored = panel.loc[panel["round"].idxmax(), "trend"]
    return stored if isinstance(stored, str) and stored in TREND_WORDS else ""


def _verdict(panel: pd.DataFrame) -> str:
    last = str(panel["verdict"].iloc[-1] or "")
    if last in ("in", "out"):
        verdicts = list(panel["verdict"].fillna(""))
        since = len(verdicts) - 1
        while since > 0 and verdicts[since - 1] == last:
            since -= 1
        said = _("consensus in since round %(round)d") if last == "in" else _("consensus out since round %(round)d")
        return said % {"round": int(panel["round"].iloc[since])}
    rounds = len(panel)
    return ngettext("no consensus after %(n)d round", "no consensus after %(n)d rounds", rounds) % {"n": rounds}


def _contrast(history: pd.DataFrame, last_round: int, dimension: DimensionInfo) -> tuple[tuple[str, ...], str]:
    """The highest and lowest shown group medians of ``last_round`` when they lie in different bands."""
    groups = history[(history["group"] != "") & (history["round"] == last_round) & history["median"].notna()]
    if len(groups) < 2:
        return (), ""
    high, low = groups["median"].max(), groups["median"].min()
    if band(high, dimension) == band(low, dimension) or high - low < (dimension.scale_max - dimension.scale_min) / 4:
        return (), ""
    top = sorted(groups.loc[groups["median"] == high, "group"])
    bottom = sorted(groups.loc[groups["median"] == low, "group"])
    text = _("%(high_groups)s %(high)s vs %(low_groups)s %(low)s") % {
        "high_groups": _names(top),
        "high": fmt_num(high),
        "low_groups": _names(bottom),
        "low": fmt_num(low),
    }
    return (*top[:NAMED_TIES], *bottom[:NAMED_TIES]), text


def _names(groups: list[str]) -> str:
    """``A``, ``A / B``, or ``A / B / +2 more``: slashes, since group names may hold "and" and commas."""
    extra = len(groups) - NAMED_TIES
    more = [_("+%(n)d more") % {"n": extra}] if extra > 0 else []
    return " / ".join(groups[:NAMED_TIES] + more)


def _scale(dimension: DimensionInfo) -> Scale:
    return Scale(dimension.scale_min, dimension.scale_max, dimension.agree, dimension.disagree)


def _history(rows: pd.DataFrame, dimension: DimensionInfo) -> pd.DataFrame:
    """``rows`` in the shape :func:`surveys.stats.trend` reads (one item, one dimension)."""
    history = rows.assign(item="headline", dimension=dimension.key).reset_index(drop=True)
    if not len(history):
        return history
    missing = [c for c in ("agreement_a", "bimodality") if c not in history or history[c].isna().all()]
    if missing:
        computed = dissent_statistics(history, {dimension.key: _scale(dimension)})
        for column in missing:
            history[column] = computed[column]
    stable = history["is_stable"] if "is_stable" in history else pd.Series(np.nan, index=history.index)
    history["is_stable"] = [value is True or value is np.True_ for value in stable]
    return history
