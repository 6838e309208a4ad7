"""The RAND/UCLA appropriateness method: median band and the IPRAS disagreement test.

Source: Fitch K, Bernstein SJ, Aguilar MD, et al. *The RAND/UCLA Appropriateness Method User's
Manual*. RAND, 2001 (MR-1269-DG-XII/RE), on measuring disagreement in panels of any size (IPRAS).

For a panel's ratings on the 1..9 scale:

- median band: ``low`` for a median in 1–3, ``mid`` in 4–6, ``high`` in 7–9 (medians of 3.5 and
  6.5 fall in ``mid``, as the manual classifies them as "uncertain");
- ``P30``, ``P70``: the 30th and 70th percentiles, linear interpolation (R type 7, numpy
  ``method="linear"``); ``IPR = P70 − P30``;
- ``IPRCP = (P30 + P70) / 2``, the IPR's central point; ``AI = |5 − IPRCP|``, its asymmetry;
- ``IPRAS = 2.35 + 1.5·AI``, the IPR adjusted for symmetry; disagreement when ``IPR > IPRAS``.

The comparison is made with a tolerance, ``IPR > IPRAS + 1e-9`` (:data:`DISAGREEMENT_TOLERANCE`).
With whole-number ratings, P30 and P70 are multiples of 1/10 (``(n − 1)·0.3`` has a fractional
part in tenths), so IPR is a multiple of 1/10 and IPRAS one of 1/40: two values that differ at all
differ by at least 0.025, while the floats carry errors near 1e-15. Without the tolerance a panel
whose IPR equals its IPRAS exactly (P30 = 3.9 and P70 = 6.7: IPR = IPRAS = 2.8) could be called
disagreeing or not depending on rounding. :func:`rand_ucla` and :func:`~surveys.stats.item_statistics`
compute the percentiles with the same function (:func:`~surveys.stats.counts.quantile_from_counts`),
so they always agree.

Generalisation to other scales (documented choice, not from the manual): each scale point ``x``
covers ``[x − ½, x + ½]``, the span ``[min − ½, max + ½]`` is cut into three equal thirds, and a
median strictly below the first cut is ``low``, strictly above the second is ``high``, otherwise
``mid``. On 1..9 the cuts are 3.5 and 6.5, which is exactly the manual's 1–3 / 4–6 / 7–9. ``AI``
uses the scale's midpoint ``(min + max) / 2`` in place of 5. The constants 2.35 and 1.5 were
calibrated on 9-point panels, so on other scales the test is indicative only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .counts import quantile_from_counts
from .scale import RAND_SCALE, Scale

IPRAS_INTERCEPT = 2.35
IPRAS_SLOPE = 1.5
DISAGREEMENT_TOLERANCE = 1e-9  # far below the 1/40 grid of IPR − IPRAS, far above float error


@dataclass(frozen=True)
class RandUcla:
    """RAND/UCLA figures of one set of ratings; NaN (and band ``""``) when there are none."""

    median: float
    median_band: str
    p30: float
    p70: float
    ipr: float
    iprcp: float
    ai: float
    ipras: float
    disagreement: bool


BAND_NAMES = np.array(["", "low", "mid", "high"], dtype=object)


def median_band(median: np.ndarray, scale: Scale) -> np.ndarray:
    """``"low"``, ``"mid"`` or ``"high"`` for each median; ``""`` for NaN (see module docstring)."""
    median = np.asarray(median, dtype=float)
    third = scale.size / 3
    low_cut = scale.min - 0.5 + third
    high_cut = scale.min - 0.5 + 2 * third
    with np.errstate(invalid="ignore"):
        code = np.where(median < low_cut, 1, np.where(median > high_cut, 3, 2))
    return BAND_NAMES[np.where(np.isnan(median), 0, code)]  # object array: codes, then names (fast)


def rand_ucla_columns(median: np.ndarray, p30: np.ndarray, p70: np.ndarray, scale: Scale) -> dict[str, np.ndarray]:
    """Vectorised RAND/UCLA fields from medians and 30th/70th percentiles (Fitch et al. 2001).

    ``IPR = P70 − P30``, ``IPRCP = (P30 + P70)/2``, ``AI = |midpoint − IPRCP|``,
    ``IPRAS = 2.35 + 1.5·AI``, disagreement ``IPR > IPRAS + 1e-9`` (False where undefined; the
    tolerance is explained in the module docstring).
    """
    ipr = p70 - p30
    iprcp = (p30 + p70) / 2
    ai = np.abs(scale.midpoint - iprcp)
    ipras = IPRAS_INTERCEPT + IPRAS_SLOPE * ai
    with np.errstate(invalid="ignore"):
        disagreement = np.nan_to_num(ipr, nan=-np.inf) > ipras + DISAGREEMENT_TOLERANCE
    return {
        "median_band": median_band(median, scale),
        "p30": p30,
        "p70": p70,
        "ipr": ipr,
        "iprcp": iprcp,
        "ai": ai,
        "ipras": ipras,
        "rand_disagreement": disagreement,
    }


def rand_ucla(values: np.ndarray | Sequence[float], scale: Scale | None = None) -> RandUcla:
    """RAND/UCLA figures of one item's ratings (Fitch et al. 2001; formulas in the module docstring).

    ``values`` may hold NaN for "can't answer"; those are left out. Percentiles and the median use
    linear interpolation (R type 7), computed by the same function as :func:`item_statistics`
    (:func:`~surveys.stats.counts.quantile_from_counts`), so both give the same verdict on the same
    ratings. ``scale`` defaults to the method's own 1..9 scale. With no valid rating every figure is
    NaN, the band ``""`` and there is no disagreement.
    """
    scale = scale or RAND_SCALE
    ratings = np.asarray(values, dtype=float)
    ratings = ratings[~np.isnan(ratings)]
    points, counts = np.unique(ratings, return_counts=True)
    if not ratings.size:
        points, counts = np.zeros(1), np.zeros(1, dtype=np.int64)
    median, p30, p70 = (quantile_from_counts(counts[None, :], points, q) for q in (0.5, 0.3, 0.7))
    fields = rand_ucla_columns(median, p30, p70, scale)
    return RandUcla(
        median=float(median[0]),
        median_band=str(fields["median_band"][0]),
        p30=float(p30[0]),
        p70=float(p70[0]),
        ipr=float(fields["ipr"][0]),
        iprcp=float(fields["iprcp"][0]),
        ai=float(fields["ai"][0]),
        ipras=float(fields["ipras"][0]),
        disagreement=bool(fields["rand_disagreement"][0]),
    )
