from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from surveys.stats import Scale, StatsInputError, validate_ratings

from .frames import SCALES, ratings_frame


def test_validate_adds_weight_and_group_when_missing() -> None:
    frame = pd.DataFrame({"panelist": [1, 2], "item": ["C1", "C1"], "dimension": ["agreement"] * 2, "value": [3, 8]})

    result = validate_ratings(frame, SCALES)

    assert result["weight"].tolist() == [1.0, 1.0]
    assert result["group"].tolist() == ["", ""]
    assert result["value"].dtype == float
    assert "weight" not in frame.columns  # the caller's frame is left alone


def test_null_group_reads_as_no_group() -> None:
    frame = ratings_frame({"C1": [5, 6]})
    frame["group"] = [None, "Europe"]

    assert validate_ratings(frame, SCALES)["group"].tolist() == ["", "Europe"]


def test_none_value_is_an_abstention_not_an_error() -> None:
    frame = pd.DataFrame({"panelist": [1, 2], "item": ["C1", "C1"], "dimension": ["agreement"] * 2, "value": [None, 8]})

    assert np.isnan(validate_ratings(frame, SCALES)["value"].iloc[0])


def test_out_of_scale_value_raises_naming_item_dimension_and_value() -> None:
    frame = ratings_frame({"C1": [5, 6], "C7": [9, 12]})

    with pytest.raises(StatsInputError) as caught:
        validate_ratings(frame, SCALES)

    message = str(caught.value)
    assert "'C7'" in message and "'agreement'" in message and "12" in message
    assert "from 1 to 9" in message
    assert caught.value.item == "C7" and caught.value.value == 12


def test_value_below_the_scale_is_refused_on_its_own_dimension() -> None:
    frame = ratings_frame({"R2": [0]}, dimension="feasibility")

    with pytest.raises(StatsInputError, match=r"'R2'.*'feasibility'.*0 is not a whole number from 1 to 5"):
        validate_ratings(frame, SCALES)


def test_fractional_value_is_refused() -> None:
    with pytest.raises(StatsInputError, match=r"'C1'.*6.5 is not a whole number"):
        validate_ratings(ratings_frame({"C1": [6.5]}), SCALES)


def test_text_value_is_refused() -> None:
    frame = ratings_frame({"C1": [5]}).astype({"value": object})
    frame.loc[0, "value"] = "seven"

    with pytest.raises(StatsInputError, match=r"'C1'.*'seven' is not a number"):
        validate_ratings(frame, SCALES)


def test_unknown_dimension_is_refused_naming_item_and_dimension() -> None:
    frame = ratings_frame({"C3": [5]}, dimension="desirability")

    with pytest.raises(
        StatsInputError, match=r"'C3'.*unknown dimension 'desirability' \(known: agreement, feasibility\)"
    ):
        validate_ratings(frame, SCALES)


def test_negative_weight_is_refused() -> None:
    frame = ratings_frame({"C1": [5, 6]}, weights=[1.0, -2.0])

    with pytest.raises(StatsInputError, match=r"weight -2\.0 must be a finite number ≥ 0"):
        validate_ratings(frame, SCALES)


def test_two_ratings_by_one_panelist_of_one_item_are_refused() -> None:
    frame = pd.concat([ratings_frame({"C1": [5, 6]}), ratings_frame({"C1": [7]})], ignore_index=True)

    with pytest.raises(StatsInputError, match=r"'C1'.*panelist 'p0' has more than one rating"):
        validate_ratings(frame, SCALES)


def test_missing_columns_are_named() -> None:
    with pytest.raises(StatsInputError, match="lacks the column\\(s\\) dimension, value"):
        validate_ratings(pd.DataFrame({"panelist": [1], "item": ["C1"]}), SCALES)


def test_rating_without_item_is_refused() -> None:
    frame = ratings_frame({"C1": [5, 6]})
    frame.loc[1, "item"] = None

    with pytest.raises(StatsInputError, match="a rating has no item"):
        validate_ratings(frame, SCALES)


@pytest.mark.parametrize(
    ("low", "high", "agree", "disagree", "problem"),
    [
        (5, 5, (5, 5), (5, 5), "min \\(5\\) must be less than max \\(5\\)"),
        (1, 5, (4, 6), (1, 2), "agree band \\[4, 6\\] must lie inside the scale 1..5"),
        (1, 5, (4, 5), (2, 1), "disagree band \\[2, 1\\]"),
    ],
)
def test_scale_refuses_an_impossible_scale(
    low: int, high: int, agree: tuple[int, int], disagree: tuple[int, int], problem: str
) -> None:
    with pytest.raises(StatsInputError, match=problem):
        Scale(min=low, max=high, agree=agree, disagree=disagree)


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ([True, 8.0], "rating True is not a number but a boolean"),
        ([False, True], "rating False is not a number but a boolean"),
        ([5.0, "7"], "rating '7' is not a number but text"),
        ([5.0, np.bool_(True)], "rating True is not a number but a boolean"),
    ],
    ids=["bool-among-numbers", "bool-column", "numeric-string", "numpy-bool"],
)
def test_booleans_and_numeric_strings_are_refused_as_ratings(values: list[object], named: str) -> None:
    frame = pd.DataFrame({"panelist": [1, 2], "item": ["C1", "C1"], "dimension": ["agreement"] * 2, "value": values})

    with pytest.raises(StatsInputError, match=named) as caught:
        validate_ratings(frame, SCALES)

    assert caught.value.item == "C1" and caught.value.dimension == "agreement"
