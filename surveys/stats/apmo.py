"""APMO: the average percentage of majority opinions, a panel-level consensus cut-off.

Source: Kapoor P (1987), *A systems approach to documentary maritime fraud*, PhD thesis,
University of Plymouth, which introduced the "average percent of majority opinions" cut-off rate;
reviewed, with this formula, by von der Gracht HA (2012), "Consensus measurement in Delphi studies:
review and implications for future quality assurance", *Technol Forecast Soc Change*
79(8):1525–1536 (section on the APMO cut-off rate):

    APMO = (majority agreements + majority disagreements) / opinions expressed × 100%

"Majority" means more than 50%. Here, over the whole-panel rows, per item × dimension: its agreeing
ratings count as majority agreements when more than half of its valid ratings agree
(``pct_agree > 0.5``), likewise its disagreeing ratings for disagreement, and its **opinions
expressed** are its agreeing plus disagreeing ratings. A neutral rating (between the bands) is not
an opinion for or against, so it is in neither the numerator nor the denominator; it still counts
in ``n``, so it can keep the agreeing ratings from being a majority. Counts are ``round(pct · n)``.
The result is a share in [0, 1] (× 100 for the percentage); NaN when no opinion was expressed.
Statements above the cut-off are read as having consensus.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def apmo(stats: pd.DataFrame) -> float:
    """APMO of a statistics table (from :func:`item_statistics`); group rows are ignored."""
    panel = stats[stats["group"] == ""] if "group" in stats.columns else stats
    n = panel["n"].to_numpy(dtype=float)
    share_agree = np.nan_to_num(panel["pct_agree"].to_numpy(dtype=float))
    share_disagree = np.nan_to_num(panel["pct_disagree"].to_numpy(dtype=float))
    agree = np.round(share_agree * n)
    disagree = np.round(share_disagree * n)
    expressed = (agree + disagree).sum()
    if expressed == 0:
        return float("nan")
    majority = np.where(share_agree > 0.5, agree, 0).sum() + np.where(share_disagree > 0.5, disagree, 0).sum()
    return float(majority / expressed)
