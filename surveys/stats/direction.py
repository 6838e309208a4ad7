"""Direction and consensus on two axes: where the panel leans, and whether it agrees on it.

The in / out / none verdict folds two questions into one. Unisanté's fast-track Delphi reports
them apart (Unisanté, Centre universitaire de médecine générale et santé publique, Lausanne), which
makes "consensus on a neutral median" and "disagreement without consensus" expressible:

- ``direction``: ``"agree"`` when the median lies in the dimension's agree band (inclusive),
  ``"disagree"`` in its disagree band, ``"neutral"`` otherwise, a median between two points
  included (6.5 with agree band 7–9 is neutral); ``""`` for a row with no valid rating.
- ``has_consensus``: the consensus rule's dispersion criterion alone, whatever the side. Per preset
  (documented choices, since the presets' sources define only in and out):

  - ``iqr`` and ``custom``: ``IQR ≤ max_iqr`` (von der Gracht 2012), the ``iqr`` preset's own
    limit; a custom rule may set ``max_iqr`` too, else 1 on scales of up to 5 points and 2 on
    larger ones. The ``iqr`` verdict is exactly ``has_consensus`` and direction agree (in) or
    disagree (out).
  - ``cos``: the share criterion applied to whichever region holds the ratings: at least
    ``agree_min`` in the agree band with fewer than ``disagree_max`` in the disagree band, or the
    mirror image, or at least ``agree_min`` between the bands with fewer than ``disagree_max`` in
    each band. The first two are the cos "in" and "out".
  - ``percent``: at least ``threshold`` of the ratings in one region: the agree band, the disagree
    band, or between them.
  - ``rand_ucla``: no disagreement by the IPRAS test (Fitch et al. 2001), whatever the median.

  A row with no valid rating never has consensus. The share "between the bands" is
  ``1 − % agree − % disagree`` (the bands are disjoint, see :class:`~surveys.stats.scale.Scale`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .consensus_rule import ConsensusRule
from .errors import StatsInputError
from .scale import Scale

DIRECTIONS = ("agree", "neutral", "disagree")


def iqr_limit(rule: ConsensusRule, scale: Scale) -> float:
    """The largest IQR that counts as consensus: the rule's ``max_iqr``, else 1 on ≤ 5 points, else 2."""
    given = rule.params.get("max_iqr")
    if given is not None:
        return float(given)
    return 1.0 if scale.size <= 5 else 2.0


def dimension_rows(stats: pd.DataFrame, scales: Mapping[str, Scale]) -> list[tuple[Scale, np.ndarray]]:
    """Each dimension's scale with the boolean mask of its rows in ``stats``.

    Uses ``pandas.factorize`` once (fast on a categorical column, as the bootstrap passes), and
    raises :class:`StatsInputError` naming a dimension that has no scale.
    """
    codes, keys = pd.factorize(stats["dimension"])
    found = []
    for code, key in enumerate(keys):
        if key not in scales:
            known = ", ".join(sorted(scales)) or "none"
            raise StatsInputError(f"no scale for dimension {key!r} (known: {known})", dimension=str(key))
        found.append((scales[key], codes == code))
    return found


def direction_codes(stats: pd.DataFrame, scales: Mapping[str, Scale]) -> np.ndarray:
    """Direction as integers: 1 agree, 0 neutral, −1 disagree, and −2 where the median is NaN."""
    median = stats["median"].to_numpy(dtype=float)
    codes = np.full(len(stats), -2, dtype=np.int8)
    for scale, rows in dimension_rows(stats, scales):
        value = median[rows]
        agree = (value >= scale.agree[0]) & (value <= scale.agree[1])
        disagree = (value >= scale.disagree[0]) & (value <= scale.disagree[1])
        code = np.where(agree & ~disagree, 1, np.where(disagree & ~agree, -1, 0))
        codes[rows] = np.where(np.isnan(value), -2, code)
    return codes


def direction(stats: pd.DataFrame, scales: Mapping[str, Scale]) -> pd.Series:
    """``"agree"``, ``"neutral"``, ``"disagree"`` by the median's band (module docstring), ``""`` without data.

    ``stats`` is a statistics table from :func:`~surveys.stats.item_statistics` (it needs
    ``dimension`` and ``median``); the result is aligned to its index.
    """
    names = np.array(["", "disagree", "neutral", "agree"], dtype=object)
    codes = direction_codes(stats, scales)
    return pd.Series(names[np.where(codes == -2, 0, codes + 2)], index=stats.index, dtype=object, name="direction")


def has_consensus_mask(stats: pd.DataFrame, rule: ConsensusRule, scales: Mapping[str, Scale]) -> np.ndarray:
    """:func:`has_consensus` as a boolean array (the form the verdict tests use)."""
    has_data = stats["n"].to_numpy(dtype=float) > 0
    if rule.preset in ("iqr", "custom"):
        iqr = stats["iqr"].to_numpy(dtype=float)
        held = np.zeros(len(stats), dtype=bool)
        for scale, rows in dimension_rows(stats, scales):
            held[rows] = iqr[rows] <= iqr_limit(rule, scale)
        return held & has_data
    if rule.preset == "rand_ucla":
        return ~stats["rand_disagreement"].to_numpy(dtype=bool) & has_data
    agree = stats["pct_agree"].to_numpy(dtype=float)
    disagree = stats["pct_disagree"].to_numpy(dtype=float)
    between = 1 - agree - disagree
    if rule.preset == "percent":
        threshold = rule.param("threshold")
        return ((agree >= threshold) | (disagree >= threshold) | (between >= threshold - 1e-12)) & has_data
    agree_min, disagree_max = rule.param("agree_min"), rule.param("disagree_max")
    held = (agree >= agree_min) & (disagree < disagree_max)
    held |= (disagree >= agree_min) & (agree < disagree_max)
    held |= (between >= agree_min - 1e-12) & (agree < disagree_max) & (disagree < disagree_max)
    return held & has_data


def has_consensus(stats: pd.DataFrame, rule: ConsensusRule, scales: Mapping[str, Scale]) -> pd.Series:
    """The rule's dispersion criterion alone, per row of ``stats`` (per preset: module docstring).

    ``stats`` is a statistics table from :func:`~surveys.stats.item_statistics`; the result is a
    boolean Series aligned to its index. The share between the bands is computed as
    ``1 − a − d``, so it is compared with a tolerance of 1e-12 against rounding.
    """
    return pd.Series(has_consensus_mask(stats, rule, scales), index=stats.index, dtype=bool, name="has_consensus")


def two_axes(stats: pd.DataFrame, rule: ConsensusRule, scales: Mapping[str, Scale]) -> pd.DataFrame:
    """``direction`` and ``has_consensus`` of each row of ``stats``, aligned to its index."""
    return pd.DataFrame({"direction": direction(stats, scales), "has_consensus": has_consensus(stats, rule, scales)})
