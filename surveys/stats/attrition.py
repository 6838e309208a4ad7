"""Attrition bias: did the experts who left after a round rate differently from those who stayed?

Delphi panels shrink from round to round, and if those who drop out are the ones who disagreed, the
later rounds' "consensus" may be produced by attrition rather than by persuasion. Humphrey-Murto &
de Wit (2019), "The Delphi method—more research please", *Journal of Clinical Epidemiology* 106:
136–139, name attrition bias as an open problem and ask studies to examine it. This module gives a
round the check they call for, on the ratings that both groups did give: the previous round's.

For round r, with ``previous`` the ratings of round r − 1 (submitted ballots) and ``submitted`` the
panelists who submitted round r:

- **left**: panelists with a row in ``previous`` who did not submit round r; **stayed**: those who
  did. Newcomers of round r (absent from ``previous``) are in neither group.
- Per item × dimension of ``previous``: the two-sided Mann–Whitney U test (``scipy.stats.mannwhitneyu``,
  ``alternative="two-sided"``) of the left group's valid ratings against the stayed group's. The
  method is pinned as R's ``wilcox.test`` default, so the p-value does not depend on scipy's
  ``"auto"`` rule: ``method="exact"`` when both groups have fewer than 50 ratings and the pooled
  ratings hold no tie, else ``method="asymptotic"`` (normal approximation with the tie-corrected
  variance) with ``use_continuity=True``. Ordinal ratings nearly always tie, so the asymptotic test
  is the usual case. ``u`` is U of the left group; ``rank_biserial = 2U / (n_left · n_stayed) − 1``
  in [−1, 1] (Kerby 2014), positive when those who left tended to rate higher.
- An item × dimension is **tested** when each group gave at least ``min_per_group`` valid ratings
  (default 3; with fewer the test cannot reach p < 0.05 at all and would only dilute the share).
  Untested rows keep NaN ``u`` and ``p_value``.
- ``share_p_lt_05``: tested rows with p < 0.05, over the rows tested.
- ``flag``: more rows significant than chance alone explains. With k tests at α = 0.05 and no bias,
  about 5% come out significant by chance; the flag is raised when a one-sided binomial test of
  the count against Binomial(k, 0.05) (``scipy.stats.binomtest``, ``alternative="greater"``) gives
  ``binomial_p < 0.05``. The tests share panelists, so they are not independent: read the flag as a
  prompt to look at the per-item rows, not as a formal proof of bias.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from .frame import encode_ratings, factorize
from .scale import Scale

ALPHA = 0.05
EXACT_BELOW = 50  # R's wilcox.test: exact p for fewer than 50 ratings in each group, without ties
ATTRITION_COLUMNS = [
    "item",
    "dimension",
    "n_left",
    "n_stayed",
    "median_left",
    "median_stayed",
    "u",
    "p_value",
    "method",
    "rank_biserial",
    "is_tested",
]


@dataclass(frozen=True)
class AttritionBias:
    """One round's attrition-bias check (module docstring); ``items`` has :data:`ATTRITION_COLUMNS`."""

    n_left: int
    n_stayed: int
    items_tested: int
    n_p_lt_05: int
    share_p_lt_05: float | None
    binomial_p: float | None
    flag: bool
    items: pd.DataFrame

    def to_json(self) -> dict[str, Any]:
        """The round's ``attrition_bias`` object: plain numbers, None where undefined."""
        return {
            "n_left": self.n_left,
            "n_stayed": self.n_stayed,
            "items_tested": self.items_tested,
            "n_p_lt_05": self.n_p_lt_05,
            "share_p_lt_05": self.share_p_lt_05,
            "binomial_p": self.binomial_p,
            "flag": self.flag,
        }


def attrition_bias(
    previous: pd.DataFrame,
    submitted: Collection[Any],
    scales: Mapping[str, Scale],
    *,
    min_per_group: int = 3,
) -> AttritionBias:
    """Compare the ``previous`` ratings of those who then left with those of those who stayed.

    ``previous`` is the ratings frame of round r − 1 (validated as :func:`surveys.stats.validate_ratings`
    does); ``submitted`` holds the panelist ids (as in ``previous["panelist"]``) who submitted round r.
    ``items`` has one row per item × dimension of ``previous``, sorted by item and dimension.
    """
    if min_per_group < 1:
        raise ValueError(f"min_per_group must be at least 1, not {min_per_group}")
    encoded = encode_ratings(previous, scales)
    panelist_code, panelist_labels = factorize(previous["panelist"])
    stays = pd.Index(panelist_labels).isin(list(submitted))
    n_dimensions = len(encoded.dimension_labels)
    cell = encoded.item.astype(np.int64) * n_dimensions + encoded.dimension
    rows = [
        _test_cell(cell_values, cell_stays, min_per_group)
        for cell_values, cell_stays in _cells(encoded, cell, stays[panelist_code])
    ]
    present = np.unique(cell)
    items = pd.DataFrame(rows, columns=ATTRITION_COLUMNS[2:])
    items.insert(0, "dimension", encoded.dimension_labels[present % n_dimensions].astype(str) if len(present) else [])
    items.insert(0, "item", encoded.item_labels[present // n_dimensions] if len(present) else [])
    items["is_tested"] = items["is_tested"].astype(bool)
    tested = int(items["is_tested"].sum())
    significant = int((items["p_value"] < ALPHA).sum())
    binomial_p = (
        float(scipy_stats.binomtest(significant, tested, ALPHA, alternative="greater").pvalue) if tested else None
    )
    return AttritionBias(
        n_left=int((~stays).sum()),
        n_stayed=int(stays.sum()),
        items_tested=tested,
        n_p_lt_05=significant,
        share_p_lt_05=significant / tested if tested else None,
        binomial_p=binomial_p,
        flag=binomial_p is not None and binomial_p < ALPHA,
        items=items[ATTRITION_COLUMNS],
    )


def _cells(encoded: Any, cell: np.ndarray, stays: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """The (values, stays) of each item × dimension cell, in cell order (one sort, no per-cell scan)."""
    order = np.argsort(cell, kind="stable")
    bounds = np.flatnonzero(np.diff(cell[order])) + 1
    return (
        list(zip(np.split(encoded.value[order], bounds), np.split(stays[order], bounds), strict=True))
        if len(cell)
        else []
    )


def _test_cell(values: np.ndarray, stays: np.ndarray, min_per_group: int) -> tuple[Any, ...]:
    """``n_left, n_stayed, median_left, median_stayed, u, p_value, method, rank_biserial, is_tested``."""
    valid = ~np.isnan(values)
    left, stayed = values[valid & ~stays], values[valid & stays]
    medians = (float(np.median(left)) if len(left) else np.nan, float(np.median(stayed)) if len(stayed) else np.nan)
    if len(left) < min_per_group or len(stayed) < min_per_group:
        return len(left), len(stayed), *medians, np.nan, np.nan, "", np.nan, False
    pooled = np.concatenate([left, stayed])
    exact = len(left) < EXACT_BELOW and len(stayed) < EXACT_BELOW and len(np.unique(pooled)) == len(pooled)
    method = "exact" if exact else "asymptotic"
    result = scipy_stats.mannwhitneyu(left, stayed, alternative="two-sided", method=method, use_continuity=True)
    u = float(result.statistic)
    return (
        len(left),
        len(stayed),
        *medians,
        u,
        float(result.pvalue),
        method,
        2 * u / (len(left) * len(stayed)) - 1,
        True,
    )
