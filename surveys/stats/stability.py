"""Stability of each item's ratings between two rounds, on the panelists who answered both.

A Delphi study may stop when answers no longer move, whether or not they agree (Dajani, Sincoff &
Talley 1979). Per item × dimension, whole panel only, over panelists with a valid rating of the
item in both rounds (``n_paired``):

- ``wilcoxon_p``: Wilcoxon signed-rank test of round-2 against round-1 ratings
  (``scipy.stats.wilcoxon``, ``zero_method="wilcox"``: zero differences are dropped). When every
  difference is zero nothing moved and ``p = 1.0``; with no pair it is NaN. Stable when ``p ≥ α``.
- ``kappa_qw``: Cohen's kappa with quadratic weights (Cohen 1968; Fleiss & Cohen 1973) over the
  dimension's full category set ``min..max``: ``κ = 1 − Σ w·O / Σ w·E`` with
  ``w_ij = (i − j)² / (k − 1)²``, ``O`` the observed round-1 × round-2 proportions and ``E`` the
  product of their margins. NaN when ``Σ w·E = 0`` (e.g. everyone gave one same rating twice).
- ``pct_unchanged``: share of paired panelists who gave the same rating twice.
- ``scheibe_pct_change``: Scheibe, Skutsch & Schofer (1975), "Experiments in Delphi methodology",
  in Linstone & Turoff, *The Delphi Method*: the net share of ratings that changed category,
  ``Σ_c |f₂(c) − f₁(c)| / (2n)`` with ``f`` the counts per scale point. Stable when below the
  threshold (they propose 15%).
- ``delta_cv``: coefficient of variation of the paired round-2 ratings minus that of round 1.

``is_stable`` is ``is_stable_scheibe and is_stable_wilcoxon``: the distribution hardly moved and
no systematic shift was detected. An item with no pair is not stable (all three flags False).
All shares are in [0, 1].
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from .counts import cv_from, mean_sd_from_counts
from .frame import encode_ratings, factorize
from .scale import Scale

STABILITY_COLUMNS = [
    "item",
    "dimension",
    "n_paired",
    "wilcoxon_p",
    "kappa_qw",
    "pct_unchanged",
    "scheibe_pct_change",
    "delta_cv",
    "is_stable_wilcoxon",
    "is_stable_scheibe",
    "is_stable",
]


def stability(
    previous: pd.DataFrame,
    current: pd.DataFrame,
    scales: Mapping[str, Scale],
    *,
    alpha: float = 0.05,
    scheibe_threshold: float = 0.15,
) -> pd.DataFrame:
    """Stability per item × dimension of ``current`` against ``previous`` (see module docstring).

    Both are ratings frames whose ``item`` values already name the same item across rounds (the
    caller maps a reworded item to its lineage root). There is one row for every item × dimension
    present in ``current``, sorted by item and dimension.
    """
    before = _rows(previous, scales).dropna(subset=["value"])
    after = _rows(current, scales)
    pairs = after.merge(before, on=["panelist", "item", "dimension"], how="left", suffixes=("_2", "_1"))
    parts = []
    for dimension in sorted(pairs["dimension"].unique()):
        chosen = pairs[pairs["dimension"] == dimension]
        part = _dimension_stability(chosen, scales[dimension])
        part.insert(1, "dimension", dimension)
        parts.append(part)
    if not parts:
        return pd.DataFrame({column: [] for column in STABILITY_COLUMNS})
    table = pd.concat(parts, ignore_index=True)
    with np.errstate(invalid="ignore"):
        table["is_stable_wilcoxon"] = table["wilcoxon_p"].to_numpy() >= alpha
        table["is_stable_scheibe"] = table["scheibe_pct_change"].to_numpy() < scheibe_threshold
    table["is_stable"] = table["is_stable_wilcoxon"] & table["is_stable_scheibe"]
    item_code, _ = factorize(table["item"])
    dimension_code, _ = factorize(table["dimension"])
    order = np.lexsort((dimension_code, item_code))
    return table.iloc[order][STABILITY_COLUMNS].reset_index(drop=True)


def _rows(ratings: pd.DataFrame, scales: Mapping[str, Scale]) -> pd.DataFrame:
    """Validated ``panelist, item, dimension, value`` rows; abstentions stay as NaN."""
    encoded = encode_ratings(ratings, scales)
    return pd.DataFrame(
        {
            "panelist": ratings["panelist"].to_numpy(),
            "item": ratings["item"].to_numpy(),
            "dimension": encoded.dimension_labels[encoded.dimension].astype(str),
            "value": encoded.value,
        }
    )


def _dimension_stability(pairs: pd.DataFrame, scale: Scale) -> pd.DataFrame:
    """Stability figures per item of one dimension's ``value_1``/``value_2`` rows."""
    item, labels = factorize(pairs["item"])
    before = pairs["value_1"].to_numpy(dtype=float)
    after = pairs["value_2"].to_numpy(dtype=float)
    paired = ~np.isnan(before) & ~np.isnan(after)
    item, before, after = item[paired], before[paired], after[paired]
    k = scale.size
    cells = item * k * k + (before - scale.min).astype(np.int64) * k + (after - scale.min).astype(np.int64)
    # observed[i, a, b]: paired panelists of item i who moved from point a to point b.
    observed = np.bincount(cells, minlength=len(labels) * k * k).reshape(len(labels), k, k)
    first, second = observed.sum(axis=2), observed.sum(axis=1)
    n = observed.sum(axis=(1, 2))
    points = scale.points
    with np.errstate(invalid="ignore", divide="ignore"):
        unchanged = np.trace(observed, axis1=1, axis2=2) / n
        scheibe = np.abs(second - first).sum(axis=1) / (2 * n)
    return pd.DataFrame(
        {
            "item": labels,
            "n_paired": n,
            "wilcoxon_p": _wilcoxon_p(item, before, after, len(labels)),
            "kappa_qw": quadratic_kappa(observed),
            "pct_unchanged": unchanged,
            "scheibe_pct_change": scheibe,
            "delta_cv": cv_from(*mean_sd_from_counts(second, points)) - cv_from(*mean_sd_from_counts(first, points)),
        }
    )


def quadratic_kappa(observed: np.ndarray) -> np.ndarray:
    """Quadratic-weighted Cohen's kappa of each (k × k) table of counts in ``observed``.

    ``κ = 1 − Σ w·O / Σ w·E``, ``w_ij = (i − j)²/(k − 1)²``, ``E_ij = row_i · col_j / n``
    (Cohen 1968; the same value as ``sklearn.metrics.cohen_kappa_score(weights="quadratic")``
    given every category as a label). NaN when ``Σ w·E`` is 0 or there are no pairs.
    """
    observed = np.asarray(observed, dtype=float)
    if observed.ndim == 2:
        return quadratic_kappa(observed[None])[0]
    k = observed.shape[-1]
    index = np.arange(k)
    weights = (index[:, None] - index[None, :]) ** 2 / (k - 1) ** 2
    n = observed.sum(axis=(1, 2))
    rows, columns = observed.sum(axis=2), observed.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        disagreement = np.einsum("kij,ij->k", observed, weights)
        expected = np.einsum("ki,ij,kj->k", rows, weights, columns) / n
        return np.where(expected > 0, 1 - disagreement / expected, np.nan)


def _wilcoxon_p(item: np.ndarray, before: np.ndarray, after: np.ndarray, n_items: int) -> np.ndarray:
    """Wilcoxon signed-rank p per item (scipy, ``zero_method="wilcox"``); 1.0 when nothing moved."""
    p_values = np.full(n_items, np.nan)
    order = np.argsort(item, kind="stable")
    bounds = np.searchsorted(item[order], np.arange(n_items + 1))
    for code in range(n_items):
        chosen = order[bounds[code] : bounds[code + 1]]
        if chosen.size == 0:
            continue
        if np.all(before[chosen] == after[chosen]):
            p_values[code] = 1.0
        else:
            p_values[code] = scipy_stats.wilcoxon(before[chosen], after[chosen], zero_method="wilcox").pvalue
    return p_values
