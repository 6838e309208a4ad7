"""Influence of the feedback between two rounds (herding): who moved toward the group, who moved away.

Delphi feedback is meant to inform, not to pull: a panel whose members simply drift to the median
they were shown converges without learning anything. Makkonen, Hujala & Uusivuori (2016), "Policy
experts' propensity to change their opinion along Delphi rounds", *Technological Forecasting and
Social Change* 109: 61–68, measure the change toward the previous round's group answer; Quirke et
al. (2023), "Multi-Round versus Real-Time Delphi survey approach for achieving consensus in the
COHESION core outcome set: a randomised trial", *Trials* 24: 461, call it the "feedback effect" and
count who amended their score toward the group's. Brookes et al. (2016) show the feedback's content
changes what is retained. This module gives those counts per item × dimension (whole panel).

Per item × dimension, over the **paired** panelists (a valid rating of the item × dimension in both
rounds; "can't answer" in either round is not a pair), with ``m``, ``q1``, ``q3`` the previous
round's median and quartiles over *all* its valid ratings (the figures experts were shown; linear
interpolation, R type 7, as :func:`surveys.stats.item_statistics`), ``d₁ = |r₁ − m|`` and
``d₂ = |r₂ − m|``:

- ``n_toward``: ``d₂ < d₁``, strictly closer to the previous median;
- ``n_away``: ``d₂ > d₁``, strictly farther (a panelist *at* the median who moves is away);
- ``n_stayed``: ``d₂ = d₁``, the **same distance** (not "the same rating"): an unchanged rating,
  and also a jump to the mirror point across the median (3 → 7 around 5), which is neither nearer
  nor farther. So ``n_toward + n_away + n_stayed = n_paired`` always. The share who kept their
  exact rating is :func:`surveys.stats.stability`'s ``pct_unchanged``.
- ``herding_index = (n_toward − n_away) / n_paired`` in [−1, 1]: +1 everyone closed in on the median,
  −1 everyone moved off it, 0 balanced (or nobody moved). NaN without a pair.
- ``n_outside_iqr``: paired panelists whose previous rating lay outside ``[q1, q3]`` (the IQR shown
  as feedback, bounds included as inside); ``n_moved_inside``: those of them whose new rating lies in
  ``[q1, q3]`` of the *previous* round; ``share_moved_inside = n_moved_inside / n_outside_iqr``, NaN
  when nobody was outside.

:func:`influence_summary` pools the counts over a round's item × dimension rows (the per-round figure).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import numpy as np
import pandas as pd

from .counts import quantile_from_counts
from .frame import encode_ratings, factorize
from .scale import Scale

INFLUENCE_COLUMNS = [
    "item",
    "dimension",
    "n_paired",
    "previous_median",
    "previous_q1",
    "previous_q3",
    "n_toward",
    "n_away",
    "n_stayed",
    "herding_index",
    "n_outside_iqr",
    "n_moved_inside",
    "share_moved_inside",
]
COUNTS = ["n_paired", "n_toward", "n_away", "n_stayed", "n_outside_iqr", "n_moved_inside"]


def influence(previous: pd.DataFrame, current: pd.DataFrame, scales: Mapping[str, Scale]) -> pd.DataFrame:
    """Herding figures per item × dimension of ``current`` against ``previous`` (see module docstring).

    Both are ratings frames (:mod:`surveys.stats.frame`) whose ``item`` values already name the same
    item across rounds (the caller maps a reworded item to its lineage root), as for
    :func:`surveys.stats.stability`. One row per item × dimension present in ``current``, sorted by
    item and dimension; an item new in ``current`` has NaN previous figures and ``n_paired == 0``.
    Both frames are validated as :func:`surveys.stats.validate_ratings` does.
    """
    after, before = encode_ratings(current, scales), encode_ratings(previous, scales)
    n_items, n_dimensions = len(after.item_labels), len(after.dimension_labels)
    # The previous round's codes, re-coded into the current round's labels (-1: not in the current round).
    item = _recode(before.item_labels, after.item_labels)[before.item]
    dimension = _recode(before.dimension_labels, after.dimension_labels)[before.dimension]
    panelist_after, panelist_labels = factorize(current["panelist"])
    panelist_before, panelist_before_labels = factorize(previous["panelist"])
    panelist = _recode(panelist_before_labels, panelist_labels)[panelist_before]
    kept = (item >= 0) & (dimension >= 0) & (panelist >= 0) & ~np.isnan(before.value)
    cell = item[kept] * n_dimensions + dimension[kept]
    median, q1, q3 = _feedback(cell, before.value[kept], after.dimension_labels, scales, n_items)

    key_before = panelist[kept].astype(np.int64) * (n_items * n_dimensions) + cell
    valid = ~np.isnan(after.value)
    cell_after = after.item[valid].astype(np.int64) * n_dimensions + after.dimension[valid]
    key_after = panelist_after[valid].astype(np.int64) * (n_items * n_dimensions) + cell_after
    order = np.argsort(key_before, kind="stable")
    sorted_keys = key_before[order]
    position = np.minimum(np.searchsorted(sorted_keys, key_after), max(len(order) - 1, 0))
    paired = sorted_keys[position] == key_after if len(order) else np.zeros(len(key_after), dtype=bool)
    first = before.value[kept][order][position[paired]]
    second, cell_pair = after.value[valid][paired], cell_after[paired]
    m, low, high = median[cell_pair], q1[cell_pair], q3[cell_pair]
    was, now = np.abs(first - m), np.abs(second - m)
    outside = (first < low) | (first > high)
    flags = {
        "n_paired": np.ones(len(cell_pair), dtype=bool),
        "n_toward": now < was,
        "n_away": now > was,
        "n_stayed": now == was,
        "n_outside_iqr": outside,
        "n_moved_inside": outside & (second >= low) & (second <= high),
    }
    size = n_items * n_dimensions
    present = np.flatnonzero(np.bincount(after.item.astype(np.int64) * n_dimensions + after.dimension, minlength=size))
    table = pd.DataFrame(
        {
            "item": after.item_labels[present // n_dimensions],
            "dimension": after.dimension_labels[present % n_dimensions].astype(str),
            "previous_median": median[present],
            "previous_q1": q1[present],
            "previous_q3": q3[present],
            **{name: np.bincount(cell_pair[flag], minlength=size)[present] for name, flag in flags.items()},
        }
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        table["herding_index"] = (table["n_toward"] - table["n_away"]) / table["n_paired"].where(table["n_paired"] > 0)
        table["share_moved_inside"] = table["n_moved_inside"] / table["n_outside_iqr"].where(table["n_outside_iqr"] > 0)
    return table[INFLUENCE_COLUMNS]


def influence_summary(table: pd.DataFrame, *, dimensions: Collection[str] | None = None) -> dict[str, Any]:
    """The round's figures: :func:`influence`'s counts summed over its rows, JSON-ready.

    ``dimensions`` keeps only those dimensions (e.g. the ones that count toward consensus; pooling a
    confidence scale with an agreement scale is rarely meant). Keys: ``n_items`` (item × dimension
    rows with at least one pair), the six counts, ``herding_index`` and ``share_moved_inside``, each
    defined as per row on the pooled counts; a share with a zero denominator is None.
    """
    if dimensions is not None:
        table = table[table["dimension"].isin(list(dimensions))]
    totals = {column: int(table[column].sum()) for column in COUNTS}
    paired, outside = totals["n_paired"], totals["n_outside_iqr"]
    return {
        "n_items": int((table["n_paired"] > 0).sum()),
        **totals,
        "herding_index": (totals["n_toward"] - totals["n_away"]) / paired if paired else None,
        "share_moved_inside": totals["n_moved_inside"] / outside if outside else None,
    }


def _recode(labels: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Position of each of ``labels`` among ``target`` (-1 when absent)."""
    return pd.Index(target).get_indexer(pd.Index(labels)).astype(np.int64)


def _feedback(
    cell: np.ndarray, value: np.ndarray, dimension_labels: np.ndarray, scales: Mapping[str, Scale], n_items: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median, Q1 and Q3 per cell (``item · n_dimensions + dimension``) of the previous round's valid
    ratings, from counts per scale point (:mod:`surveys.stats.counts`): the figures the feedback
    showed. NaN for a cell without a previous rating."""
    n_dimensions = len(dimension_labels)
    result = np.full((3, n_items * n_dimensions), np.nan)
    for code, key in enumerate(dimension_labels):
        scale = scales[key]
        chosen = cell % n_dimensions == code
        point = (value[chosen] - scale.min).astype(np.int64)
        counts = np.bincount(cell[chosen] // n_dimensions * scale.size + point, minlength=n_items * scale.size).reshape(
            n_items, scale.size
        )
        for row, q in enumerate((0.5, 0.25, 0.75)):
            result[row, np.arange(n_items) * n_dimensions + code] = quantile_from_counts(counts, scale.points, q)
    return result[0], result[1], result[2]
