"""Small builders of ratings frames for the statistics tests (no Django, no database)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from surveys.stats import Scale

NINE = Scale(min=1, max=9, agree=(7, 9), disagree=(1, 3))
FIVE = Scale(min=1, max=5, agree=(4, 5), disagree=(1, 2))
SCALES = {"agreement": NINE, "feasibility": FIVE}


def ratings_frame(
    values: Mapping[str, Sequence[float | None]],
    *,
    dimension: str = "agreement",
    groups: Sequence[str] | None = None,
    weights: Sequence[float] | None = None,
) -> pd.DataFrame:
    """Panelist ``p{i}`` gives ``values[item][i]`` on ``dimension``; None/NaN is "can't answer"."""
    rows = []
    for item, ratings in values.items():
        for index, value in enumerate(ratings):
            rows.append(
                {
                    "panelist": f"p{index}",
                    "item": item,
                    "dimension": dimension,
                    "value": np.nan if value is None else float(value),
                    "group": groups[index] if groups is not None else "",
                    "weight": weights[index] if weights is not None else 1.0,
                }
            )
    return pd.DataFrame(rows)


def whole_panel(stats: pd.DataFrame) -> pd.DataFrame:
    """The whole-panel rows of a statistics table, indexed by item."""
    return stats[stats["group"] == ""].set_index("item")
