"""How sure the figures are: bootstrap intervals for the median and % agree, and the verdict's confidence.

Resampling panelists with replacement (the nonparametric bootstrap) turns a row's ``n`` valid
ratings into ``Multinomial(n, p)`` draws of its counts per scale point, ``p`` the observed shares:
an ordinal rating is fully described by its category, so resampling counts is resampling panelists,
exactly. Each row (item × dimension × group) is resampled on its own, as ``item_statistics``
computes it.

- ``median_ci_lo`` / ``median_ci_hi`` and ``pct_agree_ci_lo`` / ``pct_agree_ci_hi``: the percentile
  interval ``[Ĝ⁻¹(α/2), Ĝ⁻¹(1 − α/2)]`` (Efron B, Tibshirani RJ, 1993, *An Introduction to the
  Bootstrap*, Chapman & Hall, ch. 13), ``Ĝ`` the bootstrap distribution of the statistic and
  ``Ĝ⁻¹(q)`` its smallest value with ``Ĝ ≥ q`` (their "B·α-th ordered replicate"); α = 0.05 by
  default. Both are computed from the *exact* bootstrap distribution, i.e. the ideal bootstrap of
  B = ∞ (ch. 6), not from random resamples, so they carry no Monte Carlo error and need no seed:
  the resampled % agree is ``Binomial(n, p_agree) / n``, and the resampled type-7 median is the
  ``m``-th order statistic (odd n, ``m = (n − 1)/2``) or the mean of the ``m``-th and
  ``(m + 1)``-th (even n, ``m = n/2 − 1``) of the resample, whose distributions are binomial tails
  (David HA, Nagaraja HN, 2003, *Order Statistics*, 3rd ed., Wiley, §2.4):
  ``P(x₍ₘ₎ ≤ c) = P(Bin(n, F(c)) ≥ m + 1)`` and, for ``a < b``,
  ``P(x₍ₘ₎ ≤ a, x₍ₘ₊₁₎ > b) = C(n, m + 1)·F(a)^(m+1)·(1 − F(b))^(n−m−1)``.
  The intervals are values the statistic can take (a median on the half-point grid, a share k/n).
- ``verdict_confidence``: the share of ``n_resamples`` random resamples (B = 2,000 by default)
  whose statistics give the same verdict as the observed ones under the study's rule, with the
  rule's own evaluation (:func:`~surveys.stats.consensus_verdicts`' preset tests) on the
  resampled statistics. Only what the rule reads is drawn, exactly in distribution, all rows of a
  dimension in one pass (the samplers are in :mod:`.resampling` and :mod:`.quantile_resampling`).
  Its Monte Carlo standard error is at most ``0.5/√B`` (0.011 at B = 2,000). For a rule on shares
  only (``cos``, ``percent``, custom rules on ``n``, ``pct_agree``, ``pct_disagree``) it is
  instead the exact probability of keeping the verdict, the value the share tends to as B grows
  (:mod:`.exact_shares`): no Monte Carlo error, and B does not matter.

Deterministic: the random stream is seeded from the study and round (:func:`bootstrap_seed`, a
stable encoding of the study's slug or id, never Python's ``hash``) and the dimension, and the rows
are drawn in a canonical order, so the figures do not depend on the order of the rows. Rows with
``n == 0`` get NaN everywhere; so does ``verdict_confidence`` on a dimension left out of
``verdict_dimensions`` (one that gives no verdict, e.g. confidence).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import numpy as np
import pandas as pd
from scipy import special
from scipy import stats as scipy_stats

from .consensus import consensus_verdicts
from .consensus_rule import ConsensusRule
from .direction import dimension_rows
from .resampling import text_key, verdict_confidence
from .scale import Scale

UNCERTAINTY_COLUMNS = ["median_ci_lo", "median_ci_hi", "pct_agree_ci_lo", "pct_agree_ci_hi", "verdict_confidence"]
DEFAULT_RESAMPLES = 2000
VERDICT_CODES = {"in": 1, "out": -1, "none": 0}


def bootstrap_seed(study: str | int, round_number: int) -> np.random.SeedSequence:
    """The seed of a study's round: its slug (or id) as UTF-8 bytes read as one integer, and the round number."""
    return np.random.SeedSequence([text_key(study), int(round_number)])


def bootstrap_uncertainty(
    stats: pd.DataFrame,
    rule: ConsensusRule,
    scales: Mapping[str, Scale],
    *,
    seed: np.random.SeedSequence,
    n_resamples: int = DEFAULT_RESAMPLES,
    confidence: float = 0.95,
    verdict_dimensions: Collection[str] | None = None,
) -> pd.DataFrame:
    """:data:`UNCERTAINTY_COLUMNS` for each row of ``stats`` (from ``item_statistics``), aligned to its index.

    ``seed`` is :func:`bootstrap_seed` of the study and round; ``n_resamples`` (B) sets only the
    random part, ``verdict_confidence``, computed only on ``verdict_dimensions`` (default: all).
    See the module docstring for the definitions.
    """
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be at least 1; got {n_resamples}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie strictly between 0 and 1; got {confidence}")
    result = pd.DataFrame(np.nan, index=stats.index, columns=UNCERTAINTY_COLUMNS)
    if not len(stats):
        return result
    observed = consensus_verdicts(stats, rule, scales).map(VERDICT_CODES).to_numpy(dtype=float)
    tail = (1 - confidence) / 2
    for scale, rows in dimension_rows(stats, scales):
        block = stats[rows]
        counts = distribution_counts(block, scale)
        median_lo, median_hi = median_interval(counts, scale.points, tail)
        agreeing = counts[:, scale.band_mask(scale.agree)].sum(axis=1)
        agree_lo, agree_hi = share_interval(agreeing, counts.sum(axis=1), tail)
        chosen = (
            observed[rows]
            if verdict_dimensions is None or block["dimension"].iloc[0] in verdict_dimensions
            else np.full(int(rows.sum()), np.nan)
        )
        confidence_ = verdict_confidence(block, counts, chosen, rule, scale, seed, n_resamples)
        result.loc[rows, UNCERTAINTY_COLUMNS] = np.column_stack([median_lo, median_hi, agree_lo, agree_hi, confidence_])
    return result


def distribution_counts(stats: pd.DataFrame, scale: Scale) -> np.ndarray:
    """The (rows, points) count matrix of the ``distribution`` column, one column per point of ``scale``."""
    points = range(scale.min, scale.max + 1)
    return np.array([[row.get(point, 0) for point in points] for row in stats["distribution"]], dtype=np.int64).reshape(
        len(stats), scale.size
    )


def share_interval(hits: np.ndarray, n: np.ndarray, tail: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact percentile bootstrap interval of a share ``hits / n``: quantiles of ``Binomial(n, hits/n) / n``."""
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(n > 0, hits / n, 0.5)
        lo = scipy_stats.binom.ppf(tail, n, p) / n
        hi = scipy_stats.binom.ppf(1 - tail, n, p) / n
    return np.where(n > 0, lo, np.nan), np.where(n > 0, hi, np.nan)


def median_interval(counts: np.ndarray, points: np.ndarray, tail: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact percentile bootstrap interval of each row's type-7 median (module docstring).

    ``points`` must be equally spaced (a scale's whole numbers): the resampled median then lies on
    the half-point grid ``points[0] + s·step/2``.
    """
    counts = np.asarray(counts, dtype=np.int64)
    n = counts.sum(axis=1).astype(float)
    k = counts.shape[1]
    with np.errstate(invalid="ignore", divide="ignore"):
        below = np.cumsum(counts, axis=1) / n[:, None]  # F(c): share of ratings ≤ point c
        above = (n[:, None] - np.cumsum(counts, axis=1)) / n[:, None]  # 1 − F(c), without rounding
    odd_m = (n - 1) // 2
    even_m = n // 2 - 1
    # Odd n: the median is x(m); its cdf over the points.
    odd_cdf = scipy_stats.binom.sf(odd_m[:, None], n[:, None], below)
    # Even n: the median is (x(m) + x(m+1)) / 2; the joint cdf G(a, b) = P(x(m) ≤ a, x(m+1) ≤ b).
    m = even_m[:, None, None]
    first = scipy_stats.binom.sf(m, n[:, None, None], below[:, :, None])  # P(x(m) ≤ a)
    second = scipy_stats.binom.sf(m + 1, n[:, None, None], below[:, None, :])  # P(x(m+1) ≤ b)
    log_choose = special.gammaln(n + 1) - special.gammaln(even_m + 2) - special.gammaln(n - even_m)
    with np.errstate(invalid="ignore", divide="ignore"):
        gap = np.exp(
            log_choose[:, None, None]
            + special.xlogy(m + 1, below[:, :, None])
            + special.xlogy(n[:, None, None] - m - 1, above[:, None, :])
        )
    a_index, b_index = np.arange(k)[:, None], np.arange(k)[None, :]
    joint = np.where(a_index < b_index, first - gap, second)
    padded = np.zeros((len(n), k + 1, k + 1))
    padded[:, 1:, 1:] = joint
    pmf = padded[:, 1:, 1:] - padded[:, :-1, 1:] - padded[:, 1:, :-1] + padded[:, :-1, :-1]
    pmf = np.where(a_index <= b_index, np.clip(pmf, 0, None), 0)
    half_grid = np.zeros((len(n), 2 * k - 1))
    for a in range(k):  # mass of median (point a + point b) / 2 lands on half-grid slot a + b
        half_grid[:, a : a + k] += pmf[:, a, :]
    even_cdf = np.cumsum(half_grid, axis=1)
    odd_on_grid = np.full((len(n), 2 * k - 1), np.nan)
    odd_on_grid[:, 0::2] = odd_cdf
    odd_on_grid[:, 1::2] = odd_cdf[:, :-1]  # the odd-n median never lands between points
    cdf = np.where((n % 2 == 1)[:, None], odd_on_grid, even_cdf)
    grid = points[0] + np.arange(2 * k - 1) * (points[1] - points[0]) / 2
    lo = grid[np.minimum(np.argmax(cdf >= tail - 1e-12, axis=1), 2 * k - 2)]
    hi = grid[np.minimum(np.argmax(cdf >= 1 - tail - 1e-12, axis=1), 2 * k - 2)]
    return np.where(n > 0, lo, np.nan), np.where(n > 0, hi, np.nan)
