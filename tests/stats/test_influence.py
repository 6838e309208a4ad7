from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surveys.stats import StatsInputError, item_statistics
from surveys.stats.influence import INFLUENCE_COLUMNS, influence, influence_summary

from .frames import SCALES, ratings_frame


def _row(table: pd.DataFrame, item: str) -> pd.Series:
    return table.set_index("item").loc[item]


def test_moving_closer_to_the_previous_median_counts_toward_and_keeping_the_rating_counts_stayed() -> None:
    before = ratings_frame({"A": [1, 5, 9, 7, 3]})  # median 5, Q1 3, Q3 7
    after = ratings_frame({"A": [3, 5, 8, 7, 3]})

    row = _row(influence(before, after, SCALES), "A")

    assert (row["n_paired"], row["n_toward"], row["n_away"], row["n_stayed"]) == (5, 2, 0, 3)
    assert row["herding_index"] == pytest.approx(2 / 5)
    assert (row["previous_median"], row["previous_q1"], row["previous_q3"]) == (5.0, 3.0, 7.0)


def test_a_panelist_on_the_median_who_moves_counts_as_moving_away() -> None:
    before = ratings_frame({"A": [5, 5, 5, 5, 5]})
    after = ratings_frame({"A": [6, 4, 9, 1, 5]})

    row = _row(influence(before, after, SCALES), "A")

    assert (row["n_toward"], row["n_away"], row["n_stayed"]) == (0, 4, 1)
    assert row["herding_index"] == pytest.approx(-4 / 5)


def test_a_jump_to_the_mirror_point_across_the_median_is_same_distance_so_stayed() -> None:
    before = ratings_frame({"A": [3, 5, 5, 5, 7]})  # median 5
    after = ratings_frame({"A": [7, 5, 5, 5, 3]})

    row = _row(influence(before, after, SCALES), "A")

    assert (row["n_toward"], row["n_away"], row["n_stayed"]) == (0, 0, 5)
    assert row["herding_index"] == 0.0


def test_cant_answer_in_either_round_is_not_a_pair() -> None:
    before = ratings_frame({"A": [1, None, 9, 7, 3]})
    after = ratings_frame({"A": [3, 5, None, 7, 3]})

    row = _row(influence(before, after, SCALES), "A")

    assert row["n_paired"] == 3  # p0, p3, p4
    assert row["n_toward"] + row["n_away"] + row["n_stayed"] == 3


def test_share_of_experts_outside_the_iqr_who_moved_inside_it() -> None:
    # Previous: 1 2 5 5 5 5 8 9 -> Q1 4.25, Q3 5.75; four experts outside.
    before = ratings_frame({"A": [1, 2, 5, 5, 5, 5, 8, 9]})
    after = ratings_frame({"A": [5, 2, 5, 5, 5, 5, 5, 7]})

    row = _row(influence(before, after, SCALES), "A")

    assert (row["n_outside_iqr"], row["n_moved_inside"]) == (4, 2)
    assert row["share_moved_inside"] == pytest.approx(0.5)


def test_the_previous_figures_are_the_ones_the_feedback_showed() -> None:
    rng = np.random.default_rng(7)
    values = {f"Q{i}": rng.integers(1, 10, 11).tolist() for i in range(6)}
    before, after = ratings_frame(values), ratings_frame({k: v[::-1] for k, v in values.items()})

    table = influence(before, after, SCALES).set_index("item")
    shown = item_statistics(before, SCALES, by_group=False).set_index("item")

    assert table["previous_median"].tolist() == shown.loc[table.index, "median"].tolist()
    assert table["previous_q1"].tolist() == shown.loc[table.index, "q1"].tolist()
    assert table["previous_q3"].tolist() == shown.loc[table.index, "q3"].tolist()


def test_an_item_new_in_this_round_has_a_row_without_pairs() -> None:
    before = ratings_frame({"A": [1, 2, 3]})
    after = ratings_frame({"A": [1, 2, 3], "NEW": [4, 5, 6]})

    row = _row(influence(before, after, SCALES), "NEW")

    assert row["n_paired"] == 0
    assert np.isnan(row["herding_index"]) and np.isnan(row["previous_median"])


def test_each_item_and_dimension_is_judged_against_its_own_median_and_scale() -> None:
    before = pd.concat(
        [ratings_frame({1: [1, 1, 9], 2: [9, 9, 1]}), ratings_frame({1: [1, 5, 5]}, dimension="feasibility")]
    )
    after = pd.concat(
        [ratings_frame({1: [1, 1, 5], 2: [9, 9, 5]}), ratings_frame({1: [5, 5, 5]}, dimension="feasibility")]
    )

    table = influence(before, after, SCALES)

    assert list(table.columns) == INFLUENCE_COLUMNS
    assert list(zip(table["item"], table["dimension"], strict=True)) == [
        (1, "agreement"),
        (1, "feasibility"),
        (2, "agreement"),
    ]
    assert table["n_toward"].tolist() == [1, 1, 1]
    assert table["n_stayed"].tolist() == [2, 2, 2]


def test_the_round_summary_pools_the_counts_and_can_keep_only_some_dimensions() -> None:
    before = pd.concat([ratings_frame({"A": [1, 5, 9]}), ratings_frame({"A": [1, 3, 5]}, dimension="feasibility")])
    after = pd.concat([ratings_frame({"A": [4, 5, 6]}), ratings_frame({"A": [1, 1, 5]}, dimension="feasibility")])
    table = influence(before, after, SCALES)

    everything = influence_summary(table)
    agreement = influence_summary(table, dimensions=["agreement"])

    assert (everything["n_paired"], everything["n_toward"], everything["n_away"]) == (6, 2, 1)
    assert everything["herding_index"] == pytest.approx(1 / 6)
    assert (agreement["n_paired"], agreement["n_toward"], agreement["herding_index"]) == (3, 2, pytest.approx(2 / 3))
    json.dumps(everything)  # plain numbers


def test_a_summary_without_pairs_has_no_index() -> None:
    table = influence(ratings_frame({"A": [1, 2]}), ratings_frame({"B": [1, 2]}), SCALES)

    summary = influence_summary(table)

    assert summary["n_paired"] == 0 and summary["herding_index"] is None and summary["share_moved_inside"] is None


def test_an_off_scale_rating_is_refused_with_its_item() -> None:
    with pytest.raises(StatsInputError, match=r"'A'.*10"):
        influence(ratings_frame({"A": [1, 10]}), ratings_frame({"A": [1, 2]}), SCALES)


ratings = st.lists(st.one_of(st.none(), st.integers(1, 9)), min_size=1, max_size=15)


@settings(max_examples=60, deadline=None)
@given(first=ratings, second=ratings, seed=st.integers(0, 2**16))
def test_the_three_counts_partition_the_pairs_whatever_the_order_of_rows(
    first: list[int | None], second: list[int | None], seed: int
) -> None:
    size = min(len(first), len(second))
    before, after = ratings_frame({"A": first[:size]}), ratings_frame({"A": second[:size]})
    shuffled = after.sample(frac=1, random_state=seed)

    row = _row(influence(before, after, SCALES), "A")

    assert row["n_toward"] + row["n_away"] + row["n_stayed"] == row["n_paired"]
    assert row["n_moved_inside"] <= row["n_outside_iqr"] <= row["n_paired"]
    if row["n_paired"]:
        assert -1 <= row["herding_index"] <= 1
    assert influence(before, shuffled, SCALES).equals(influence(before, after, SCALES))
