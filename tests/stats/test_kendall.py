from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from surveys.stats import StatsInputError, kendalls_w, kendalls_w_from_ratings

from .frames import SCALES, ratings_frame

# R package irr, data set `anxiety`: 20 subjects rated by 3 raters on a 1..6 scale.
ANXIETY = pd.DataFrame(
    {
        "rater1": [3, 3, 3, 4, 5, 5, 2, 3, 5, 2, 2, 6, 1, 5, 2, 2, 1, 2, 4, 3],
        "rater2": [3, 6, 4, 6, 2, 4, 2, 4, 3, 3, 2, 3, 3, 3, 2, 2, 1, 3, 3, 4],
        "rater3": [2, 1, 4, 4, 3, 2, 1, 6, 1, 1, 1, 2, 3, 3, 1, 1, 3, 3, 2, 2],
    }
)


def test_proofwiki_judges_give_s_two_and_w_one_sixteenth() -> None:
    judges = pd.DataFrame([[1, 3, 2], [1, 2, 3], [2, 3, 1], [3, 1, 2]])

    result = kendalls_w(judges, raters="rows")

    assert (result.m, result.n) == (4, 3)
    assert result.s == pytest.approx(2)
    assert result.w == pytest.approx(1 / 16)


def test_irr_anxiety_data_gives_the_published_w_chi2_and_p() -> None:
    # irr::kendall(anxiety, TRUE): W = 0.54, Chisq(19) = 30.8, p-value = 0.0429.
    # irr's layout: subjects x raters, so the raters are the columns.
    result = kendalls_w(ANXIETY, raters="columns", correct_ties=True)

    assert (result.m, result.n, result.df) == (3, 20, 19)
    assert round(result.w, 4) == 0.5397
    assert round(result.chi2, 2) == 30.76
    assert round(result.p_value, 4) == 0.0429


# IBM's SPSS NPAR TESTS KENDALL example: four judges (rows) score five items, with ties within judges.
SPSS_JUDGES = pd.DataFrame([[2, 5, 4, 5, 1], [3, 3, 4, 5, 3], [3, 4, 4, 6, 2], [2, 4, 3, 6, 2]])


@pytest.mark.parametrize("judges", [ANXIETY.T, SPSS_JUDGES], ids=["irr-anxiety", "spss-example"])
def test_tie_corrected_w_is_friedmans_tie_corrected_statistic_over_m_n_minus_1(judges: pd.DataFrame) -> None:
    # Kendall's W and Friedman's test are equivalent (Kendall 1948; DescTools::KendallW): with ties
    # corrected, W = chi2_F / (m (n - 1)). scipy's friedmanchisquare corrects for ties independently.
    corrected = kendalls_w(judges, raters="rows", correct_ties=True)
    friedman = scipy_stats.friedmanchisquare(*(judges[c] for c in judges.columns))
    assert corrected.w == pytest.approx(friedman.statistic / (corrected.m * (corrected.n - 1)))


def test_tie_correction_raises_w_when_raters_tie_and_changes_nothing_without_ties() -> None:
    assert (
        kendalls_w(ANXIETY.T, raters="rows", correct_ties=False).w
        < kendalls_w(ANXIETY.T, raters="rows", correct_ties=True).w
    )
    untied = pd.DataFrame([[1, 3, 2], [1, 2, 3], [2, 3, 1], [3, 1, 2]])  # ProofWiki's judges: W = 1/16 either way
    assert (
        kendalls_w(untied, raters="rows", correct_ties=False).w
        == kendalls_w(untied, raters="rows", correct_ties=True).w
        == pytest.approx(1 / 16)
    )


def test_p_value_is_the_chi_squared_upper_tail() -> None:
    result = kendalls_w(ANXIETY.T, raters="rows")

    assert result.chi2 == pytest.approx(result.m * (result.n - 1) * result.w)
    assert result.p_value == pytest.approx(scipy_stats.chi2.sf(result.chi2, result.df))


def test_identical_rankings_give_w_of_one() -> None:
    result = kendalls_w(pd.DataFrame([[1, 5, 9, 3]] * 4), raters="rows")

    assert result.w == pytest.approx(1.0)


def test_rater_with_a_missing_score_is_dropped() -> None:
    scores = pd.DataFrame([[1, 2, 3], [1, 2, 3], [3, np.nan, 1]])

    result = kendalls_w(scores, raters="rows")

    assert result.m == 2
    assert result.w == pytest.approx(1.0)


@pytest.mark.parametrize(
    "scores",
    [
        pd.DataFrame([[1, 2, 3]]),  # one rater
        pd.DataFrame([[1], [2], [3]]),  # one object
        pd.DataFrame([[4, 4, 4], [2, 2, 2]]),  # every rater ties everything
        pd.DataFrame(np.empty((0, 0))),
    ],
)
def test_degenerate_input_gives_nan_rather_than_an_error(scores: pd.DataFrame) -> None:
    result = kendalls_w(scores, raters="rows")

    assert math.isnan(result.w) and math.isnan(result.p_value)


def test_items_are_ranked_by_each_panelists_ratings() -> None:
    # Panelist p2 abstained on C3, so only p0 and p1 rank C1 < C2 < C3, identically.
    frame = ratings_frame({"C1": [1, 2, 9], "C2": [5, 6, 8], "C3": [9, 9, None]})
    other_dimension = ratings_frame({"C1": [5, 1, 1]}, dimension="feasibility")

    result = kendalls_w_from_ratings(pd.concat([frame, other_dimension]), "agreement", SCALES)

    assert (result.m, result.n) == (2, 3)
    assert result.w == pytest.approx(1.0)


def test_the_orientation_must_be_said_and_either_way_gives_the_same_w() -> None:
    by_rows = kendalls_w(ANXIETY.T, raters="rows")
    by_columns = kendalls_w(ANXIETY, raters="columns")

    assert by_rows == by_columns
    assert kendalls_w(ANXIETY, raters="rows").w != pytest.approx(by_rows.w)  # the silent mistake it prevents
    with pytest.raises(TypeError):
        kendalls_w(ANXIETY)  # type: ignore[call-arg]
    with pytest.raises(StatsInputError, match=r"rows.*columns"):
        kendalls_w(ANXIETY, raters="subjects")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (ratings_frame({"C1": [1, 2, 12], "C2": [5, 6, 8]}), "rating 12 is not a whole number from 1 to 9"),
        (pd.concat([ratings_frame({"C1": [1, 2]}), ratings_frame({"C1": [3]})]), "more than one rating"),
        (ratings_frame({"C1": [1, 2]}, dimension="clarity"), "unknown dimension 'clarity'"),
    ],
    ids=["off-scale", "duplicate", "unknown-dimension-in-frame"],
)
def test_ratings_are_validated_before_ranking(frame: pd.DataFrame, message: str) -> None:
    with pytest.raises(StatsInputError, match=message):
        kendalls_w_from_ratings(frame, "agreement", SCALES)


def test_an_unknown_dimension_asked_for_is_an_error_not_nan() -> None:
    with pytest.raises(StatsInputError, match="unknown dimension 'desirability'"):
        kendalls_w_from_ratings(ratings_frame({"C1": [1, 2], "C2": [2, 1]}), "desirability", SCALES)
