"""Descriptive statistics computed from counts per scale point.

Ratings are whole numbers on a bounded scale, so a group of ratings is fully described by its
distribution: one count per scale point. Every function here takes a count matrix ``counts`` of
shape (groups, points), where column ``j`` counts the ratings equal to ``points[j]``, and returns
one value per row. This turns per-group statistics into a handful of array operations, with no
per-group Python loop and no sort, and gives the values of the textbook formulas applied to the
expanded ratings (the quantiles exactly, rounded once; see :func:`quantile_from_counts`). Rows with
no rating give NaN.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np


def quantile_from_counts(counts: np.ndarray, points: np.ndarray, q: float) -> np.ndarray:
    """The ``q`` quantile of each row by linear interpolation (Hyndman & Fan 1996 type 7).

    For ``n`` sorted ratings ``x(0) ≤ … ≤ x(n−1)``: ``h = (n − 1)·q``, ``k = ⌊h⌋``, and the
    quantile is ``x(k) + (h − k)·(x(k+1) − x(k))``. This is R's default ``quantile(type = 7)``,
    numpy's ``method="linear"`` and pandas' ``quantile``, and it is the definition published
    Delphi reports use for the median and the interquartile range.

    What is guaranteed: ``q`` is read as the decimal it is written as (0.3 is 3/10), and ``h``,
    ``k`` and ``h − k`` are computed in integers, so for whole-number ``points`` the result is the
    exact rational value rounded once to the nearest float (P30 of 3, 4, 4, 5, 5, 5, 5, 6, 8, 9 is
    the float ``4.7``). numpy computes ``h`` in floating point and interpolates with a second
    rounding, so it can differ in the last bits (it gives 4.699999999999999 there): equal to
    ``numpy.quantile`` within about 1e-14, bit for bit only where both are exact (e.g. the
    quartiles and the median, whose fractions are quarters).
    """
    fraction = Fraction(repr(float(q)))
    numerator, denominator = fraction.numerator, fraction.denominator
    n = counts.sum(axis=1).astype(np.int64)
    cumulative = np.cumsum(counts, axis=1)
    position = np.maximum(n - 1, 0) * numerator  # h · denominator, exactly
    k, remainder = np.divmod(position, denominator)
    below = points[_order_statistic(cumulative, k)]
    above = points[_order_statistic(cumulative, np.minimum(k + 1, np.maximum(n - 1, 0)))]
    result = (below * denominator + (above - below) * remainder) / denominator
    return np.where(n > 0, result, np.nan)


def _order_statistic(cumulative: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Column index of the ``k``-th smallest rating (0-based) in each row."""
    index = (cumulative <= k[:, None]).sum(axis=1)
    return np.minimum(index, cumulative.shape[1] - 1)


def mean_sd_from_counts(counts: np.ndarray, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and sample standard deviation (ddof = 1) of each row.

    ``mean = Σ c·x / n`` and ``sd = √(Σ c·(x − mean)² / (n − 1))``; sd is NaN when n < 2.
    """
    n = counts.sum(axis=1).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = counts @ points / n
        squares = (counts * (points[None, :] - mean[:, None]) ** 2).sum(axis=1)
        sd = np.sqrt(squares / (n - 1))
    sd = np.where(n >= 2, sd, np.nan)
    return mean, sd


def cv_from(mean: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """Coefficient of variation ``sd / mean``; NaN where the mean is 0 or undefined."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(mean != 0, sd / mean, np.nan)


def share_in(counts: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Share in [0, 1] of each row's ratings that fall on the points selected by ``mask``."""
    n = counts.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, counts[:, mask].sum(axis=1) / n, np.nan)
