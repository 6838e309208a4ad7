"""The signed-rank p against values worked out by hand, for R's default method (see surveys/stats/wilcoxon.py)."""

from __future__ import annotations

import math

import pytest
from scipy import stats as scipy_stats

from surveys.stats.wilcoxon import wilcoxon_p


def test_exact_p_of_five_untied_differences_is_ten_in_thirty_two() -> None:
    # Differences +1, +2, -3, +4, +5: no zero, no tie, n = 5 < 50, so the exact distribution.
    # Ranks of |d| are 1..5 and W+ = 1 + 2 + 4 + 5 = 12 > n(n + 1)/4 = 7.5, so P = P(W >= 12).
    # The 2^5 = 32 sign patterns give W >= 12 when the negative ranks sum to <= 3: {}, {1}, {2},
    # {3}, {1, 2}: 5 patterns. P = 5/32 and p = 2P = 10/32 = 0.3125.
    before = [1, 1, 5, 1, 1]
    after = [2, 3, 2, 5, 6]

    assert wilcoxon_p(before, after) == pytest.approx(10 / 32, abs=1e-12)


def test_exact_p_of_six_rises_is_one_in_thirty_two() -> None:
    # Differences +1..+6: W+ = 21, the largest possible; only 1 of 2^6 patterns reaches it: p = 2/64.
    assert wilcoxon_p([1] * 6, [2, 3, 4, 5, 6, 7]) == pytest.approx(2 / 64, abs=1e-12)


def test_normal_approximation_with_ties_zeros_and_continuity_correction() -> None:
    # Differences +1, +1, +1, -1, +2, +2 and one 0 (dropped): n = 6. Ties, so the normal method.
    # |d| = 1 four times (ranks 1-4, mid-rank 2.5), |d| = 2 twice (ranks 5-6, mid-rank 5.5).
    # W+ = 3 x 2.5 + 2 x 5.5 = 18.5; mean n(n + 1)/4 = 10.5.
    # Variance 6 x 7 x 13 / 24 - ((4^3 - 4) + (2^3 - 2)) / 48 = 22.75 - 1.375 = 21.375.
    # z = (18.5 - 10.5 - 0.5) / sqrt(21.375) = 7.5 / 4.62331 = 1.62222; p = 2(1 - Phi(z)) = 0.10476.
    before = [3, 3, 3, 4, 3, 3, 5]
    after = [4, 4, 4, 3, 5, 5, 5]

    p = wilcoxon_p(before, after)

    assert p == pytest.approx(2 * scipy_stats.norm.sf(7.5 / math.sqrt(21.375)), abs=1e-12)
    assert round(p, 5) == 0.10476


def test_a_dropped_zero_forces_the_normal_method_as_in_r() -> None:
    # Differences +1..+6 and one 0: without the zero the exact p would be 2/64 = 0.03125. With it R
    # uses the normal method: W+ = 21, mean 10.5, variance 6 x 7 x 13 / 24 = 22.75 (no ties),
    # z = (21 - 10.5 - 0.5) / sqrt(22.75) = 2.09657, p = 0.03603.
    p = wilcoxon_p([1] * 7, [2, 3, 4, 5, 6, 7, 1])

    assert p == pytest.approx(2 * scipy_stats.norm.sf(10 / math.sqrt(22.75)), abs=1e-12)
    assert round(p, 5) == 0.03603


def test_fifty_untied_pairs_would_use_the_normal_method() -> None:
    # No scale has 50 distinct |d|; here the differences are 1..50 on a wide scale. W+ = 1275 (all up),
    # mean 637.5, variance 50 x 51 x 101 / 24 = 10731.25, z = (637.5 - 0.5) / sqrt(10731.25).
    p = wilcoxon_p([0] * 50, list(range(1, 51)))

    assert p == pytest.approx(2 * scipy_stats.norm.sf(637 / math.sqrt(10731.25)), rel=1e-9)


def test_nothing_moved_gives_one_and_no_pair_gives_nan() -> None:
    assert wilcoxon_p([3, 4, 5], [3, 4, 5]) == 1.0
    assert math.isnan(wilcoxon_p([], []))
