"""A one-glance summary of a round's statistics and verdicts, for reports and the dashboard."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .apmo import apmo


@dataclass(frozen=True)
class RoundSummary:
    """Counts of whole-panel verdicts, mean IQR and CV, and APMO (see :func:`surveys.stats.apmo`).

    ``n_items`` counts whole-panel item × dimension rows; ``n_no_data`` those with no valid
    rating (verdict ``""``), so ``n_items == n_in + n_out + n_none + n_no_data``.
    """

    n_items: int
    n_in: int
    n_out: int
    n_none: int
    n_no_data: int
    mean_iqr: float
    mean_cv: float
    apmo: float


def round_summary(stats: pd.DataFrame, verdicts: pd.Series | Sequence[str]) -> RoundSummary:
    """Summarise the whole-panel rows (``group == ""``) of ``stats`` and their ``verdicts``.

    ``verdicts`` are aligned to ``stats`` (a Series by index, a sequence by position). The mean IQR
    and mean CV average the rows that have them, across dimensions; NaN when none has.
    """
    if not isinstance(verdicts, pd.Series):
        verdicts = pd.Series(list(verdicts), index=stats.index)
    panel_rows = (stats["group"] == "") if "group" in stats.columns else pd.Series(True, index=stats.index)
    panel = stats[panel_rows]
    chosen = verdicts.reindex(panel.index).fillna("").astype(str).to_numpy()
    return RoundSummary(
        n_items=len(panel),
        n_in=int((chosen == "in").sum()),
        n_out=int((chosen == "out").sum()),
        n_none=int((chosen == "none").sum()),
        n_no_data=int((chosen == "").sum()),
        mean_iqr=_mean(panel["iqr"]),
        mean_cv=_mean(panel["cv"]),
        apmo=apmo(stats),
    )


def _mean(column: pd.Series) -> float:
    values = column.to_numpy(dtype=float)
    values = values[~np.isnan(values)]
    return float(values.mean()) if values.size else float("nan")
