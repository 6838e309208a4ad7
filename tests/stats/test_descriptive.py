from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from surveys.stats import STATISTIC_COLUMNS, item_statistics, rand_ucla

from .frames import NINE, SCALES, ratings_frame, whole_panel


def test_quantiles_equal_numpy_linear_interpolation() -> None:
    rng = np.random.default_rng(7)
    values = {f"C{i}": rng.integers(1, 10, size=size).tolist() for i, size in enumerate([1, 2, 4, 7, 10, 33])}

    stats = whole_panel(item_statistics(ratings_frame(values), SCALES))

    for item, ratings in values.items():
        q1, median, q3 = np.quantile(ratings, [0.25, 0.5, 0.75], method="linear")
        assert stats.loc[item, ["q1", "median", "q3"]].tolist() == [q1, median, q3]
        assert stats.loc[item, "iqr"] == q3 - q1


def test_quartiles_interpolate_between_ratings() -> None:
    stats = whole_panel(item_statistics(ratings_frame({"C1": [1, 2, 4, 9]}), SCALES))

    # R: quantile(c(1, 2, 4, 9)) gives 1.75, 3, 5.25 (type 7)
    assert stats.loc["C1", ["q1", "median", "q3", "iqr"]].tolist() == [1.75, 3.0, 5.25, 3.5]


def test_mean_sd_and_cv_use_the_sample_sd() -> None:
    ratings = [2, 4, 4, 4, 5, 5, 7, 9]

    row = whole_panel(item_statistics(ratings_frame({"C1": ratings}), SCALES)).loc["C1"]

    assert row["mean"] == pytest.approx(5.0)
    assert row["sd"] == pytest.approx(np.std(ratings, ddof=1))
    assert row["sd"] == pytest.approx(2.138089935)
    assert row["cv"] == pytest.approx(row["sd"] / 5.0)


def test_single_rating_has_no_sd() -> None:
    row = whole_panel(item_statistics(ratings_frame({"C1": [6]}), SCALES)).loc["C1"]

    assert row["n"] == 1 and row["median"] == 6.0
    assert np.isnan(row["sd"]) and np.isnan(row["cv"])


def test_agree_and_disagree_shares_count_the_inclusive_bands() -> None:
    # 9-point: agree 7..9, disagree 1..3; the 4, 5 and 6 count in neither.
    ratings = [1, 3, 4, 5, 6, 7, 7, 9, 9, 9]

    row = whole_panel(item_statistics(ratings_frame({"C1": ratings}), SCALES)).loc["C1"]

    assert row["pct_agree"] == pytest.approx(0.5)
    assert row["pct_disagree"] == pytest.approx(0.2)


def test_bands_follow_each_dimension_scale() -> None:
    frame = ratings_frame({"C1": [1, 2, 3, 4, 5]}, dimension="feasibility")

    row = whole_panel(item_statistics(frame, SCALES)).loc["C1"]

    assert row["pct_agree"] == pytest.approx(0.4)  # 4 and 5
    assert row["pct_disagree"] == pytest.approx(0.4)  # 1 and 2


def test_distribution_lists_every_scale_point_including_zeros() -> None:
    row = whole_panel(item_statistics(ratings_frame({"C1": [2, 2, 5, None]}, dimension="feasibility"), SCALES))

    assert row.loc["C1", "distribution"] == {1: 0, 2: 2, 3: 0, 4: 0, 5: 1}


def test_abstentions_are_excluded_from_n_and_counted_apart() -> None:
    row = whole_panel(item_statistics(ratings_frame({"C1": [9, None, 9, None, 1]}), SCALES)).loc["C1"]

    assert row["n"] == 3
    assert row["abstentions"] == 2
    assert row["median"] == 9.0
    assert row["pct_agree"] == pytest.approx(2 / 3)


def test_missing_panelists_are_counted_nowhere() -> None:
    frame = ratings_frame({"C1": [5, 6, 7], "C2": [5]})

    stats = whole_panel(item_statistics(frame, SCALES))

    assert stats.loc["C2", ["n", "abstentions"]].tolist() == [1, 0]


def test_item_with_only_abstentions_keeps_a_row_with_nan_statistics() -> None:
    stats = whole_panel(item_statistics(ratings_frame({"C1": [None, None], "C2": [7, 8]}), SCALES))

    row = stats.loc["C1"]
    assert row["n"] == 0 and row["abstentions"] == 2
    for column in ("mean", "sd", "median", "q1", "q3", "iqr", "pct_agree", "pct_disagree", "cv", "ipr", "ipras"):
        assert np.isnan(row[column]), column
    assert row["median_band"] == ""
    assert not row["rand_disagreement"]
    assert row["distribution"] == dict.fromkeys(range(1, 10), 0)


def test_each_group_gets_its_own_row_beside_the_whole_panel() -> None:
    groups = ["Europe"] * 3 + ["Asia"] * 3
    frame = ratings_frame({"C1": [9, 9, 9, 1, 1, 2]}, groups=groups)

    stats = item_statistics(frame, SCALES).set_index("group")

    assert list(stats.index) == ["", "Asia", "Europe"]
    assert stats.loc["", "n"] == 6
    assert stats.loc["Europe", "pct_agree"] == 1.0
    assert stats.loc["Asia", "median"] == 1.0


def test_group_smaller_than_min_group_size_is_suppressed() -> None:
    groups = ["Europe"] * 3 + ["Asia"] * 2
    frame = ratings_frame({"C1": [9, 9, 9, 1, 1], "C2": [5, 5, 5, 5, 5]}, groups=groups)

    stats = item_statistics(frame, SCALES, min_group_size=3)

    assert set(stats["group"]) == {"", "Europe"}
    assert stats.loc[stats["group"] == "", "n"].tolist() == [5, 5]  # Asia still counts in the panel


def test_a_group_whose_valid_ratings_fall_short_is_suppressed_though_it_has_enough_members() -> None:
    groups = ["Asia"] * 3
    frame = ratings_frame({"C1": [9, 8, None]}, groups=groups)

    stats = item_statistics(frame, SCALES, min_group_size=3)

    assert stats["group"].tolist() == [""]  # two valid ratings of three: an abstention does not count


def test_whole_panel_row_is_never_suppressed() -> None:
    stats = item_statistics(ratings_frame({"C1": [9]}, groups=["Asia"]), SCALES, min_group_size=3)

    assert stats["group"].tolist() == [""]


def test_panelists_without_a_group_appear_only_in_the_whole_panel() -> None:
    groups = ["", "", "", "Asia", "Asia", "Asia"]
    stats = item_statistics(ratings_frame({"C1": [1, 2, 3, 7, 8, 9]}, groups=groups), SCALES)

    assert stats["group"].tolist() == ["", "Asia"]
    assert stats["n"].tolist() == [6, 3]


def test_by_group_false_gives_only_whole_panel_rows() -> None:
    frame = ratings_frame({"C1": [9, 9, 9, 1]}, groups=["Europe"] * 4)

    stats = item_statistics(frame, SCALES, by_group=False)

    assert stats["group"].tolist() == [""]


def test_rows_are_sorted_by_item_dimension_and_group() -> None:
    groups = ["b", "a", "b", "a", "b", "a"]
    frame = pd.concat(
        [
            ratings_frame({"C2": [1] * 6, "C1": [2] * 6}, dimension="feasibility", groups=groups),
            ratings_frame({"C2": [3] * 6, "C1": [4] * 6}, dimension="agreement", groups=groups),
        ]
    )

    stats = item_statistics(frame, SCALES)

    assert list(stats.columns) == STATISTIC_COLUMNS
    assert list(zip(stats["item"], stats["dimension"], stats["group"], strict=True)) == [
        (item, dimension, group)
        for item in ("C1", "C2")
        for dimension in ("agreement", "feasibility")
        for group in ("", "a", "b")
    ]
    assert list(stats.index) == list(range(12))


def test_median_band_uses_rand_thirds_on_a_nine_point_scale() -> None:
    frame = ratings_frame({"low": [3, 3], "edge": [3, 4], "mid": [6, 7], "high": [7, 7]})

    stats = whole_panel(item_statistics(frame, SCALES))

    assert stats["median_band"].to_dict() == {"edge": "mid", "high": "high", "low": "low", "mid": "mid"}


def test_median_band_splits_a_five_point_scale_into_thirds() -> None:
    frame = ratings_frame({"a": [2, 2], "b": [2, 3], "c": [3, 4], "d": [4, 4]}, dimension="feasibility")

    stats = whole_panel(item_statistics(frame, SCALES))

    assert stats["median_band"].to_dict() == {"a": "low", "b": "mid", "c": "mid", "d": "high"}


def test_rand_ucla_fields_match_the_single_item_function() -> None:
    ratings = [1, 2, 3, 4, 4, 5, 6, 8, 9, 9, 9]

    row = whole_panel(item_statistics(ratings_frame({"C1": ratings}), SCALES)).loc["C1"]

    expected = rand_ucla(ratings, NINE)
    assert row["median_band"] == expected.median_band
    assert row["rand_disagreement"] == expected.disagreement
    for field in ("p30", "p70", "ipr", "iprcp", "ai", "ipras"):
        assert row[field] == pytest.approx(getattr(expected, field)), field


def test_rand_ucla_fields_use_the_scale_midpoint_off_nine_points() -> None:
    row = whole_panel(item_statistics(ratings_frame({"C1": [5, 5, 5]}, dimension="feasibility"), SCALES)).loc["C1"]

    assert row["iprcp"] == 5.0
    assert row["ai"] == pytest.approx(2.0)  # |3 - 5| on 1..5


def test_weighted_median_is_nan_unless_asked_for() -> None:
    stats = item_statistics(ratings_frame({"C1": [1, 9, 9]}), SCALES)

    assert stats["weighted_median"].isna().all()


def test_weighted_median_follows_expertise_weights() -> None:
    frame = ratings_frame({"C1": [2, 3, 9]}, weights=[1.0, 1.0, 3.0])

    row = whole_panel(item_statistics(frame, SCALES, weighted=True)).loc["C1"]

    # Shares of weight: 2 → 0.2, 3 → 0.4, 9 → 1.0; the first to reach ½ is 9.
    assert row["median"] == 3.0
    assert row["weighted_median"] == 9.0


def test_weighted_median_averages_when_half_the_weight_is_reached_exactly() -> None:
    frame = ratings_frame({"C1": [2, 4, 8]}, weights=[0.5, 0.5, 1.0])

    assert whole_panel(item_statistics(frame, SCALES, weighted=True)).loc["C1", "weighted_median"] == 6.0


def test_weighted_median_ignores_zero_weights_and_abstentions() -> None:
    frame = ratings_frame({"C1": [1, 5, None, 9]}, weights=[0.0, 1.0, 5.0, 1.0])

    assert whole_panel(item_statistics(frame, SCALES, weighted=True)).loc["C1", "weighted_median"] == 7.0


def test_weighted_median_with_equal_weights_is_the_median() -> None:
    frame = ratings_frame({"C1": [1, 2, 6, 9], "C2": [3, 4, 8]}, weights=[2.0, 2.0, 2.0, 2.0])

    stats = whole_panel(item_statistics(frame, SCALES, weighted=True))

    assert stats["weighted_median"].tolist() == stats["median"].tolist() == [4.0, 4.0]


def test_items_may_be_integers() -> None:
    frame = ratings_frame({"x": [5, 6]})
    frame["item"] = [20, 3]

    assert item_statistics(frame, SCALES)["item"].tolist() == [3, 20]


def test_empty_ratings_give_an_empty_table_with_every_column() -> None:
    empty = pd.DataFrame({"panelist": [], "item": [], "dimension": [], "value": []})

    stats = item_statistics(empty, SCALES)

    assert stats.empty and list(stats.columns) == STATISTIC_COLUMNS
