from __future__ import annotations

import math

import pytest

from surveys.stats import rand_ucla

from .frames import FIVE

# DESIGN.md's worked example: n = 15, ratings 1, 2, 3, then 7 five times, 8 five times, 9 twice.
WORKED_EXAMPLE = [1, 2, 3, 7, 7, 7, 7, 7, 8, 8, 8, 8, 8, 9, 9]


def test_rand_ucla_worked_example_gives_the_published_figures() -> None:
    result = rand_ucla(WORKED_EXAMPLE)

    assert len(WORKED_EXAMPLE) == 15
    assert result.median == 7
    assert result.median_band == "high"
    assert result.p30 == 7
    assert result.p70 == 8
    assert result.ipr == 1
    assert result.iprcp == 7.5
    assert result.ai == 2.5
    assert result.ipras == pytest.approx(6.1)


def test_rand_ucla_worked_example_has_no_disagreement() -> None:
    assert rand_ucla(WORKED_EXAMPLE).disagreement is False


def test_rand_ucla_flags_a_polarised_panel_as_disagreeing() -> None:
    result = rand_ucla([1, 1, 1, 1, 1, 9, 9, 9, 9, 9])

    # P30 = 1, P70 = 9: IPR 8 against IPRAS 2.35 (the IPR is centred on 5, so AI = 0).
    assert (result.ipr, result.ai, result.ipras) == (8, 0, 2.35)
    assert result.disagreement is True


def test_rand_ucla_leaves_out_cant_answer() -> None:
    assert rand_ucla([*WORKED_EXAMPLE, math.nan, math.nan]) == rand_ucla(WORKED_EXAMPLE)


def test_rand_ucla_without_ratings_is_all_nan_and_no_disagreement() -> None:
    result = rand_ucla([math.nan])

    assert math.isnan(result.median) and math.isnan(result.ipras)
    assert result.median_band == ""
    assert result.disagreement is False


@pytest.mark.parametrize(
    ("ratings", "band"),
    [([3, 3], "low"), ([3, 4], "mid"), ([4, 4], "mid"), ([6, 7], "mid"), ([7, 7], "high"), ([1], "low")],
)
def test_median_band_is_rand_one_to_three_four_to_six_seven_to_nine(ratings: list[int], band: str) -> None:
    assert rand_ucla(ratings).median_band == band


def test_asymmetry_index_uses_the_scale_midpoint() -> None:
    result = rand_ucla([4, 4, 5, 5], FIVE)

    # IPRCP = (4 + 5) / 2 = 4.5 on a 1..5 scale whose midpoint is 3.
    assert result.ai == pytest.approx(1.5)
    assert result.ipras == pytest.approx(2.35 + 1.5 * 1.5)
    assert result.median_band == "high"
