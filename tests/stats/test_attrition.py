from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from surveys.stats import StatsInputError
from surveys.stats.attrition import ATTRITION_COLUMNS, attrition_bias

from .frames import SCALES, ratings_frame

STAYED = [f"p{i}" for i in range(4, 12)]
DISSENT = [1, 2, 2, 3, 7, 8, 8, 9, 9, 7, 8, 9]  # p0..p3, who left, rated low; the rest high


def _panel(values_left: list[int | None], values_stayed: list[int | None], item: str = "A") -> pd.DataFrame:
    """Panelists p0..p3 (left) give ``values_left``; p4.. (stayed) give ``values_stayed``."""
    return ratings_frame({item: values_left + values_stayed})


def test_u_and_p_are_scipys_two_sided_asymptotic_test_with_continuity_when_ratings_tie() -> None:
    left, stayed = [2, 3, 3, 4], [5, 6, 6, 7, 7, 8, 9, 9]
    previous = _panel(left, stayed)

    row = attrition_bias(previous, STAYED, SCALES).items.iloc[0]

    expected = scipy_stats.mannwhitneyu(left, stayed, alternative="two-sided", method="asymptotic", use_continuity=True)
    assert row["method"] == "asymptotic"
    assert row["u"] == pytest.approx(expected.statistic)
    assert row["p_value"] == pytest.approx(expected.pvalue)
    assert (row["n_left"], row["n_stayed"], row["median_left"], row["median_stayed"]) == (4, 8, 3.0, 7.0)


def test_without_ties_below_fifty_the_p_value_is_exact_as_in_rs_wilcox_test() -> None:
    # wilcox.test(c(1, 2, 3), c(4, 5, 6, 7)): W = 0, p = 2 / choose(7, 3) = 0.05714.
    previous = ratings_frame({"A": [1, 2, 3, 4, 5, 6, 7]})

    row = attrition_bias(previous, ["p3", "p4", "p5", "p6"], SCALES).items.iloc[0]

    assert row["method"] == "exact"
    assert row["u"] == 0.0
    assert row["p_value"] == pytest.approx(2 / 35)
    assert row["rank_biserial"] == -1.0  # those who left rated lower


def test_the_groups_are_who_submitted_the_round_and_newcomers_count_in_neither() -> None:
    previous = _panel([1, 2, 3, 4], [5, 6, 7, 8, 9, 9, 9, 9])

    result = attrition_bias(previous, [*STAYED, "newcomer"], SCALES)

    assert (result.n_left, result.n_stayed) == (4, 8)


def test_an_item_with_too_few_ratings_on_one_side_is_not_tested() -> None:
    previous = pd.concat([_panel([1, 2, None, None], [5] * 8), _panel([1, 2, 3, 4], [5] * 8, item="B")])

    result = attrition_bias(previous, STAYED, SCALES)
    rows = result.items.set_index("item")

    assert not rows.loc["A", "is_tested"] and np.isnan(rows.loc["A", "p_value"])
    assert rows.loc["A", "n_left"] == 2  # "can't answer" is not a rating
    assert rows.loc["B", "is_tested"]
    assert result.items_tested == 1


def test_the_flag_is_raised_when_those_who_left_disagreed_on_many_items() -> None:
    items = {f"Q{i}": DISSENT for i in range(10)}

    result = attrition_bias(ratings_frame(items), STAYED, SCALES)

    assert result.items_tested == 10 and result.n_p_lt_05 == 10
    assert result.share_p_lt_05 == 1.0
    assert result.flag


def test_no_flag_when_significance_is_what_chance_gives() -> None:
    # One item in twenty differs: 5% significant, as expected by chance at alpha 0.05.
    same = [3, 5, 7, 9] * 3
    items = {f"Q{i:02d}": same for i in range(19)} | {"Q19": DISSENT}

    result = attrition_bias(ratings_frame(items), STAYED, SCALES)

    assert result.n_p_lt_05 == 1
    expected = scipy_stats.binomtest(1, 20, 0.05, alternative="greater").pvalue
    assert result.binomial_p == pytest.approx(expected)
    assert not result.flag


def test_identical_ratings_on_both_sides_give_p_one() -> None:
    result = attrition_bias(_panel([5, 5, 5, 5], [5] * 8), STAYED, SCALES)

    assert result.items.iloc[0]["p_value"] == 1.0
    assert not result.flag


def test_the_json_has_the_reported_fields_and_serialises() -> None:
    result = attrition_bias(_panel([1, 2, 3, 4], [5, 6, 7, 8, 9, 9, 9, 9]), STAYED, SCALES)

    data = result.to_json()

    assert set(data) >= {"n_left", "n_stayed", "items_tested", "share_p_lt_05", "flag"}
    assert json.loads(json.dumps(data)) == data
    assert list(result.items.columns) == ATTRITION_COLUMNS


def test_a_round_with_nothing_to_test_has_no_share_and_no_flag() -> None:
    result = attrition_bias(ratings_frame({"A": [1, 2, 3]}), ["p0", "p1", "p2"], SCALES)

    assert result.n_left == 0 and result.items_tested == 0
    assert result.share_p_lt_05 is None and result.binomial_p is None and not result.flag


def test_each_dimension_is_tested_apart() -> None:
    previous = pd.concat(
        [_panel([1, 1, 2, 2], [8, 8, 9, 9, 8, 8, 9, 9]), ratings_frame({"A": [3] * 12}, dimension="feasibility")]
    )

    rows = attrition_bias(previous, STAYED, SCALES).items.set_index("dimension")

    assert rows.loc["agreement", "p_value"] < 0.05
    assert rows.loc["feasibility", "p_value"] == 1.0


def test_an_off_scale_rating_is_refused() -> None:
    with pytest.raises(StatsInputError, match="not a whole number from 1 to 9"):
        attrition_bias(ratings_frame({"A": [0, 1]}), ["p1"], SCALES)
