"""Per item × dimension × group statistics of one round: the figures experts see as feedback.

Definitions (DESIGN.md, "Statistics: exact definitions"):

- ``n``: valid ratings; ``abstentions``: "can't answer" rows (NaN), excluded from everything else.
- ``mean``; ``sd``: sample standard deviation (ddof = 1); ``cv = sd / mean``.
- ``median``, ``q1``, ``q3``: linear interpolation, Hyndman & Fan (1996) type 7 = R's default =
  numpy ``method="linear"``; ``iqr = q3 − q1``.
- ``pct_agree`` / ``pct_disagree``: share in [0, 1] of valid ratings inside the dimension's
  inclusive agree / disagree band.
- ``distribution``: ``{point: count}`` for every scale point ``min..max``, zeros included.
- RAND/UCLA fields (Fitch et al. 2001): ``median_band``, ``p30``, ``p70``, ``ipr``, ``iprcp``,
  ``ai``, ``ipras``, ``rand_disagreement``; see :mod:`surveys.stats.rand_ucla`.
- ``weighted_median``: expertise-weighted median (see :mod:`surveys.stats.weighted`), NaN unless
  asked for.

Every statistic is computed from the count of ratings per scale point (see
:mod:`surveys.stats.counts`), which is exact because ratings are whole numbers on a bounded scale.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from .counts import cv_from, mean_sd_from_counts, quantile_from_counts, share_in
from .frame import DENSE_RANGE_FACTOR, EncodedRatings, encode_ratings
from .rand_ucla import rand_ucla_columns
from .scale import Scale
from .weighted import weighted_median_from_weights

STATISTIC_COLUMNS = [
    "item",
    "dimension",
    "group",
    "n",
    "abstentions",
    "mean",
    "sd",
    "median",
    "q1",
    "q3",
    "iqr",
    "pct_agree",
    "pct_disagree",
    "distribution",
    "cv",
    "median_band",
    "p30",
    "p70",
    "ipr",
    "iprcp",
    "ai",
    "ipras",
    "rand_disagreement",
    "weighted_median",
]


def item_statistics(
    ratings: pd.DataFrame,
    scales: Mapping[str, Scale],
    *,
    min_group_size: int = 3,
    by_group: bool = True,
    weighted: bool = False,
) -> pd.DataFrame:
    """One row per item × dimension × group with the statistics in the module docstring.

    ``group == ""`` is the whole panel and is always present. With ``by_group`` there is also one
    row per real (non-empty) group and item × dimension where that group gave at least
    ``min_group_size`` valid ratings (:func:`is_shown`, anonymity suppression): a group row with
    fewer is dropped, so its figures are never stored, whatever the group's size. An item ×
    dimension whose whole-panel rows are all abstentions keeps its row,
    with ``n == 0``, NaN statistics, band ``""`` and ``rand_disagreement`` False. Item ×
    dimension pairs come from the rows present in ``ratings``. Rows are sorted by item, dimension
    and group; the index is a fresh ``RangeIndex``.
    """
    encoded = encode_ratings(ratings, scales)
    if not len(encoded):
        return _empty()
    dimension_scales = [scales[key] for key in encoded.dimension_labels]
    shown = _groups_to_show(encoded, min_group_size) if by_group else None
    table = _count_table(encoded, dimension_scales, shown, weighted=weighted)
    parts = []
    for code, scale in enumerate(dimension_scales):
        chosen = table.dimension == code
        weight_sums = table.weight_sums[chosen, : scale.size] if table.weight_sums is not None else None
        part = _summarise(table.counts[chosen, : scale.size], table.counts[chosen, -1], weight_sums, scale)
        part["row"] = table.row[chosen]
        parts.append(part)
    stats = pd.concat(parts, ignore_index=True).sort_values("row", kind="stable")
    item_code, rest = np.divmod(stats.pop("row").to_numpy(), table.rows_per_item)
    dimension_code, group_code = np.divmod(rest, table.span)
    stats["item"] = encoded.item_labels[item_code]
    stats["dimension"] = encoded.dimension_labels[dimension_code].astype(str)
    stats["group"] = np.concatenate([[""], encoded.group_labels])[group_code]
    stats = stats[(group_code == 0) | is_shown(stats["n"].to_numpy(), min_group_size=min_group_size)]
    return stats[STATISTIC_COLUMNS].reset_index(drop=True)


def is_shown(n: ArrayLike, *, min_group_size: int) -> np.ndarray:
    """The anonymity rule, per item × dimension × group: shown iff ``n >= min_group_size``.

    ``n`` is the number of valid ratings (abstentions excluded) the group gave on that item and
    dimension, not the group's size: a group of five of whom one rated an item would otherwise
    publish that one person's rating as the group's mean and distribution. Every reader-facing
    output (expert feedback, each report format, the API) applies this same rule; the whole panel
    is subject to it only in the expert's feedback (DESIGN.md, "Subgroups").
    """
    return np.asarray(n) >= min_group_size


@dataclass(frozen=True)
class _CountTable:
    """Ratings counted per row (item × dimension × group slot) and scale point.

    A row's id is ``(item · n_dimensions + dimension) · span + slot``, where slot 0 is the whole
    panel and slot ``g + 1`` is group ``g``; ids therefore sort by item, dimension and group. Only
    rows with at least one rating or abstention are kept. Column ``j`` counts ratings at the
    dimension's ``min + j``; the last column counts abstentions.
    """

    row: np.ndarray
    dimension: np.ndarray
    counts: np.ndarray
    weight_sums: np.ndarray | None  # summed expertise weights, when asked for
    span: int
    rows_per_item: int


def _count_table(
    encoded: EncodedRatings, dimension_scales: list[Scale], shown: np.ndarray | None, *, weighted: bool
) -> _CountTable:
    """One pass of ``bincount`` over all ratings (and again over those of groups shown): no per-item,
    per-dimension or per-group selection of rows."""
    n_dimensions = len(dimension_scales)
    span = len(encoded.group_labels) + 1
    width = max(scale.size for scale in dimension_scales) + 1
    point = encoded.value - np.array([scale.min for scale in dimension_scales], dtype=float)[encoded.dimension]
    point[np.isnan(point)] = width - 1
    point = point.astype(np.int64)
    rows = (encoded.item.astype(np.int64) * n_dimensions + encoded.dimension) * span
    weight = encoded.weight
    if shown is not None:
        in_group = shown[encoded.group]
        rows = np.concatenate([rows, rows[in_group] + encoded.group[in_group] + 1])
        point = np.concatenate([point, point[in_group]])
        weight = np.concatenate([weight, weight[in_group]]) if weighted else weight
    n_rows = len(encoded.item_labels) * n_dimensions * span
    if n_rows * width <= DENSE_RANGE_FACTOR * len(rows) + 65536:  # every possible row, then drop empty ones
        row_ids = np.arange(n_rows)
        row_index = rows
    else:  # many items × groups: only the rows present
        row_ids, row_index = np.unique(rows, return_inverse=True)
    flat = row_index * width + point
    counts = np.bincount(flat, minlength=len(row_ids) * width).reshape(-1, width)
    weight_sums = None
    if weighted:
        weight_sums = np.bincount(flat, weights=weight, minlength=len(row_ids) * width).reshape(-1, width)
    present = counts.sum(axis=1) > 0
    row_ids = row_ids[present]
    return _CountTable(
        row=row_ids,
        dimension=(row_ids // span) % n_dimensions,
        counts=counts[present],
        weight_sums=weight_sums[present] if weight_sums is not None else None,
        span=span,
        rows_per_item=n_dimensions * span,
    )


def _empty() -> pd.DataFrame:
    """The statistics table of a frame without rows: the columns with their dtypes."""
    dtypes = {"n": "int64", "abstentions": "int64", "rand_disagreement": "bool"}
    text = {"item", "dimension", "group", "distribution", "median_band"}
    return pd.DataFrame(
        {
            column: pd.Series(dtype=dtypes.get(column, object if column in text else "float64"))
            for column in STATISTIC_COLUMNS
        }
    )


def _groups_to_show(ratings: EncodedRatings, min_group_size: int) -> np.ndarray:
    """Per group code: a real (non-empty) group with at least ``min_group_size`` panelists.

    Only a pre-filter that saves counting groups which cannot pass :func:`is_shown` on any item
    (a group gives at most one valid rating per panelist); the rule itself is applied per row.
    A panelist counts towards a group when they have any row in the frame, abstentions included.
    """
    n_panelists = int(ratings.panelist.max()) + 1
    pairs = pd.unique(ratings.group.astype(np.int64) * n_panelists + ratings.panelist)
    size = np.bincount(pairs // n_panelists, minlength=len(ratings.group_labels))
    return (size >= min_group_size) & (ratings.group_labels != "")


def _summarise(
    counts: np.ndarray, abstentions: np.ndarray, weight_sums: np.ndarray | None, scale: Scale
) -> pd.DataFrame:
    """Statistics for each row of ``counts`` (ratings per point of ``scale``), one row each."""
    points = scale.points
    mean, sd = mean_sd_from_counts(counts, points)
    median = quantile_from_counts(counts, points, 0.5)
    q1 = quantile_from_counts(counts, points, 0.25)
    q3 = quantile_from_counts(counts, points, 0.75)
    p30 = quantile_from_counts(counts, points, 0.3)
    p70 = quantile_from_counts(counts, points, 0.7)
    if weight_sums is not None:
        weighted_median = weighted_median_from_weights(weight_sums, points)
    else:
        weighted_median = np.full(len(counts), np.nan)
    scale_points = list(range(scale.min, scale.max + 1))
    columns = {
        "n": counts.sum(axis=1),
        "abstentions": abstentions,
        "mean": mean,
        "sd": sd,
        "median": median,
        "q1": q1,
        "q3": q3,
        "iqr": q3 - q1,
        "pct_agree": share_in(counts, scale.band_mask(scale.agree)),
        "pct_disagree": share_in(counts, scale.band_mask(scale.disagree)),
        "distribution": [dict(zip(scale_points, row, strict=True)) for row in counts.tolist()],
        "cv": cv_from(mean, sd),
        **rand_ucla_columns(median, p30, p70, scale),
        "weighted_median": weighted_median,
    }
    return pd.DataFrame(columns)
