"""Expertise-weighted median, an optional variant that is never the default.

Definition (the midpoint of the lower and upper weighted medians, as in Edgeworth's weighted
median; see e.g. Cormen, Leiserson, Rivest & Stein, *Introduction to Algorithms*, 3rd ed., 2009,
problem 9-2). Let ``F(x)`` be the share of the total weight carried by ratings ``≤ x``:

- the lower weighted median is the smallest rating ``x`` with ``F(x) ≥ ½``;
- the upper weighted median is the smallest rating ``x`` with ``F(x) > ½``;
- the weighted median is their mean.

With equal weights this is exactly the ordinary median (the middle rating, or the mean of the two
middle ones), so the weighted and unweighted figures only differ when the weights do. Ratings with
weight 0 do not count; with no positive weight the result is NaN. Shares within 1e-12 of ½ are
taken as exactly ½, so float sums such as 0.1 + 0.2 + 0.2 do not tip the result.

What is weighted, exactly (:data:`WEIGHTED_FIGURES`, for the report's methods section): only this
median. Quantiles other than the median, shares, means and everything built on them stay
unweighted; a weighted type-7 analogue for them (e.g. Akinshin A, 2023, "Weighted quantile
estimators", arXiv:2304.07265, with Kish's effective sample size) is not implemented.
"""

from __future__ import annotations

import numpy as np

TOLERANCE = 1e-12
#: The one sentence a report can print about expertise weighting.
WEIGHTED_FIGURES = (
    "Expertise weighting, when the study turns it on, changes one figure only: weighted_median, the "
    "median of the ratings weighted by each panelist's self-rated expertise (Edgeworth's weighted median: "
    "the mean of the lower and upper weighted medians), shown beside the ordinary median, never instead "
    "of it. Every other figure (n, mean, sd, quartiles, IQR, % agree and % disagree, RAND/UCLA, verdicts, "
    "intervals, verdict confidence, agreement A, bimodality, Kruskal-Wallis, trend, herding, attrition, "
    "Kendall's W, APMO, stability) counts each valid rating once, unweighted."
)


def weighted_median_from_weights(weights: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Weighted median of each row of a (groups, points) matrix of summed weights per scale point."""
    total = weights.sum(axis=1)
    cumulative = np.cumsum(weights, axis=1)
    half = total / 2
    slack = TOLERANCE * total
    last = weights.shape[1] - 1
    lower = np.minimum((cumulative < (half - slack)[:, None]).sum(axis=1), last)
    upper = np.minimum((cumulative <= (half + slack)[:, None]).sum(axis=1), last)
    return np.where(total > 0, (points[lower] + points[upper]) / 2, np.nan)


def weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    """Weighted median of one set of ratings (definition in the module docstring); NaN-safe."""
    values = np.asarray(values, dtype=float)
    weights = np.asarray(weights, dtype=float)
    keep = ~np.isnan(values) & (weights > 0)
    if not keep.any():
        return float("nan")
    points, inverse = np.unique(values[keep], return_inverse=True)
    summed = np.bincount(inverse, weights=weights[keep], minlength=points.size)
    return float(weighted_median_from_weights(summed[None, :], points)[0])
