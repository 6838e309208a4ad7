from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from surveys.stats import STABILITY_TABLE_COLUMNS, Scale, quadratic_kappa, stability

from .frames import SCALES, ratings_frame

THREE = Scale(min=1, max=3, agree=(3, 3), disagree=(1, 1))


def _row(
    previous: Sequence[float | None], current: Sequence[float | None], scales: Mapping[str, Scale] = SCALES
) -> pd.Series:
    table = stability(ratings_frame({"C1": previous}), ratings_frame({"C1": current}), scales)
    assert len(table) == 1
    return table.iloc[0]


def test_wilcoxon_p_equals_scipys_normal_method_when_there_are_ties_and_zeros() -> None:
    previous = [5, 6, 7, 3, 8, 5, 6, 4, 7, 5, 2, 9]
    current = [6, 7, 7, 5, 8, 6, 7, 6, 8, 6, 4, 9]

    row = _row(previous, current)

    expected = scipy_stats.wilcoxon(previous, current, zero_method="wilcox", correction=True, method="approx").pvalue
    assert row["wilcoxon_p"] == pytest.approx(expected)
    assert row["wilcoxon_p"] < 0.05
    assert not row["is_stable_wilcoxon"]


def test_nothing_moving_gives_p_of_one_and_counts_as_stable() -> None:
    row = _row([3, 7, 7, 9, 2, 5], [3, 7, 7, 9, 2, 5])

    assert row["wilcoxon_p"] == 1.0
    assert row["pct_unchanged"] == 1.0
    assert row["scheibe_pct_change"] == 0.0
    assert row["is_stable"] is True
    assert row["stability_verdict"] == "stable"


def test_quadratic_kappa_matches_a_hand_computed_example() -> None:
    # Pairs (1,1) (2,2) (3,3) (1,2) (2,3) on 1..3, weights (i - j)² / 4:
    # Σ w·O = ¼ + ¼ = 0.5; margins (2, 2, 1) and (1, 2, 2), Σ w·E = (¼·6 + ¼·6 + 1·5) / 5 = 1.6;
    # κ = 1 − 0.5 / 1.6 = 0.6875.
    row = _row([1, 2, 3, 1, 2], [1, 2, 3, 2, 3], {"agreement": THREE})

    assert row["kappa_qw"] == pytest.approx(0.6875)


def test_quadratic_kappa_of_a_table_matches_the_formula_written_out() -> None:
    observed = np.array([[1, 1, 0], [0, 1, 1], [0, 0, 1]])

    assert quadratic_kappa(observed) == pytest.approx(0.6875)


def test_quadratic_kappa_of_perfect_agreement_is_one() -> None:
    assert _row([1, 5, 9, 9], [1, 5, 9, 9])["kappa_qw"] == pytest.approx(1.0)


def test_quadratic_kappa_is_nan_when_no_disagreement_could_be_expected() -> None:
    assert math.isnan(_row([7, 7, 7], [7, 7, 7])["kappa_qw"])


def test_kappa_uses_the_full_category_set_of_the_scale() -> None:
    # Only 1 and 9 are used; with all nine categories they are 8 steps apart, not 1.
    row = _row([1, 9, 1, 9], [1, 9, 9, 1])

    assert row["kappa_qw"] == pytest.approx(0.0)


def test_scheibe_change_matches_a_hand_computed_example() -> None:
    # Counts per point, round 1: (2, 2, 1); round 2: (1, 2, 2). Σ|f₂ − f₁| / (2n) = 2 / 10.
    row = _row([1, 2, 3, 1, 2], [1, 2, 3, 2, 3], {"agreement": THREE})

    assert row["scheibe_pct_change"] == pytest.approx(0.2)
    assert row["pct_unchanged"] == pytest.approx(0.6)
    assert not row["is_stable_scheibe"]


def test_scheibe_ignores_changes_that_cancel_out() -> None:
    row = _row([3, 7, 5, 5], [7, 3, 5, 5])

    assert row["scheibe_pct_change"] == 0.0
    assert row["pct_unchanged"] == 0.5


def test_delta_cv_is_the_change_in_coefficient_of_variation() -> None:
    previous, current = [2, 4, 6, 8], [4, 5, 5, 6]

    row = _row(previous, current)

    cv = lambda values: np.std(values, ddof=1) / np.mean(values)  # noqa: E731
    assert row["delta_cv"] == pytest.approx(cv(current) - cv(previous))
    assert row["delta_cv"] < 0


def test_only_panelists_with_a_rating_in_both_rounds_are_paired() -> None:
    previous = ratings_frame({"C1": [5, 6, None, 8]})
    current = ratings_frame({"C1": [5, None, 7, 9, 4]})  # p4 is new, p1 now can't answer

    row = stability(previous, current, SCALES).iloc[0]

    assert row["n_paired"] == 2  # p0 and p3
    assert row["pct_unchanged"] == 0.5


def test_an_item_new_in_this_round_has_no_pairs_and_insufficient_data() -> None:
    previous = ratings_frame({"C1": [5, 6, 7, 5, 6, 7]})
    current = ratings_frame({"C1": [5, 6, 7, 5, 6, 7], "C9": [1, 2, 3]})

    table = stability(previous, current, SCALES).set_index("item")

    assert table.loc["C9", "n_paired"] == 0
    assert math.isnan(table.loc["C9", "wilcoxon_p"])
    assert table.loc["C9", "is_stable"] is None
    assert table.loc["C9", "stability_verdict"] == "insufficient_data"
    assert table.loc["C1", "is_stable"] is True


def test_swapped_neighbours_are_stable_by_both_tests() -> None:
    previous = [1, 2, 3, 4, 5, 6, 7, 8] * 2
    current = [2, 1, 4, 3, 6, 5, 8, 7] * 2

    row = _row(previous, current)

    assert row["is_stable_wilcoxon"] and row["is_stable_scheibe"] and row["is_stable_kappa"]
    assert row["is_stable"] is True


def test_a_shift_of_the_whole_panel_is_not_stable_though_scheibe_calls_it_stable() -> None:
    previous = [1, 2, 3, 4, 5, 6, 7, 8] * 2
    current = [value + 1 for value in previous]

    row = _row(previous, current)

    assert row["scheibe_pct_change"] == pytest.approx(4 / 32)
    assert row["is_stable_scheibe"]
    assert not row["is_stable_wilcoxon"]
    assert row["is_stable"] is False


def test_a_panel_splitting_in_two_is_not_stable_though_wilcoxon_calls_it_stable() -> None:
    previous = [5] * 10
    current = [1] * 5 + [9] * 5

    row = _row(previous, current)

    assert row["wilcoxon_p"] == pytest.approx(1.0)
    assert row["scheibe_pct_change"] == pytest.approx(1.0)
    assert row["is_stable"] is False
    assert row["stability_verdict"] == "unstable"


def test_thresholds_can_be_chosen() -> None:
    previous, current = [1, 2, 3, 1, 2], [1, 2, 3, 2, 3]
    frames = ratings_frame({"C1": previous}), ratings_frame({"C1": current})

    strict = stability(*frames, {"agreement": THREE}, scheibe_threshold=0.15).iloc[0]
    loose = stability(*frames, {"agreement": THREE}, scheibe_threshold=0.25).iloc[0]

    assert not strict["is_stable_scheibe"] and loose["is_stable_scheibe"]


def test_stability_is_per_item_and_dimension_sorted() -> None:
    previous = pd.concat(
        [ratings_frame({"C2": [1, 2], "C1": [3, 4]}), ratings_frame({"C1": [1, 2]}, dimension="feasibility")]
    )
    current = previous.copy()

    table = stability(previous, current, SCALES)

    assert list(table.columns) == STABILITY_TABLE_COLUMNS
    assert list(zip(table["item"], table["dimension"], strict=True)) == [
        ("C1", "agreement"),
        ("C1", "feasibility"),
        ("C2", "agreement"),
    ]


def test_rounds_without_ratings_give_an_empty_table() -> None:
    empty = pd.DataFrame({"panelist": [], "item": [], "dimension": [], "value": []})

    table = stability(empty, empty, SCALES)

    assert table.empty and list(table.columns) == STABILITY_TABLE_COLUMNS


def test_a_swap_of_every_rating_is_not_stable_though_the_distribution_did_not_change() -> None:
    # Everyone jumps 1 <-> 9: the counts per point are the same, so Scheibe's change is 0 and the
    # signed ranks cancel (W+ = 3 x 3.5 = 10.5 = n(n + 1)/4, p = 1); but nobody kept their rating.
    row = _row([1, 9, 1, 9, 1, 9], [9, 1, 9, 1, 9, 1])

    assert row["scheibe_pct_change"] == 0.0 and row["wilcoxon_p"] == pytest.approx(1.0)
    assert row["kappa_qw"] == pytest.approx(-1.0)
    assert not row["is_stable_kappa"]
    assert row["is_stable"] is False
    assert row["stability_verdict"] == "unstable"


@pytest.mark.parametrize("n_pairs", [1, 5])
def test_fewer_than_six_pairs_give_insufficient_data_however_still_they_are(n_pairs: int) -> None:
    # With 5 pairs the exact two-sided Wilcoxon p is at least 2/2^5 = 0.0625: it could never reject.
    row = _row([4] * n_pairs, [4] * n_pairs)

    assert row["n_paired"] == n_pairs and row["pct_unchanged"] == 1.0
    assert row["is_stable"] is None
    assert row["stability_verdict"] == "insufficient_data"


def test_the_minimum_number_of_pairs_can_be_chosen() -> None:
    frames = ratings_frame({"C1": [4, 4, 4]}), ratings_frame({"C1": [4, 4, 4]})

    assert stability(*frames, SCALES, min_pairs=3).iloc[0]["stability_verdict"] == "stable"


def test_a_narrow_reshuffle_fails_the_kappa_criterion_at_its_threshold() -> None:
    # Six pairs on 7 and 8 with two swaps: kappa = 1 - (2/64) / (6 x 0.5/64) = 1/3 < 0.40.
    previous, current = [7, 8, 7, 8, 7, 8], [8, 7, 7, 8, 7, 8]
    frames = ratings_frame({"C1": previous}), ratings_frame({"C1": current})

    default = stability(*frames, SCALES).iloc[0]
    lenient = stability(*frames, SCALES, kappa_threshold=0.3).iloc[0]

    assert default["kappa_qw"] == pytest.approx(1 / 3)
    assert default["is_stable"] is False and lenient["is_stable"] is True


def test_panelists_and_items_are_paired_by_label_whatever_their_order_and_codes() -> None:
    previous = ratings_frame({"C1": [1, 2, 3, 4, 5, 6, 7], "C2": [9, 9, 9, 9, 9, 9, 9]})
    current = ratings_frame({"C2": [9, 9, 9, 9, 9, 9, 8], "C1": [1, 2, 3, 4, 5, 6, 7]}).iloc[::-1]
    current = current.assign(panelist=current["panelist"].map(lambda p: f"{p}"))
    previous = previous[previous["panelist"] != "p0"]  # p0 is new in round 2

    table = stability(previous, current, SCALES).set_index("item")

    assert table.loc["C1", "n_paired"] == 6 and table.loc["C1", "pct_unchanged"] == 1.0
    assert table.loc["C2", "n_paired"] == 6 and table.loc["C2", "pct_unchanged"] == pytest.approx(5 / 6)


def _reference(previous: pd.DataFrame, current: pd.DataFrame, item: object) -> tuple[int, float, float, float]:
    """n_paired, % unchanged, Scheibe and the pinned Wilcoxon p of one item, pair by pair."""
    before = {row.panelist: row.value for row in previous[previous["item"] == item].itertuples()}
    pairs = [
        (before[row.panelist], row.value)
        for row in current[current["item"] == item].itertuples()
        if row.panelist in before and not np.isnan(before[row.panelist]) and not np.isnan(row.value)
    ]
    if not pairs:
        return 0, math.nan, math.nan, math.nan
    first, second = (np.array(side) for side in zip(*pairs, strict=True))
    differences = second - first
    nonzero = differences[differences != 0]
    if not nonzero.size:
        p = 1.0
    else:
        exact = nonzero.size < 50 and len(np.unique(np.abs(nonzero))) == nonzero.size and nonzero.size == len(pairs)
        method = "exact" if exact else "approx"
        p = scipy_stats.wilcoxon(first, second, zero_method="wilcox", correction=True, method=method).pvalue
    points = np.union1d(first, second)
    change = sum(abs((second == x).sum() - (first == x).sum()) for x in points) / (2 * len(pairs))
    return len(pairs), float(np.mean(first == second)), float(change), float(p)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_stability_equals_a_pair_by_pair_computation(data: st.DataObject) -> None:
    rating = st.one_of(st.none(), st.integers(1, 9), st.integers(1, 9), st.integers(1, 9))

    def round_frame() -> pd.DataFrame:
        rows = [
            {"panelist": f"p{p}", "item": f"C{i}", "dimension": "agreement", "value": np.nan if v is None else float(v)}
            for i in range(3)
            for p in range(data.draw(st.integers(0, 14)))
            if (v := data.draw(st.one_of(st.just("missing"), rating))) != "missing"
        ]
        return pd.DataFrame(rows, columns=["panelist", "item", "dimension", "value"])

    previous, current = round_frame(), round_frame()

    table = stability(previous, current, SCALES)

    assert sorted(table["item"]) == sorted(current["item"].unique())
    for row in table.itertuples():
        n, unchanged, change, p = _reference(previous, current, row.item)
        assert row.n_paired == n
        assert np.allclose(
            [row.pct_unchanged, row.scheibe_pct_change, row.wilcoxon_p], [unchanged, change, p], equal_nan=True
        )
        assert row.stability_verdict == ("insufficient_data" if n < 6 else "stable" if row.is_stable else "unstable")
