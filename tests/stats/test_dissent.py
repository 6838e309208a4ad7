"""Agreement A (van der Eijk 2001), the bimodality coefficient (SAS; Pfister et al. 2013), Kruskal–Wallis."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as scipy_stats

from surveys.stats import (
    agreement_a,
    bimodality,
    dissent_statistics,
    group_differences,
    item_statistics,
    kruskal_from_counts,
)

from .frames import SCALES, ratings_frame


def test_agreement_a_gives_van_der_eijks_worked_example() -> None:
    # van der Eijk (2001), p. 331: layers with A = 0, .167, .333, .5, .667, .467, 1 → A = 0.61
    assert agreement_a(np.array([30, 40, 210, 130, 530, 50, 10])) == pytest.approx(0.6113333, abs=1e-7)


def test_agreement_a_gives_van_der_eijks_party_placements() -> None:
    # van der Eijk (2001): PvdA and D66 placed on a 7-point scale, A = 0.61 and 0.48
    placements = np.array([[2.4, 2.8, 3.2, 6.2, 13.5, 30.4, 41.6], [1.6, 2.6, 8.2, 21, 29.3, 27, 10.3]])

    assert agreement_a(placements) == pytest.approx([0.61, 0.48], abs=0.005)


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ([4, 0, 0, 0], 1.0),  # everyone in one category
        ([1, 1, 1, 1], 0.0),  # uniform
        ([2, 0, 0, 2], -1.0),  # two extremes split equally
        ([2, 0, 1, 1], 1 / 12),  # Ruedin's agrmt vignette: 0.08
        ([0, 0, 1, 0, 1, 0, 0], 0.4666667),  # layer 6 of the worked example
        ([0, 0, 1, 1, 1, 0, 0], 0.6666667),  # layer 5
    ],
)
def test_agreement_a_of_the_ideal_types(counts: list[int], expected: float) -> None:
    assert agreement_a(np.array(counts)) == pytest.approx(expected, abs=1e-6)


def test_agreement_a_is_undefined_without_ratings_or_below_three_points() -> None:
    assert np.isnan(agreement_a(np.array([0, 0, 0])))
    assert np.isnan(agreement_a(np.array([3, 1])))


def test_bimodality_equals_the_formula_with_scipys_bias_corrected_moments() -> None:
    ratings = np.array([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5])
    n = len(ratings)
    g, k = scipy_stats.skew(ratings, bias=False), scipy_stats.kurtosis(ratings, bias=False)
    expected = (g**2 + 1) / (k + 3 * (n - 1) ** 2 / ((n - 2) * (n - 3)))

    assert bimodality(np.bincount(ratings, minlength=10)[1:], np.arange(1.0, 10)) == pytest.approx(expected)


def test_bimodality_reference_values() -> None:
    points = np.arange(1.0, 10)
    two_points = np.array([5000, 0, 0, 0, 0, 0, 0, 0, 5000])
    wide = np.arange(0.0, 401)
    normal = np.round(1e6 * np.exp(-0.5 * ((wide - 200) / 30) ** 2))  # a finely discretised normal
    uniform = np.full(401, 1000)

    assert bimodality(two_points, points) == pytest.approx(1.0, abs=0.001)
    assert bimodality(normal, wide) == pytest.approx(1 / 3, abs=0.002)
    assert bimodality(uniform, wide) == pytest.approx(5 / 9, abs=0.002)


def test_bimodality_needs_four_ratings_and_some_spread() -> None:
    points = np.arange(1.0, 6)

    assert np.isnan(bimodality(np.array([1, 0, 1, 0, 1]), points))
    assert np.isnan(bimodality(np.array([0, 0, 9, 0, 0]), points))


def test_kruskal_wallis_gives_hollander_and_wolfes_example() -> None:
    # Hollander & Wolfe (1973), p. 116, mucociliary efficiency (R's kruskal.test example): H = 0.7714, p = 0.68
    groups = [[2.9, 3.0, 2.5, 2.6, 3.2], [3.8, 2.7, 4.0, 2.4], [2.8, 3.4, 3.7, 2.2, 2.0]]
    points = np.unique(np.concatenate(groups))
    counts = np.array([[np.sum(np.isclose(group, p)) for p in points] for group in groups])

    h, p, epsilon = kruskal_from_counts(counts)

    assert h == pytest.approx(0.7714286, abs=1e-6)
    assert p == pytest.approx(0.68, abs=0.001)
    assert epsilon == pytest.approx(h / 13)


def test_kruskal_wallis_with_ties_matches_scipy() -> None:
    rng = np.random.default_rng(11)
    for _ in range(30):
        groups = [rng.integers(1, 6, size=int(rng.integers(3, 12))) for _ in range(int(rng.integers(2, 5)))]
        if len(np.unique(np.concatenate(groups))) < 2:
            continue
        counts = np.array([np.bincount(g, minlength=6)[1:] for g in groups])
        expected = scipy_stats.kruskal(*groups)

        h, p, _ = kruskal_from_counts(counts)

        assert (h, p) == pytest.approx((expected.statistic, expected.pvalue), rel=1e-9)


def test_group_differences_use_only_the_groups_shown() -> None:
    values = {"C1": [9, 9, 8, 9, 1, 2, 1, 2, 5, 5]}
    groups = ["east"] * 4 + ["west"] * 4 + ["tiny"] * 2  # "tiny" is below min_group_size
    stats = item_statistics(ratings_frame(values, groups=groups), SCALES, min_group_size=3)

    table = group_differences(stats, SCALES)
    shown = scipy_stats.kruskal([9, 9, 8, 9], [1, 2, 1, 2])

    assert table[["item", "dimension", "n_groups"]].values.tolist() == [["C1", "agreement", 2]]
    assert table.loc[0, "kruskal_p"] == pytest.approx(shown.pvalue)
    assert table.loc[0, "epsilon_sq"] == pytest.approx(shown.statistic / 7)


def test_group_differences_need_two_groups() -> None:
    stats = item_statistics(ratings_frame({"C1": [9, 8, 7, 1]}, groups=["a"] * 4), SCALES, min_group_size=3)

    assert np.isnan(group_differences(stats, SCALES).loc[0, "kruskal_p"])


def test_dissent_statistics_are_aligned_to_the_statistics_rows() -> None:
    # 20 ratings: Sarle's coefficient corrects for small samples, and is unreliable below about 10
    stats = item_statistics(ratings_frame({"polar": [1] * 10 + [9] * 10, "agreed": [8] * 20}), SCALES)

    table = dissent_statistics(stats, SCALES).set_axis(stats["item"])

    assert table.loc["agreed", "agreement_a"] == 1.0 and table.loc["polar", "agreement_a"] == -1.0
    assert table.loc["polar", "bimodality"] > 5 / 9 and np.isnan(table.loc["agreed", "bimodality"])
