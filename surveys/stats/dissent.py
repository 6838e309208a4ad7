"""Dissent: how far a panel is from agreeing, whether it is split in two, and whether groups differ.

- ``agreement_a``: van der Eijk's agreement A (van der Eijk C, 2001, "Measuring agreement in
  ordered rating scales", *Quality & Quantity* 35(3):325–341), in [−1, 1]: 1 when everyone gives
  one category, 0 for a uniform distribution, −1 for two halves on the two extremes. The frequency
  vector over the scale's K points (empty ones included) is decomposed into layers: repeatedly take
  the smallest non-zero frequency m, the layer is m at every non-empty category, subtract it. A
  layer's pattern (1 where non-empty) has ``S`` non-empty categories and, over all triples of
  categories ``i < j < l``, ``TU`` triples patterned 110 or 011 and ``TDU`` patterned 101; its
  unimodality is ``U = ((K − 2)·TU − (K − 1)·TDU) / ((K − 2)·(TU + TDU))`` (1 when both are 0) and
  its agreement ``A = U·(1 − (S − 1)/(K − 1))`` (1 when ``S = 1``). The overall A is the mean of the
  layers' A weighted by their share of the ratings. NaN for no rating or fewer than 3 points.
- ``bimodality``: Sarle's bimodality coefficient ``b = (g² + 1) / (κ + 3(n − 1)²/((n − 2)(n − 3)))``
  with ``g`` the sample skewness and ``κ`` the sample excess kurtosis, both bias-corrected (SAS/STAT
  User's Guide, PROC CLUSTER; Pfister R et al., 2013, "Good things peak in pairs: a note on the
  bimodality coefficient", *Frontiers in Psychology* 4:700). It is 1/3 for a normal distribution,
  5/9 for a uniform one, and tends to 1 for two equal point masses; ``b > 5/9`` (:data:`BIMODAL_ABOVE`)
  suggests bimodality. NaN for n < 4 or no spread.
- Across groups, whole panel only: the Kruskal–Wallis H over the groups shown (the group rows
  ``item_statistics`` kept, i.e. passing the anonymity rule), with mid-ranks for ties and the tie
  correction ``1 − Σ(t³ − t)/(N³ − N)`` (Kruskal & Wallis 1952), ``kruskal_p`` from χ² with
  ``G − 1`` df (as ``scipy.stats.kruskal``), and its effect size ``epsilon_sq = H / ((N² − 1)/(N + 1))
  = H / (N − 1)`` in [0, 1] (Tomczak M, Tomczak E, 2014, "The need to report effect size estimates
  revisited", *Trends in Sport Sciences* 21(1):19–25). NaN with fewer than two groups, or when every
  rating is the same.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from .direction import dimension_rows
from .scale import Scale
from .uncertainty import distribution_counts

BIMODAL_ABOVE = 5 / 9
DISSENT_COLUMNS = ["agreement_a", "bimodality"]
GROUP_DIFFERENCE_COLUMNS = ["item", "dimension", "n_groups", "kruskal_h", "kruskal_p", "epsilon_sq"]


def agreement_a(counts: np.ndarray) -> np.ndarray:
    """van der Eijk's A of each row of a (rows, K) frequency matrix (module docstring); NaN without data."""
    remainder = np.asarray(counts, dtype=float).copy()
    if remainder.ndim == 1:
        return agreement_a(remainder[None])[0]
    rows, k = remainder.shape
    total = remainder.sum(axis=1)
    result = np.zeros(rows)
    for _ in range(k):  # each layer empties at least one category
        pattern = remainder > 0
        if not pattern.any():
            break
        layer = np.where(pattern, remainder, np.inf).min(axis=1)
        layer = np.where(np.isfinite(layer), layer, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            result += layer * pattern.sum(axis=1) / total * _pattern_agreement(pattern)
        remainder -= pattern * layer[:, None]
        remainder[np.isclose(remainder, 0)] = 0
    return np.where((total > 0) & (k >= 3), result, np.nan)


def _pattern_agreement(pattern: np.ndarray) -> np.ndarray:
    """A of each layer pattern (rows, K): triples counted from the ones left and right of each middle."""
    k = pattern.shape[1]
    ones = pattern.astype(float)
    zeros = 1 - ones
    ones_left = np.cumsum(ones, axis=1) - ones
    ones_right = ones.sum(axis=1, keepdims=True) - np.cumsum(ones, axis=1)
    zeros_left = np.cumsum(zeros, axis=1) - zeros
    zeros_right = zeros.sum(axis=1, keepdims=True) - np.cumsum(zeros, axis=1)
    bimodal = (zeros * ones_left * ones_right).sum(axis=1)  # 1 0 1
    unimodal = (ones * (ones_left * zeros_right + zeros_left * ones_right)).sum(axis=1)  # 1 1 0 and 0 1 1
    with np.errstate(invalid="ignore", divide="ignore"):
        u = ((k - 2) * unimodal - (k - 1) * bimodal) / ((k - 2) * (unimodal + bimodal))
    u = np.where(unimodal + bimodal == 0, 1.0, u)
    s = ones.sum(axis=1)
    return np.where(s == 1, 1.0, u * (1 - (s - 1) / (k - 1)))


def bimodality(counts: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Sarle's bimodality coefficient of each row of (rows, points) counts (module docstring)."""
    counts = np.asarray(counts, dtype=float)
    if counts.ndim == 1:
        return bimodality(counts[None], points)[0]
    n = counts.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = counts @ points / n
        centred = points[None, :] - mean[:, None]
        m2, m3, m4 = ((counts * centred**power).sum(axis=1) / n for power in (2, 3, 4))
        skew = np.sqrt(n * (n - 1)) / (n - 2) * m3 / m2**1.5
        kurtosis = (n - 1) / ((n - 2) * (n - 3)) * ((n + 1) * m4 / m2**2 - 3 * (n - 1))
        b = (skew**2 + 1) / (kurtosis + 3 * (n - 1) ** 2 / ((n - 2) * (n - 3)))
    spread = m2 > 1e-12 * np.maximum(1.0, np.abs(points).max() ** 2)
    return np.where((n >= 4) & spread, b, np.nan)


def kruskal_from_counts(counts: np.ndarray) -> tuple[float, float, float]:
    """``(H, p, ε²)`` of the Kruskal–Wallis test for (groups, points) counts (module docstring).

    Equals ``scipy.stats.kruskal`` on the expanded ratings; NaN with fewer than two non-empty
    groups or no spread.
    """
    counts = np.asarray(counts, dtype=float)
    counts = counts[counts.sum(axis=1) > 0]
    pooled = counts.sum(axis=0)
    total = pooled.sum()
    if len(counts) < 2 or (pooled > 0).sum() < 2:
        return (np.nan, np.nan, np.nan)
    midrank = np.cumsum(pooled) - (pooled - 1) / 2
    rank_sums = counts @ midrank
    sizes = counts.sum(axis=1)
    h = 12 / (total * (total + 1)) * (rank_sums**2 / sizes).sum() - 3 * (total + 1)
    h /= 1 - (pooled**3 - pooled).sum() / (total**3 - total)
    p = float(scipy_stats.chi2.sf(h, len(counts) - 1))
    return (float(h), p, float(h / ((total**2 - 1) / (total + 1))))


def dissent_statistics(stats: pd.DataFrame, scales: Mapping[str, Scale]) -> pd.DataFrame:
    """``agreement_a`` and ``bimodality`` of each row of ``stats`` (from ``item_statistics``), aligned to its index."""
    result = pd.DataFrame(np.nan, index=stats.index, columns=DISSENT_COLUMNS)
    for scale, rows in dimension_rows(stats, scales):
        counts = distribution_counts(stats[rows], scale)
        result.loc[rows, "agreement_a"] = agreement_a(counts)
        result.loc[rows, "bimodality"] = bimodality(counts, scale.points)
    return result


def group_differences(stats: pd.DataFrame, scales: Mapping[str, Scale]) -> pd.DataFrame:
    """Kruskal–Wallis across the groups shown, one row per item × dimension (:data:`GROUP_DIFFERENCE_COLUMNS`).

    ``stats`` is a statistics table from ``item_statistics`` with ``by_group=True``: its group rows
    (``group != ""``) are exactly the groups shown for that item and dimension, so a suppressed
    group never enters the test. Rows follow the whole-panel rows' order. Every item × dimension of
    a dimension at once: the same figures as :func:`kruskal_from_counts` on each.
    """
    parts = []
    for scale, rows in dimension_rows(stats, scales):
        block = stats[rows]
        cell, keys = pd.factorize(pd.MultiIndex.from_arrays([block["item"], block["dimension"]]))
        is_group = (block["group"] != "").to_numpy()
        counts = distribution_counts(block, scale)[is_group].astype(float)
        cell = cell[is_group]
        h, p, epsilon, n_groups = _kruskal_by_cell(counts, cell, len(keys))
        parts.append(
            pd.DataFrame(
                {
                    "item": keys.get_level_values(0),
                    "dimension": keys.get_level_values(1),
                    "n_groups": n_groups,
                    "kruskal_h": h,
                    "kruskal_p": p,
                    "epsilon_sq": epsilon,
                }
            )
        )
    if not parts:
        return pd.DataFrame({column: [] for column in GROUP_DIFFERENCE_COLUMNS})
    return pd.concat(parts, ignore_index=True)[GROUP_DIFFERENCE_COLUMNS]


def _kruskal_by_cell(
    counts: np.ndarray, cell: np.ndarray, n_cells: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`kruskal_from_counts` of each cell's group rows (``counts`` rows tagged by ``cell``)."""
    sizes = counts.sum(axis=1)
    rated = sizes > 0
    counts, cell, sizes = counts[rated], cell[rated], sizes[rated]
    pooled = np.zeros((n_cells, counts.shape[1]))
    np.add.at(pooled, cell, counts)
    total = pooled.sum(axis=1)
    n_groups = np.bincount(cell, minlength=n_cells)
    midrank = np.cumsum(pooled, axis=1) - (pooled - 1) / 2
    rank_sums = (counts * midrank[cell]).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        spread = np.bincount(cell, weights=rank_sums**2 / sizes, minlength=n_cells)
        h = 12 / (total * (total + 1)) * spread - 3 * (total + 1)
        h /= 1 - (pooled**3 - pooled).sum(axis=1) / (total**3 - total)
        p = scipy_stats.chi2.sf(h, n_groups - 1)
        epsilon = h / ((total**2 - 1) / (total + 1))
    testable = (n_groups >= 2) & ((pooled > 0).sum(axis=1) >= 2)
    return (np.where(testable, h, np.nan), np.where(testable, p, np.nan), np.where(testable, epsilon, np.nan), n_groups)
