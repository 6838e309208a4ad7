"""Stability of each item's ratings between two rounds, on the panelists who answered both.

A Delphi study may stop when answers no longer move, whether or not they agree (Dajani, Sincoff &
Talley 1979). Per item × dimension, whole panel only, over panelists with a valid rating of the
item in both rounds (``n_paired``):

- ``wilcoxon_p``: two-sided Wilcoxon signed-rank test of round-2 against round-1 ratings, computed
  as R's ``wilcox.test(x, y, paired = TRUE)`` does by default (see :mod:`surveys.stats.wilcoxon`):
  zero differences dropped, the exact distribution when fewer than 50 non-zero differences remain
  with no ties and no zero, otherwise the normal approximation with tie-corrected variance and a
  continuity correction of ½. When every difference is zero nothing moved and ``p = 1.0``; with
  no pair it is NaN.
- ``kappa_qw``: Cohen's kappa with quadratic weights (Cohen 1968; Fleiss & Cohen 1973) over the
  dimension's full category set ``min..max``: ``κ = 1 − Σ w·O / Σ w·E`` with
  ``w_ij = (i − j)² / (k − 1)²``, ``O`` the observed round-1 × round-2 proportions and ``E`` the
  product of their margins. NaN when ``Σ w·E = 0`` (everyone gave one same rating twice).
- ``pct_unchanged``: share of paired panelists who gave the same rating twice.
- ``scheibe_pct_change``: Scheibe, Skutsch & Schofer (1975), "Experiments in Delphi methodology",
  in Linstone & Turoff, *The Delphi Method*: the net share of ratings that changed category,
  ``Σ_c |f₂(c) − f₁(c)| / (2n)`` with ``f`` the counts per scale point.
- ``delta_cv``: coefficient of variation of the paired round-2 ratings minus that of round 1.

The verdict. Dajani, Sincoff & Talley (1979), "Stability and agreement criteria for the termination
of Delphi studies", Technol Forecast Soc Change 13(1):83–90, separate *group* stability (the
distribution of answers no longer changes) from *individual* stability (each panelist keeps their
answer), and a panel is stable only when both hold. Here:

- group: ``is_stable_scheibe`` (``scheibe_pct_change < 15%``, Scheibe et al.'s threshold) **and**
  ``is_stable_wilcoxon`` (``p ≥ α``, no systematic shift; Kalaian & Kasim 2012, "Terminating
  sequential Delphi survey data collection", Pract Assess Res Eval 17(5), recommend this
  nonparametric test for ordinal ratings);
- individual: ``is_stable_kappa``, the rounds' weighted kappa at least 0.40, the lower bound of
  "moderate" agreement (Landis & Koch 1977, Biometrics 33:159–174), kappa between rounds being
  the individual stability measure of Holey et al. (2007), BMC Med Res Methodol 7:52. A NaN
  kappa (everyone kept one same rating) passes, since nobody moved.

A swap pattern (1 ↔ 9: κ = −1) leaves the distribution, hence Scheibe and Wilcoxon, unchanged and
is now unstable. ``is_stable`` is the conjunction, ``stability_verdict`` says ``"stable"`` or
``"unstable"``; with fewer than ``min_pairs`` pairs (default :data:`MIN_PAIRS` = 6) both say
nothing could be concluded: ``is_stable`` is None and the verdict ``"insufficient_data"``. Six is
the smallest number of pairs at which the two-sided exact Wilcoxon test can reach p < 0.05 at all
(its smallest p is 2/2ⁿ: 0.0625 with 5 pairs, 0.03125 with 6), so with fewer the "no shift" half
of the rule would hold whatever happened. All shares are in [0, 1].

Speed: both rounds are coded to integers once, paired by a lookup on a panelist × item × dimension
key, and counted into one round-1 × round-2 table per item × dimension with ``bincount``; every
figure, the Wilcoxon test included, is computed from those small tables (4M ratings a round in
well under 2 s, see ``bench/aggregate.py --stability-size``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .counts import cv_from, mean_sd_from_counts
from .frame import DENSE_RANGE_FACTOR, EncodedRatings, encode_ratings
from .scale import Scale
from .wilcoxon import wilcoxon_p_from_tables

STABILITY_TABLE_COLUMNS = [
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
    "is_stable_kappa",
    "is_stable",
    "stability_verdict",
]
MIN_PAIRS = 6
KAPPA_THRESHOLD = 0.40
VERDICTS = ("stable", "unstable", "insufficient_data")


def stability(
    previous: pd.DataFrame,
    current: pd.DataFrame,
    scales: Mapping[str, Scale],
    *,
    alpha: float = 0.05,
    scheibe_threshold: float = 0.15,
    kappa_threshold: float = KAPPA_THRESHOLD,
    min_pairs: int = MIN_PAIRS,
) -> pd.DataFrame:
    """Stability per item × dimension of ``current`` against ``previous`` (see module docstring).

    Both are ratings frames whose ``item`` values already name the same item across rounds (the
    caller maps a reworded item to its lineage root); both are validated as
    :func:`~surveys.stats.validate_ratings` does. There is one row for every item × dimension
    present in ``current``, sorted by item and dimension. ``is_stable`` is True, False, or None
    (fewer than ``min_pairs`` pairs), in an object column.
    """
    after = encode_ratings(current, scales)
    if not len(after):
        encode_ratings(previous, scales)  # still refuse a bad previous round
        return pd.DataFrame({column: [] for column in STABILITY_TABLE_COLUMNS})
    labels = _Labels(after.panelist_labels, after.item_labels, after.dimension_labels)
    dimension_scales = [scales[key] for key in labels.dimensions]
    width = max(scale.size for scale in dimension_scales)
    n_rows = len(labels.items) * len(labels.dimensions)
    row = after.item.astype(np.int64) * len(labels.dimensions) + after.dimension
    present = np.bincount(row, minlength=n_rows) > 0
    minimum = np.array([scale.min for scale in dimension_scales], dtype=float)[after.dimension]
    after_point = np.nan_to_num(after.value - minimum, nan=-1).astype(np.int32)
    after_key = labels.key(after.panelist, after.item, after.dimension)
    del after, minimum  # the two rounds' encodings are never held at once: 4M ratings stay under 1 GB
    before_point = _points_in(encode_ratings(previous, scales), labels, after_key, scales)
    del after_key
    paired = (after_point >= 0) & (before_point >= 0)
    cells = (row[paired] * width + before_point[paired]) * width + after_point[paired]
    del row, paired, after_point, before_point
    # observed[r, a, b]: paired panelists of row r (item × dimension) who moved from point a to point b.
    observed = np.bincount(cells, minlength=n_rows * width * width).reshape(n_rows, width, width)[present]
    row_ids = np.flatnonzero(present)
    item_code, dimension_code = np.divmod(row_ids, len(labels.dimensions))
    parts = []
    for code, scale in enumerate(dimension_scales):
        chosen = dimension_code == code
        part = _figures(observed[chosen, : scale.size, : scale.size], scale)
        part["item"] = labels.items[item_code[chosen]]
        part["dimension"] = str(labels.dimensions[code])
        part["order"] = row_ids[chosen]
        parts.append(part)
    table = pd.concat(parts, ignore_index=True).sort_values("order", kind="stable")
    thresholds = {"alpha": alpha, "scheibe_threshold": scheibe_threshold, "kappa_threshold": kappa_threshold}
    _verdicts(table, min_pairs=min_pairs, **thresholds)
    return table[STABILITY_TABLE_COLUMNS].reset_index(drop=True)


@dataclass(frozen=True)
class _Labels:
    """The current round's labels: its codes span the key space both rounds are paired in."""

    panelists: np.ndarray
    items: np.ndarray
    dimensions: np.ndarray

    def key(self, panelist: np.ndarray, item: np.ndarray, dimension: np.ndarray) -> np.ndarray:
        """One integer per panelist × item × dimension (codes of this round's labels)."""
        return (panelist.astype(np.int64) * len(self.items) + item) * len(self.dimensions) + dimension

    @property
    def n_keys(self) -> int:
        return len(self.panelists) * len(self.items) * len(self.dimensions)


def _points_in(
    before: EncodedRatings, labels: _Labels, after_key: np.ndarray, scales: Mapping[str, Scale]
) -> np.ndarray:
    """For each current rating (``after_key``): the same panelist's point (0-based) on the same item
    and dimension in ``before``, or −1 when they gave none there or abstained."""
    panelist = _code_map(before.panelist_labels, labels.panelists)[before.panelist]
    item = _code_map(before.item_labels, labels.items)[before.item]
    dimension = _code_map(before.dimension_labels, labels.dimensions)[before.dimension]
    minimum = np.array([scales[str(key)].min for key in before.dimension_labels], dtype=float)[before.dimension]
    keep = (panelist >= 0) & (item >= 0) & (dimension >= 0) & ~np.isnan(before.value)
    before_key = labels.key(panelist[keep], item[keep], dimension[keep])
    before_point = (before.value[keep] - minimum[keep]).astype(np.int32)
    del panelist, item, dimension, minimum, keep
    if labels.n_keys <= DENSE_RANGE_FACTOR * len(after_key) + 65536:  # a slot per possible key: no sort
        lookup = np.full(labels.n_keys, -1, dtype=np.int32)
        lookup[before_key] = before_point
        return lookup[after_key]
    if not len(before_key):
        return np.full(len(after_key), -1, dtype=np.int32)
    order = np.argsort(before_key, kind="stable")
    sorted_keys, sorted_points = before_key[order], before_point[order]
    position = np.minimum(np.searchsorted(sorted_keys, after_key), len(sorted_keys) - 1)
    return np.where(sorted_keys[position] == after_key, sorted_points[position], -1).astype(np.int32)


def _code_map(labels: np.ndarray, target: np.ndarray) -> np.ndarray:
    """For each label of one round, its code among ``target``'s labels, or −1 when absent."""
    return pd.Index(target).get_indexer(pd.Index(labels)).astype(np.int64)


def _figures(observed: np.ndarray, scale: Scale) -> pd.DataFrame:
    """Stability figures of each (k × k) round-1 × round-2 table of one dimension."""
    first, second = observed.sum(axis=2), observed.sum(axis=1)
    n = observed.sum(axis=(1, 2))
    points = scale.points
    with np.errstate(invalid="ignore", divide="ignore"):
        unchanged = np.trace(observed, axis1=1, axis2=2) / n
        scheibe = np.abs(second - first).sum(axis=1) / (2 * n)
    return pd.DataFrame(
        {
            "n_paired": n,
            "wilcoxon_p": wilcoxon_p_from_tables(observed),
            "kappa_qw": quadratic_kappa(observed),
            "pct_unchanged": unchanged,
            "scheibe_pct_change": scheibe,
            "delta_cv": cv_from(*mean_sd_from_counts(second, points)) - cv_from(*mean_sd_from_counts(first, points)),
        }
    )


def _verdicts(
    table: pd.DataFrame, *, alpha: float, scheibe_threshold: float, kappa_threshold: float, min_pairs: int
) -> None:
    """Add the three criteria, ``is_stable`` and ``stability_verdict`` (rules in the module docstring)."""
    kappa = table["kappa_qw"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        table["is_stable_wilcoxon"] = table["wilcoxon_p"].to_numpy(dtype=float) >= alpha
        table["is_stable_scheibe"] = table["scheibe_pct_change"].to_numpy(dtype=float) < scheibe_threshold
        nobody_moved = np.isnan(kappa) & (table["pct_unchanged"].to_numpy(dtype=float) == 1)
        table["is_stable_kappa"] = (kappa >= kappa_threshold) | nobody_moved
    stable = (table["is_stable_wilcoxon"] & table["is_stable_scheibe"] & table["is_stable_kappa"]).to_numpy()
    enough = table["n_paired"].to_numpy() >= min_pairs
    table["is_stable"] = pd.Series(np.where(enough, stable, None), index=table.index, dtype=object)
    table["stability_verdict"] = np.where(enough, np.where(stable, "stable", "unstable"), "insufficient_data")


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
