from __future__ import annotations

import math

import pandas as pd
import pytest

from surveys.stats import apmo, consensus_verdicts, item_statistics, parse_consensus_rule, round_summary

from .frames import SCALES, ratings_frame


def _stats() -> pd.DataFrame:
    return item_statistics(
        ratings_frame(
            {
                "C1": [9, 9, 9, 9, 8, 8, 8, 7, 5, 1],  # 8 agree (majority), 1 disagree
                "C2": [9, 9, 9, 9, 1, 1, 1, 1, 5, 5],  # 4 agree, 4 disagree: no majority
                "C3": [1, 1, 2, 2, 3, 3, 5, 5, 5, 5],  # 6 disagree (majority)
            }
        ),
        SCALES,
    )


def test_apmo_is_majority_opinions_over_opinions_expressed() -> None:
    # Majority opinions: 8 (C1 agree) + 6 (C3 disagree); expressed: 9 + 8 + 6.
    assert apmo(_stats()) == pytest.approx(14 / 23)


def test_apmo_ignores_group_rows() -> None:
    frame = ratings_frame({"C1": [9, 9, 9, 1, 1, 1]}, groups=["a"] * 3 + ["b"] * 3)

    # Whole panel: 3 agree and 3 disagree, neither a majority, so 0 of 6.
    assert apmo(item_statistics(frame, SCALES)) == 0.0


def test_apmo_is_nan_when_nobody_expressed_an_opinion() -> None:
    assert math.isnan(apmo(item_statistics(ratings_frame({"C1": [5, 5, None]}), SCALES)))


def test_round_summary_counts_verdicts_of_the_whole_panel() -> None:
    frame = pd.concat(
        [
            ratings_frame({"C1": [9, 9, 9, 9], "C2": [1, 1, 1, 1], "C3": [5, 9, 1, 5]}, groups=["a"] * 4),
            ratings_frame({"C4": [None, None, None, None]}, groups=["a"] * 4),
        ]
    )
    stats = item_statistics(frame, SCALES)
    verdicts = consensus_verdicts(stats, parse_consensus_rule({"preset": "percent"}), SCALES)

    summary = round_summary(stats, verdicts)

    assert (summary.n_items, summary.n_in, summary.n_out, summary.n_none, summary.n_no_data) == (4, 1, 1, 1, 1)
    assert summary.mean_iqr == pytest.approx((0 + 0 + 2) / 3)
    assert summary.apmo == pytest.approx(apmo(stats))
    c3 = stats[(stats["item"] == "C3") & (stats["group"] == "")].iloc[0]
    assert summary.mean_cv == pytest.approx((0 + 0 + c3["sd"] / c3["mean"]) / 3)


def test_apmo_in_the_formula_of_kapoor_1987_as_von_der_gracht_2012_gives_it() -> None:
    """(majority agreements + majority disagreements) / opinions expressed, on a table of
    statements with agree / neutral / disagree counts of ten experts (a constructed example in the
    source's layout: the thesis's own table was not available to check against)."""
    table = {  # item: (agree, neutral, disagree)
        "S1": (8, 1, 1),  # majority agreement: 8
        "S2": (2, 2, 6),  # majority disagreement: 6
        "S3": (5, 2, 3),  # 5 of 10 is not more than half: no majority
        "S4": (4, 5, 1),  # most are neutral: no majority either way
    }
    values = {item: [9] * a + [5] * m + [1] * d for item, (a, m, d) in table.items()}
    expressed = sum(a + d for a, _, d in table.values())  # 9 + 8 + 8 + 5 = 30; neutral ratings excluded

    assert apmo(item_statistics(ratings_frame(values), SCALES)) == pytest.approx((8 + 6) / expressed)


def test_neutral_ratings_are_not_opinions_expressed_but_can_deny_a_majority() -> None:
    base = apmo(item_statistics(ratings_frame({"C1": [9, 9, 9, 1]}), SCALES))  # 3 of 4 agree: 3/4
    with_neutral = apmo(item_statistics(ratings_frame({"C1": [9, 9, 9, 1, 5, 5]}), SCALES))  # 3 of 6: none

    assert base == pytest.approx(3 / 4)
    assert with_neutral == 0.0
