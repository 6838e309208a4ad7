"""The trend of each item × dimension across rounds, as one word a report can state as a finding.

Input: one row per item × dimension × group × round (the rounds' statistics tables stacked, with a
``round`` column), whole panel ``group == ""``, carrying ``n``, ``median``, ``iqr``, ``verdict``,
``agreement_a``, ``bimodality`` and ``is_stable`` (stability against the previous round; False or
missing in round 1). Group rows (the groups shown) are read only for their median. The rules, tried
in this order on the whole-panel trajectory:

1. ``insufficient_data``: fewer than two rounds with valid ratings, or the last round has fewer
   than ``min_n`` (default 5) valid ratings.
2. ``polarised``: in the last round the panel is split: Sarle's bimodality coefficient is above
   5/9 and van der Eijk's agreement A is below 0 (more polar than uniform), or one shown group's
   median lies in the agree band while another's lies in the disagree band.
3. ``stable_consensus``: the last round has a verdict of in or out and is stable against the one
   before (``is_stable``).
4. ``converging``: since the first round the spread narrowed (the IQR fell, or agreement A rose by
   at least ``min_gain``, default 0.1) and neither measure worsened (IQR not larger, A not lower).
5. ``stable_dissensus``: the last round is stable but has no consensus.
6. ``unstable``: anything else (the spread widened, or the ratings still move without converging).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .dissent import BIMODAL_ABOVE
from .scale import Scale

TRENDS = ("converging", "stable_consensus", "stable_dissensus", "polarised", "unstable", "insufficient_data")
TREND_COLUMNS = ["item", "dimension", "trend", "n_rounds"]
TREND_SENTENCES = {
    "insufficient_data": "Too few rounds or ratings to tell a trend.",
    "polarised": "The panel is split into two camps.",
    "stable_consensus": "The panel reached consensus and held it.",
    "converging": "The panel's ratings are drawing together.",
    "stable_dissensus": "The ratings no longer move, without consensus.",
    "unstable": "The ratings still move without drawing together.",
}


def trend(history: pd.DataFrame, scales: Mapping[str, Scale], *, min_n: int = 5, min_gain: float = 0.1) -> pd.DataFrame:
    """One row per item × dimension of ``history`` with its ``trend`` (module docstring) and ``n_rounds``."""
    panel = history[history["group"] == ""].sort_values("round", kind="stable")
    groups = history[history["group"] != ""]
    last_round = panel.groupby(["item", "dimension"], sort=False)["round"].max()
    records = []
    for (item, dimension), rows in panel.groupby(["item", "dimension"], sort=False):
        rated = rows[rows["n"] > 0]
        shown = groups[
            (groups["item"] == item) & (groups["dimension"] == dimension)
            & (groups["round"] == last_round[(item, dimension)])
        ]  # fmt: skip
        label = _classify(rated, shown["median"].to_numpy(dtype=float), scales[dimension], min_n, min_gain)
        records.append((item, dimension, label, len(rated)))
    return pd.DataFrame(records, columns=TREND_COLUMNS)


def _classify(rated: pd.DataFrame, group_medians: np.ndarray, scale: Scale, min_n: int, min_gain: float) -> str:
    if len(rated) < 2 or rated["n"].iloc[-1] < min_n:
        return "insufficient_data"
    first, last = rated.iloc[0], rated.iloc[-1]
    in_agree = (group_medians >= scale.agree[0]) & (group_medians <= scale.agree[1])
    in_disagree = (group_medians >= scale.disagree[0]) & (group_medians <= scale.disagree[1])
    split = bool(_number(last["bimodality"]) > BIMODAL_ABOVE and _number(last["agreement_a"]) < 0)
    if split or (in_agree.any() and in_disagree.any()):
        return "polarised"
    stable = last["is_stable"] is True or (isinstance(last["is_stable"], np.bool_) and bool(last["is_stable"]))
    if last["verdict"] in ("in", "out") and stable:
        return "stable_consensus"
    iqr_change = _number(last["iqr"]) - _number(first["iqr"])
    a_change = _number(last["agreement_a"]) - _number(first["agreement_a"])
    narrowed = iqr_change < 0 or a_change >= min_gain
    if narrowed and not iqr_change > 0 and not a_change < 0:
        return "converging"
    return "stable_dissensus" if stable else "unstable"


def _number(value: object) -> float:
    """A float, NaN for a missing value (NaN compares False, so a missing figure never triggers a rule)."""
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return float("nan")
