"""Consensus verdicts: each item × dimension (× group) is "in", "out" or "none" under the study's rule.

The presets and their sources (each preset function below cites its own):

- ``cos``: core outcome set standard (COMET; Williamson et al. 2017) — in at ≥ 70% agree and < 15%
  disagree, out at the mirror image;
- ``percent``: Diamond et al. (2014) — the share in the agree band reaches a threshold (75%);
- ``iqr``: von der Gracht (2012), Diamond et al. (2014) — IQR at most k, direction from the median;
- ``rand_ucla``: Fitch et al. (2001) — median band plus the IPRAS disagreement test;
- ``custom``: the study's own criteria on the statistics columns.

A row with ``n == 0`` (every panelist abstained) gets ``""``: no verdict at all. A row for which
a rule finds both "in" and "out" (possible only with unusual parameters) gets ``"none"``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import numpy as np
import pandas as pd

from .consensus_rule import ConsensusRule, Criterion
from .direction import direction_codes, has_consensus_mask
from .scale import Scale

Test = Callable[[pd.DataFrame, ConsensusRule, Mapping[str, Scale]], tuple[np.ndarray, np.ndarray]]


def consensus_verdicts(stats: pd.DataFrame, rule: ConsensusRule, scales: Mapping[str, Scale]) -> pd.Series:
    """The verdict of each row of ``stats`` (from :func:`item_statistics`), aligned to its index.

    Values are ``"in"``, ``"out"``, ``"none"``, and ``""`` for rows with ``n == 0``. Missing
    statistics (NaN) never satisfy a test.
    """
    is_in, is_out = PRESET_TESTS[rule.preset](stats, rule, scales)
    has_data = stats["n"].to_numpy() > 0
    verdict = np.select(
        [~has_data, is_in & ~is_out, is_out & ~is_in],
        ["", "in", "out"],
        default="none",
    )
    return pd.Series(verdict, index=stats.index, dtype=object, name="verdict")


def item_decision(verdicts: Iterable[str]) -> str:
    """An item's decision from its verdicts on the dimensions that count toward consensus.

    ``"in"`` or ``"out"`` when every verdict is that one, ``"mixed"`` when each is in or out but they
    differ (in on desirability, out on feasibility, say), and ``""`` (undecided: the item carries
    over) when any has no consensus or no verdict, or there is none at all.
    """
    found = set(verdicts)
    if not found or not found <= {"in", "out"}:
        return ""
    return found.pop() if len(found) == 1 else "mixed"


def _column(stats: pd.DataFrame, name: str) -> np.ndarray:
    return stats[name].to_numpy(dtype=float)


def _cos(stats: pd.DataFrame, rule: ConsensusRule, scales: Mapping[str, Scale]) -> tuple[np.ndarray, np.ndarray]:
    """Core outcome set consensus: in at ≥ ``agree_min`` agree and < ``disagree_max`` disagree.

    Out is the mirror image (≥ ``agree_min`` disagree and < ``disagree_max`` agree). Defaults 70%
    and 15%, "consensus in" as defined for core outcome sets by Williamson PR et al. (2017), *The
    COMET Handbook: version 1.0*, Trials 18(Suppl 3):280, and the COS-STAD standards (Kirkham JJ
    et al. 2017, PLoS Med 14(11):e1002447), rating 7–9 as agreement and 1–3 as disagreement.
    """
    agree, disagree = _column(stats, "pct_agree"), _column(stats, "pct_disagree")
    agree_min, disagree_max = rule.param("agree_min"), rule.param("disagree_max")
    is_in = (agree >= agree_min) & (disagree < disagree_max)
    is_out = (disagree >= agree_min) & (agree < disagree_max)
    return is_in, is_out


def _percent(stats: pd.DataFrame, rule: ConsensusRule, scales: Mapping[str, Scale]) -> tuple[np.ndarray, np.ndarray]:
    """Percent agreement: in when the agree share is ≥ ``threshold``, out when the disagree share is.

    Diamond IR et al. (2014), "Defining consensus: a systematic review recommends methodologic
    criteria for reporting of Delphi studies", J Clin Epidemiol 67(4):401–409: percent agreement
    was the commonest definition, with 75% the median threshold (the default here).
    """
    threshold = rule.param("threshold")
    return _column(stats, "pct_agree") >= threshold, _column(stats, "pct_disagree") >= threshold


def _iqr(stats: pd.DataFrame, rule: ConsensusRule, scales: Mapping[str, Scale]) -> tuple[np.ndarray, np.ndarray]:
    """IQR consensus: IQR ≤ ``max_iqr``; in when the median is in the agree band, out in the disagree band.

    von der Gracht HA (2012), "Consensus measurement in Delphi studies", Technol Forecast Soc
    Change 79(8):1525–1536, reviews the IQR as a common consensus criterion, with a limit of about
    1 on 4- or 5-point scales and 2 on longer ones (see also Diamond et al. 2014).
    Default ``max_iqr``: 1 on scales of up to 5 points, 2 on larger ones. The IQR uses linear
    interpolation (R type 7). A median between two points (e.g. 6.5 with agree band 7–9) lies in
    no band, so it gives "none". On the two axes of :mod:`surveys.stats.direction` this is exactly
    ``has_consensus`` with direction agree (in) or disagree (out).
    """
    consensus = has_consensus_mask(stats, rule, scales)
    codes = direction_codes(stats, scales)
    return consensus & (codes == 1), consensus & (codes == -1)


def _rand_ucla(stats: pd.DataFrame, rule: ConsensusRule, scales: Mapping[str, Scale]) -> tuple[np.ndarray, np.ndarray]:
    """RAND/UCLA: in when the median band is ``high`` without disagreement; out when ``low`` without.

    Fitch K et al. (2001), *The RAND/UCLA Appropriateness Method User's Manual*: "appropriate" is a
    median of 7–9 without disagreement, "inappropriate" 1–3 without disagreement, and everything
    else "uncertain". Disagreement is the IPRAS test (IPR > IPRAS), see :mod:`surveys.stats.rand_ucla`.
    """
    band = stats["median_band"].to_numpy()
    agreed = ~stats["rand_disagreement"].to_numpy(dtype=bool)
    return (band == "high") & agreed, (band == "low") & agreed


def _custom(stats: pd.DataFrame, rule: ConsensusRule, scales: Mapping[str, Scale]) -> tuple[np.ndarray, np.ndarray]:
    """The study's own criteria, joined by ``all`` or ``any``; ``out_criteria`` likewise.

    Each criterion compares one statistics column to a number with a fixed operator table (never
    ``eval``). A NaN statistic fails every criterion, ``!=`` included. No ``out_criteria``: never out.
    ``direction`` and ``has_consensus`` are computed from the median and IQR
    (:mod:`surveys.stats.direction`); a row without ratings fails those criteria too.
    """
    combine = np.logical_and.reduce if rule.param("join") == "all" else np.logical_or.reduce
    axes: dict[str, np.ndarray] = {}

    def observed_axis(stat: str) -> np.ndarray:
        if stat not in axes:
            if stat == "direction":
                names = np.array(["disagree", "neutral", "agree", ""], dtype=object)
                axes[stat] = names[direction_codes(stats, scales) + 1]  # code −2 (no median) reads ""
            else:
                axes[stat] = has_consensus_mask(stats, rule, scales)
        return axes[stat]

    def holds(criteria: tuple[Criterion, ...]) -> np.ndarray:
        if not criteria:
            return np.zeros(len(stats), dtype=bool)
        has_data = _column(stats, "n") > 0
        tests = []
        for criterion in criteria:
            if criterion.stat in ("direction", "has_consensus"):
                tests.append(has_data & np.asarray(criterion.holds(observed_axis(criterion.stat)), dtype=bool))
                continue
            observed = _column(stats, criterion.stat)
            tests.append(~np.isnan(observed) & criterion.holds(observed))
        return combine(tests)

    return holds(rule.param("criteria")), holds(rule.param("out_criteria"))


PRESET_TESTS: Mapping[str, Test] = {
    "cos": _cos,
    "percent": _percent,
    "iqr": _iqr,
    "rand_ucla": _rand_ucla,
    "custom": _custom,
}
