"""The Wilcoxon signed-rank test of paired ratings, pinned to R's ``wilcox.test`` default.

``scipy.stats.wilcoxon(method="auto")`` chose between the exact and the normal method differently
across scipy releases (and handled zeros and ties differently with them), so the same data gave
different p-values on different installations. This module fixes the method, as R's
``wilcox.test(x, y, paired = TRUE)`` (R Core Team, ``stats`` package; Hollander & Wolfe 1973,
*Nonparametric Statistical Methods*, §3.1) computes it by default, two-sided:

1. Differences ``d = after − before``; zero differences are dropped (Wilcoxon's original zero
   handling, scipy's ``zero_method="wilcox"``), leaving ``n`` non-zero differences.
2. ``|d|`` is ranked 1..n, ties sharing their mid-rank; ``W⁺`` is the sum of the ranks of the
   positive differences.
3. Exact when ``n < 50`` and there is no tie among the ``|d|`` and no zero difference was
   dropped: ``p = min(1, 2·P)``, ``P = P(W ≤ W⁺)`` when ``W⁺ ≤ n(n+1)/4``, else ``P(W ≥ W⁺)``,
   under the null distribution of the sum of a random subset of ranks 1..n (each of the ``2ⁿ``
   sign patterns equally likely).
4. Otherwise the normal approximation with continuity correction:
   ``z = (W⁺ − n(n+1)/4 − ½·sign(W⁺ − n(n+1)/4)) / σ``,
   ``σ² = n(n+1)(2n+1)/24 − Σ(t³ − t)/48`` over the groups of ``t`` tied ``|d|``, and
   ``p = 2·(1 − Φ(|z|))``.

When every difference is zero nothing moved: ``p = 1.0`` (R refuses to test; a Delphi report wants
"no shift"). With no pair at all ``p`` is NaN.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats as scipy_stats

EXACT_BELOW = 50


def wilcoxon_p(before: ArrayLike, after: ArrayLike) -> float:
    """Two-sided signed-rank p of paired whole-number ratings (definition in the module docstring)."""
    first = np.asarray(before, dtype=float)
    second = np.asarray(after, dtype=float)
    if first.shape != second.shape:
        raise ValueError(f"before and after must pair up: {first.size} against {second.size} ratings")
    if not first.size:
        return float("nan")
    low = int(min(first.min(), second.min()))
    k = int(max(first.max(), second.max())) - low + 1
    table = np.zeros((1, k, k))
    np.add.at(table[0], ((first - low).astype(np.int64), (second - low).astype(np.int64)), 1)
    return float(wilcoxon_p_from_tables(table)[0])


def wilcoxon_p_from_tables(observed: np.ndarray) -> np.ndarray:
    """The p of each (k × k) table of counts: ``observed[r, a, b]`` pairs moved from point a to point b.

    Computed from the counts per difference, with no per-pair work: the difference ``b − a = m``
    lies on the table's ``m``-th diagonal.
    """
    observed = np.asarray(observed, dtype=float)
    rows, k = observed.shape[0], observed.shape[-1]
    zeros = np.trace(observed, axis1=1, axis2=2)
    if k < 2:
        return np.where(zeros > 0, 1.0, np.nan)
    up = np.stack([np.trace(observed, offset=m, axis1=1, axis2=2) for m in range(1, k)], axis=1)
    down = np.stack([np.trace(observed, offset=-m, axis1=1, axis2=2) for m in range(1, k)], axis=1)
    tied = up + down  # t per |d| = 1..k−1
    n = tied.sum(axis=1)
    mid_rank = np.cumsum(tied, axis=1) - tied + (tied + 1) / 2
    w_plus = (up * mid_rank).sum(axis=1)
    ties = (tied**3 - tied).sum(axis=1)
    mean = n * (n + 1) / 4
    with np.errstate(invalid="ignore", divide="ignore"):
        sigma = np.sqrt(n * (n + 1) * (2 * n + 1) / 24 - ties / 48)
        z = (w_plus - mean - 0.5 * np.sign(w_plus - mean)) / sigma
    p = 2 * scipy_stats.norm.sf(np.abs(z))
    exact = (n > 0) & (n < EXACT_BELOW) & (tied.max(axis=1) <= 1) & (zeros == 0)
    for row in np.flatnonzero(exact):
        p[row] = _exact_p(int(n[row]), round(float(w_plus[row])))
    p = np.where(n > 0, np.minimum(p, 1.0), np.where(zeros > 0, 1.0, np.nan))
    return p if rows else np.zeros(0)


def _exact_p(n: int, w_plus: int) -> float:
    """Two-sided exact p of ``W⁺`` with ``n`` untied non-zero differences (R's ``psignrank``)."""
    counts = _null_counts(n)
    upper = w_plus > n * (n + 1) / 4
    tail = counts[w_plus:].sum() if upper else counts[: w_plus + 1].sum()
    return min(1.0, 2 * float(tail) / 2**n)


@lru_cache(maxsize=EXACT_BELOW)
def _null_counts(n: int) -> np.ndarray:
    """How many of the 2ⁿ sign patterns give each ``W⁺ = 0..n(n+1)/2`` (subset sums of 1..n)."""
    counts = np.zeros(n * (n + 1) // 2 + 1, dtype=np.int64)
    counts[0] = 1
    for rank in range(1, n + 1):
        counts[rank:] = counts[rank:] + counts[:-rank].copy()
    return counts
