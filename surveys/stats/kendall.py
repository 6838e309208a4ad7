"""Kendall's coefficient of concordance W: how far the panel ranks the items alike.

Source: Kendall, M. G. & Babington Smith, B. (1939). "The problem of m rankings". *The Annals of
Mathematical Statistics* 10(3), 275–287; tie correction as in Kendall (1948), *Rank Correlation
Methods*, and as implemented by R's ``irr::kendall(ratings, correct = TRUE)``.

With ``m`` raters ranking ``n`` objects (ties get mid-ranks, ``scipy.stats.rankdata`` "average"):

- ``R_j`` = sum of the ranks object ``j`` received, ``S = Σ_j (R_j − mean R)²``;
- ``W = 12·S / (m²(n³ − n) − m·T)`` where ``T = Σ over raters and tie groups of (t³ − t)``
  (``T = 0`` without the tie correction);
- ``χ² = m(n − 1)·W`` with ``n − 1`` degrees of freedom; ``p`` is its upper tail.

W is 0 for no agreement and 1 for identical rankings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from .errors import StatsInputError, short
from .frame import encode_ratings
from .scale import Scale


@dataclass(frozen=True)
class KendallW:
    """Kendall's W with its χ² test; ``m`` raters used, ``n`` objects, ``s`` the spread of rank sums."""

    w: float
    chi2: float
    df: int
    p_value: float
    m: int
    n: int
    s: float


def kendalls_w(scores: pd.DataFrame, *, raters: Literal["rows", "columns"], correct_ties: bool = True) -> KendallW:
    """Kendall's W of a table of scores (formulas in the module docstring).

    ``raters`` says which way the table lies, and is required because both layouts are common
    (R's ``irr::kendall`` takes subjects × raters, i.e. ``raters="columns"``) and the wrong one
    gives a wrong W without any error. With ``raters="rows"`` rows are raters (``m``) and columns
    the objects they rank (``n``); ``"columns"`` is the transpose. Each rater is ranked on its own,
    higher score = higher rank, ties sharing the mean of their ranks. A rater with any missing
    score is dropped, since W needs complete rankings. Fewer than two raters or objects, or raters
    who tie every object (zero denominator), give W, χ² and p of NaN rather than an error.
    """
    if raters not in ("rows", "columns"):
        raise StatsInputError(f'raters must be "rows" or "columns" (which way the raters lie); got {short(raters)}')
    table = scores if raters == "rows" else scores.T
    complete = table.dropna(axis=0, how="any").to_numpy(dtype=float)
    m, n = complete.shape
    degrees = max(n - 1, 0)
    if m < 2 or n < 2:
        return KendallW(w=np.nan, chi2=np.nan, df=degrees, p_value=np.nan, m=m, n=n, s=np.nan)
    ranks = scipy_stats.rankdata(complete, method="average", axis=1)
    rank_sums = ranks.sum(axis=0)
    s = float(((rank_sums - rank_sums.mean()) ** 2).sum())
    ties = _tie_sum(complete) if correct_ties else 0.0
    denominator = m**2 * (n**3 - n) - m * ties
    if denominator <= 0:
        return KendallW(w=np.nan, chi2=np.nan, df=degrees, p_value=np.nan, m=m, n=n, s=s)
    w = 12 * s / denominator
    chi2 = m * (n - 1) * w
    p_value = float(scipy_stats.chi2.sf(chi2, degrees))
    return KendallW(w=w, chi2=chi2, df=degrees, p_value=p_value, m=m, n=n, s=s)


def _tie_sum(scores: np.ndarray) -> float:
    """``Σ (t³ − t)`` over every rater's groups of tied scores."""
    ordered = np.sort(scores, axis=1)
    m, n = ordered.shape
    # Start a new run wherever the sorted value changes, and at the start of every row.
    starts = np.ones_like(ordered, dtype=bool)
    starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    run_lengths = np.diff(np.append(np.flatnonzero(starts.ravel()), m * n))
    return float((run_lengths**3 - run_lengths).sum())


def kendalls_w_from_ratings(ratings: pd.DataFrame, dimension: str, scales: Mapping[str, Scale]) -> KendallW:
    """Kendall's W of the items as ranked by each panelist's ratings on one ``dimension``.

    ``ratings`` is a ratings frame of one round (see :mod:`surveys.stats.frame`), validated as
    :func:`~surveys.stats.item_statistics` validates it: an off-scale or non-numeric rating, an
    unknown dimension or two rows for one panelist, item and dimension raise
    :class:`StatsInputError` naming them, and so does a ``dimension`` that is not in ``scales``.
    The frame is arranged as panelists × items (raters as rows); a panelist with an abstention or
    no row for some item is dropped (see :func:`kendalls_w`), and ties are corrected.
    """
    if dimension not in scales:
        known = ", ".join(sorted(scales)) or "none"
        raise StatsInputError(f"unknown dimension {dimension!r} (known: {known})", dimension=dimension)
    encoded = encode_ratings(ratings, scales)
    chosen = encoded.dimension_labels.astype(str)[encoded.dimension] == dimension
    panelists, panelist = np.unique(encoded.panelist[chosen], return_inverse=True)
    items, item = np.unique(encoded.item[chosen], return_inverse=True)
    table = np.full((len(panelists), len(items)), np.nan)  # panelists who rated this dimension × its items
    table[panelist, item] = encoded.value[chosen]
    return kendalls_w(pd.DataFrame(table), raters="rows", correct_ties=True)
