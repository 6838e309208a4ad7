"""Property-based checks (Hypothesis) of the bootstrap, agreement A, bimodality and Kruskal–Wallis."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from surveys.stats import (
    agreement_a,
    bimodality,
    bootstrap_seed,
    bootstrap_uncertainty,
    item_statistics,
    kruskal_from_counts,
    parse_consensus_rule,
)

from .test_properties import rounds

SETTINGS = settings(max_examples=40, deadline=None)
frequencies = st.lists(st.integers(0, 30), min_size=3, max_size=11)
RULES = [{"preset": "cos"}, {"preset": "iqr"}, {"preset": "rand_ucla"}, {"preset": "percent", "threshold": 0.5}]


@SETTINGS
@given(rounds(), st.sampled_from(RULES))
def test_bootstrap_intervals_contain_the_point_estimate_and_are_deterministic(case, rule) -> None:  # type: ignore[no-untyped-def]
    frame, scale = case
    scales = {"agreement": scale}
    stats = item_statistics(frame, scales, min_group_size=1)
    parsed = parse_consensus_rule(rule)

    figures = bootstrap_uncertainty(stats, parsed, scales, seed=bootstrap_seed("prop", 1), n_resamples=200)
    again = bootstrap_uncertainty(stats, parsed, scales, seed=bootstrap_seed("prop", 1), n_resamples=200)

    pd.testing.assert_frame_equal(figures, again)
    rated = stats["n"] > 0
    assert (figures.loc[rated, "median_ci_lo"] <= stats.loc[rated, "median"]).all()
    assert (stats.loc[rated, "median"] <= figures.loc[rated, "median_ci_hi"]).all()
    assert (figures.loc[rated, "pct_agree_ci_lo"] <= stats.loc[rated, "pct_agree"] + 1e-12).all()
    assert (stats.loc[rated, "pct_agree"] <= figures.loc[rated, "pct_agree_ci_hi"] + 1e-12).all()
    assert figures.loc[rated, "verdict_confidence"].between(0, 1).all()
    assert figures.loc[~rated].isna().all().all()


@SETTINGS
@given(frequencies)
def test_agreement_a_lies_in_minus_one_to_one_and_ignores_the_scale_direction(counts: list[int]) -> None:
    vector = np.array(counts)
    a = agreement_a(vector)

    if vector.sum() == 0:
        assert np.isnan(a)
    else:
        assert -1 - 1e-12 <= a <= 1 + 1e-12
        np.testing.assert_allclose(agreement_a(vector[::-1]), a, atol=1e-9)


@SETTINGS
@given(st.lists(st.integers(1, 9), min_size=1, max_size=40), st.randoms(use_true_random=False))
def test_a_and_bimodality_do_not_depend_on_the_order_of_panelists(ratings: list[int], random) -> None:  # type: ignore[no-untyped-def]
    shuffled = list(ratings)
    random.shuffle(shuffled)
    points = np.arange(1.0, 10)

    def counts(values: list[int]) -> np.ndarray:
        return np.bincount(values, minlength=10)[1:]

    np.testing.assert_equal(agreement_a(counts(ratings)), agreement_a(counts(shuffled)))
    np.testing.assert_equal(bimodality(counts(ratings), points), bimodality(counts(shuffled), points))
    reversed_b = bimodality(counts(ratings)[::-1], points)
    np.testing.assert_allclose(bimodality(counts(ratings), points), reversed_b, rtol=1e-9)


@SETTINGS
@given(st.lists(st.lists(st.integers(0, 6), min_size=5, max_size=5), min_size=2, max_size=5), st.randoms())
def test_kruskal_wallis_does_not_depend_on_the_order_of_groups_or_the_scale_direction(table, random) -> None:  # type: ignore[no-untyped-def]
    counts = np.array(table)
    order = list(range(len(counts)))
    random.shuffle(order)

    original = kruskal_from_counts(counts)

    np.testing.assert_allclose(kruskal_from_counts(counts[order]), original, rtol=1e-9)
    np.testing.assert_allclose(kruskal_from_counts(counts[:, ::-1]), original, rtol=1e-9)
    if not np.isnan(original[0]):
        assert original[0] >= -1e-9 and 0 <= original[1] <= 1 and 0 <= original[2] <= 1 + 1e-9
