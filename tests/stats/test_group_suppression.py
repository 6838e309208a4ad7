"""Anonymity per item: a group is shown for an item and dimension only where enough of it rated there."""

from __future__ import annotations

import numpy as np
import pandas as pd

from surveys.stats import is_shown, item_statistics

from .frames import SCALES


def _frame(rows: list[tuple[str, str, str, float | None]]) -> pd.DataFrame:
    """(panelist, group, item, value) on agreement; None is "can't answer"."""
    return pd.DataFrame(
        [
            {
                "panelist": p,
                "item": item,
                "dimension": "agreement",
                "value": np.nan if v is None else float(v),
                "group": group,
                "weight": 1.0,
            }
            for p, group, item, v in rows
        ]
    )


# Group A has three panelists, of whom only a1 rates Q; all three rate P. Group B (three) rates both.
RATINGS = [
    ("a1", "A", "Q", 9),
    ("a1", "A", "P", 7),
    ("a2", "A", "P", 7),
    ("a3", "A", "P", 8),
    ("b1", "B", "Q", 2),
    ("b2", "B", "Q", 2),
    ("b3", "B", "Q", 3),
    ("b1", "B", "P", 3),
    ("b2", "B", "P", 3),
    ("b3", "B", "P", 4),
]


def test_a_group_with_one_rater_on_an_item_gets_no_row_for_it() -> None:
    stats = item_statistics(_frame(RATINGS), SCALES, min_group_size=3)

    shown = set(zip(stats["item"], stats["group"], strict=True))
    assert ("Q", "A") not in shown  # a1's 9 would be the group's mean, median and whole distribution
    assert {("P", "A"), ("P", "B"), ("Q", "B"), ("P", ""), ("Q", "")} <= shown


def test_the_suppressed_rater_still_counts_in_the_whole_panel() -> None:
    stats = item_statistics(_frame(RATINGS), SCALES, min_group_size=3).set_index(["item", "group"])

    assert stats.loc[("Q", ""), "n"] == 4
    assert stats.loc[("Q", ""), "distribution"][9] == 1


def test_the_rule_is_per_dimension() -> None:
    frame = _frame([(p, "A", "Q", 8) for p in ("a1", "a2", "a3")])
    feasibility = frame.iloc[:1].assign(dimension="feasibility", value=4.0)

    stats = item_statistics(pd.concat([frame, feasibility]), SCALES, min_group_size=3)

    groups = {(d, g) for d, g in zip(stats["dimension"], stats["group"], strict=True)}
    assert ("agreement", "A") in groups
    assert ("feasibility", "A") not in groups


def test_is_shown_needs_at_least_the_minimum_of_valid_ratings() -> None:
    assert is_shown(np.array([0, 2, 3, 4]), min_group_size=3).tolist() == [False, False, True, True]
    assert bool(is_shown(5, min_group_size=5))
