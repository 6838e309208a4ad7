"""Property-based checks of the statistics (Hypothesis): invariants that hold for any panel."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from surveys.stats import Scale, item_statistics, kendalls_w, stability

SETTINGS = settings(max_examples=60, deadline=None)


@st.composite
def scales(draw: st.DrawFn) -> Scale:
    """A scale of 3..11 points with disjoint agree (top) and disagree (bottom) bands."""
    low = draw(st.integers(-3, 1))
    high = low + draw(st.integers(2, 10))
    cut_low = draw(st.integers(low, (low + high) // 2))
    cut_high = draw(st.integers(cut_low + 1, high))
    return Scale(min=low, max=high, agree=(cut_high, high), disagree=(low, cut_low))


@st.composite
def rounds(draw: st.DrawFn) -> tuple[pd.DataFrame, Scale]:
    """A round's ratings frame on one dimension: items × panelists, some abstaining or missing."""
    scale = draw(scales())
    n_panelists = draw(st.integers(1, 12))
    n_items = draw(st.integers(1, 4))
    rating = st.one_of(st.none(), st.integers(scale.min, scale.max))
    rows = []
    for item in range(n_items):
        for panelist in range(n_panelists):
            value = draw(st.one_of(st.just("missing"), rating, rating))
            if value == "missing":
                continue
            rows.append(
                {
                    "panelist": panelist,
                    "item": f"C{item}",
                    "dimension": "agreement",
                    "value": np.nan if value is None else float(value),
                    "group": "ab"[panelist % 2],
                    "weight": float(panelist % 3),
                }
            )
    frame = pd.DataFrame(rows, columns=["panelist", "item", "dimension", "value", "group", "weight"])
    return frame, scale


@SETTINGS
@given(rounds())
def test_quartiles_are_ordered_and_equal_numpy_linear(case: tuple[pd.DataFrame, Scale]) -> None:
    frame, scale = case
    stats = item_statistics(frame, {"agreement": scale}, min_group_size=1)

    for row in stats.itertuples():
        chosen = frame[(frame["item"] == row.item) & ((frame["group"] == row.group) | (row.group == ""))]
        valid = chosen["value"].dropna().to_numpy()
        if valid.size == 0:
            assert np.isnan(row.median)
            continue
        assert row.q1 <= row.median <= row.q3
        assert [row.q1, row.median, row.q3] == list(np.quantile(valid, [0.25, 0.5, 0.75], method="linear"))
        assert scale.min <= row.q1 and row.q3 <= scale.max


@SETTINGS
@given(rounds())
def test_abstentions_are_never_counted_in_n(case: tuple[pd.DataFrame, Scale]) -> None:
    frame, scale = case
    stats = item_statistics(frame, {"agreement": scale}, by_group=False)

    for row in stats.itertuples():
        values = frame.loc[frame["item"] == row.item, "value"]
        assert row.n == values.notna().sum()
        assert row.abstentions == values.isna().sum()
        assert sum(row.distribution.values()) == row.n
        assert list(row.distribution) == list(range(scale.min, scale.max + 1))


@SETTINGS
@given(rounds())
def test_agree_and_disagree_shares_never_add_up_past_one(case: tuple[pd.DataFrame, Scale]) -> None:
    frame, scale = case
    stats = item_statistics(frame, {"agreement": scale}).dropna(subset=["pct_agree"])

    assert ((stats["pct_agree"] + stats["pct_disagree"]) <= 1 + 1e-12).all()
    assert stats["pct_agree"].between(0, 1).all() and stats["pct_disagree"].between(0, 1).all()


@SETTINGS
@given(rounds(), st.randoms(use_true_random=False))
def test_results_do_not_depend_on_row_order(case: tuple[pd.DataFrame, Scale], random: object) -> None:
    frame, scale = case
    order = list(range(len(frame)))
    random.shuffle(order)  # type: ignore[attr-defined]
    scales_ = {"agreement": scale}

    original = item_statistics(frame, scales_, min_group_size=1, weighted=True)
    shuffled = item_statistics(frame.iloc[order], scales_, min_group_size=1, weighted=True)

    pd.testing.assert_frame_equal(original, shuffled)


@SETTINGS
@given(rounds())
def test_weighted_median_lies_within_the_ratings(case: tuple[pd.DataFrame, Scale]) -> None:
    frame, scale = case
    stats = item_statistics(frame, {"agreement": scale}, by_group=False, weighted=True)

    for row in stats.itertuples():
        rated = frame[(frame["item"] == row.item) & frame["value"].notna() & (frame["weight"] > 0)]
        if rated.empty:
            assert np.isnan(row.weighted_median)
        else:
            assert rated["value"].min() <= row.weighted_median <= rated["value"].max()


@SETTINGS
@given(
    st.integers(2, 8).flatmap(
        lambda n: st.lists(st.lists(st.integers(1, 5), min_size=n, max_size=n), min_size=2, max_size=8)
    ),
    st.booleans(),
)
def test_kendalls_w_lies_between_zero_and_one(scores: list[list[int]], correct_ties: bool) -> None:
    result = kendalls_w(pd.DataFrame(scores), raters="rows", correct_ties=correct_ties)

    if not np.isnan(result.w):
        assert -1e-12 <= result.w <= 1 + 1e-12
        assert 0 <= result.p_value <= 1


@SETTINGS
@given(rounds(), st.randoms(use_true_random=False))
def test_stability_shares_are_shares_and_kappa_at_most_one(case: tuple[pd.DataFrame, Scale], random: object) -> None:
    previous, scale = case
    current = previous.copy()
    current["value"] = [
        value if np.isnan(value) else float(random.randint(scale.min, scale.max))  # type: ignore[attr-defined]
        for value in current["value"]
    ]

    table = stability(previous, current, {"agreement": scale})

    paired = table[table["n_paired"] > 0]
    for column in ("pct_unchanged", "scheibe_pct_change", "wilcoxon_p"):
        assert paired[column].between(0, 1).all(), column
    assert (paired["kappa_qw"].dropna() <= 1 + 1e-12).all()
