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
    """One row per item × dimension of ``history`` with its ``trend`` (module docstring) and ``n_rounds``.

    Vectorised over all item × dimension trajectories at once (no per-item loop); rows follow the
    items' first appearance in ``history`` sorted by round."""
    panel = history[history["group"] == ""].sort_values("round", kind="stable")
    keys = ["item", "dimension"]
    if not len(panel):
        return pd.DataFrame({column: [] for column in TREND_COLUMNS})
    order = panel[keys].drop_duplicates().reset_index(drop=True)
    index = pd.MultiIndex.from_frame(order)
    rated = panel[panel["n"] > 0]
    by_key = rated.groupby(keys, sort=False)
    first, last = by_key.nth(0).set_index(keys).reindex(index), by_key.nth(-1).set_index(keys).reindex(index)
    n_rounds = by_key.size().reindex(index, fill_value=0).to_numpy()
    split = (_numbers(last["bimodality"]) > BIMODAL_ABOVE) & (_numbers(last["agreement_a"]) < 0)
    split |= _groups_apart(history, panel, index, scales)
    stable = last["is_stable"].map(lambda value: value is True or (isinstance(value, np.bool_) and bool(value)))
    stable = stable.fillna(False).to_numpy(dtype=bool)
    iqr_change = _numbers(last["iqr"]) - _numbers(first["iqr"])
    a_change = _numbers(last["agreement_a"]) - _numbers(first["agreement_a"])
    with np.errstate(invalid="ignore"):
        narrowed = (iqr_change < 0) | (a_change >= min_gain)
        converging = narrowed & ~(iqr_change > 0) & ~(a_change < 0)
        too_few = (n_rounds < 2) | ~(_numbers(last["n"]) >= min_n)
    label = np.select(
        [too_few, split, last["verdict"].isin(["in", "out"]).to_numpy() & stable, converging, stable],
        ["insufficient_data", "polarised", "stable_consensus", "converging", "stable_dissensus"],
        default="unstable",
    )
    return pd.DataFrame({"item": order["item"], "dimension": order["dimension"], "trend": label, "n_rounds": n_rounds})


def _groups_apart(
    history: pd.DataFrame, panel: pd.DataFrame, index: pd.MultiIndex, scales: Mapping[str, Scale]
) -> np.ndarray:
    """Per item × dimension: in its last round, one shown group's median lies in the agree band and
    another's in the disagree band."""
    groups = history[history["group"] != ""]
    if not len(groups):
        return np.zeros(len(index), dtype=bool)
    last_round = panel.groupby(["item", "dimension"], sort=False)["round"].max().rename("last_round")
    groups = groups.join(last_round, on=["item", "dimension"])
    groups = groups[groups["round"] == groups["last_round"]]
    median = groups["median"].to_numpy(dtype=float)
    bounds = {key: (scale.agree, scale.disagree) for key, scale in scales.items()}
    agree_low, agree_high, disagree_low, disagree_high = (
        groups["dimension"].map(lambda key, i=i: bounds[key][i // 2][i % 2]).to_numpy(dtype=float) for i in range(4)
    )
    flags = pd.DataFrame(
        {
            "item": groups["item"],
            "dimension": groups["dimension"],
            "agree": (median >= agree_low) & (median <= agree_high),
            "disagree": (median >= disagree_low) & (median <= disagree_high),
        }
    )
    found = flags.groupby(["item", "dimension"], sort=False)[["agree", "disagree"]].any()
    found = found.reindex(index, fill_value=False)
    return (found["agree"] & found["disagree"]).to_numpy(dtype=bool)


def _numbers(values: pd.Series) -> np.ndarray:
    """Floats, NaN for a missing value (NaN compares False, so a missing figure never triggers a rule)."""
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
