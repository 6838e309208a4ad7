"""Bootstrap intervals and verdict confidence (Efron & Tibshirani 1993 percentile bootstrap)."""

from __future__ import annotations

from math import factorial

import numpy as np
import pandas as pd
import pytest

from surveys.stats import (
    bootstrap_seed,
    bootstrap_uncertainty,
    consensus_verdicts,
    item_statistics,
    median_interval,
    parse_consensus_rule,
    share_interval,
)
from surveys.stats.resampling import resampled_statistics

from .frames import FIVE, NINE, SCALES, ratings_frame


def _compositions(n: int, k: int):  # type: ignore[no-untyped-def]
    if k == 1:
        yield (n,)
        return
    for first in range(n + 1):
        for rest in _compositions(n - first, k - 1):
            yield (first, *rest)


def _brute_force_median_interval(counts: list[int], points: np.ndarray) -> tuple[float, float]:
    """Every resample of the panel, weighted by its multinomial probability: the ideal bootstrap."""
    n = sum(counts)
    shares = np.array(counts) / n
    mass: dict[float, float] = {}
    for resample in _compositions(n, len(counts)):
        probability = factorial(n) * np.prod([s**c / factorial(c) for s, c in zip(shares, resample, strict=True)])
        median = float(np.quantile(np.repeat(points, resample), 0.5))
        mass[median] = mass.get(median, 0.0) + probability
    values = sorted(mass)
    cdf = np.cumsum([mass[v] for v in values])
    return values[int(np.argmax(cdf >= 0.025 - 1e-12))], values[int(np.argmax(cdf >= 0.975 - 1e-12))]


def test_median_interval_equals_the_exact_bootstrap_over_every_resample() -> None:
    rng = np.random.default_rng(3)
    for _ in range(60):
        counts = rng.multinomial(int(rng.integers(1, 8)), rng.dirichlet(np.full(5, 0.7)))
        lo, hi = median_interval(counts[None], FIVE.points, 0.025)

        assert (lo[0], hi[0]) == _brute_force_median_interval(counts.tolist(), FIVE.points), counts


def test_share_interval_is_the_binomial_percentile_interval() -> None:
    lo, hi = share_interval(np.array([7, 0, 10]), np.array([10, 10, 10]), 0.025)

    # Bin(10, 0.7): P(X ≤ 4) = 0.047 ≥ 0.025 > P(X ≤ 3) = 0.011, and P(X ≤ 9) = 0.972 < 0.975
    assert lo.tolist() == [0.4, 0.0, 1.0]
    assert hi.tolist() == [1.0, 0.0, 1.0]


def test_a_unanimous_panel_has_a_point_interval_and_full_confidence() -> None:
    stats = item_statistics(ratings_frame({"C1": [8] * 12}), SCALES)
    figures = bootstrap_uncertainty(stats, parse_consensus_rule({"preset": "cos"}), SCALES, seed=bootstrap_seed("s", 1))

    assert figures.loc[0].tolist() == [8.0, 8.0, 1.0, 1.0, 1.0]


@pytest.mark.parametrize("preset", ["percent", "custom"])
def test_verdict_confidence_is_the_share_of_resamples_keeping_the_verdict(preset: str) -> None:
    # n = 4, three agree: "in" at ≥ 75% agree; P(Bin(4, 0.75) ≥ 3) = 0.738 (exact)
    rule = (
        {"preset": "percent"}
        if preset == "percent"
        else {
            "preset": "custom",
            "criteria": [{"stat": "pct_agree", "op": ">=", "value": 0.75}, {"stat": "q1", "op": ">", "value": 0}],
        }
    )
    stats = item_statistics(ratings_frame({"C1": [9, 9, 9, 1]}), SCALES)
    figures = bootstrap_uncertainty(stats, parse_consensus_rule(rule), SCALES, seed=bootstrap_seed("s", 1))

    assert figures.loc[0, "verdict_confidence"] == pytest.approx(0.738, abs=0.03)


def test_verdict_confidence_of_an_iqr_rule_matches_the_exact_probability() -> None:
    # 1..5 scale, max IQR 1, ratings 2, 4, 4, 5: in. The exact share of resamples still in,
    # by enumerating every resample with its multinomial probability.
    values = [2, 4, 4, 5]
    rule = parse_consensus_rule({"preset": "iqr", "max_iqr": 1})
    stats = item_statistics(ratings_frame({"C1": values}, dimension="feasibility"), SCALES)
    observed = "in"
    exact = 0.0
    points = FIVE.points
    counts = [1, 0, 0, 2, 1]
    for resample in _compositions(4, 5):
        ratings = np.repeat(points, resample)
        q1, median, q3 = np.quantile(ratings, [0.25, 0.5, 0.75])
        verdict = "in" if q3 - q1 <= 1 and 4 <= median <= 5 else "other"
        probability = factorial(4) * np.prod(
            [(c / 4) ** r / factorial(r) for c, r in zip(counts, resample, strict=True)]
        )
        exact += probability * (verdict == observed)

    figures = bootstrap_uncertainty(stats, rule, SCALES, seed=bootstrap_seed("s", 1), n_resamples=20_000)

    assert figures.loc[0, "verdict_confidence"] == pytest.approx(exact, abs=0.015)


def test_order_statistic_sampler_reproduces_the_exact_median_distribution() -> None:
    counts = np.array([3, 0, 5, 1, 2, 0, 4, 1, 2])
    medians = resampled_statistics(np.random.default_rng(5), counts, NINE, {"median"}, 40_000)["median"]
    lo, hi = np.quantile(medians, [0.025, 0.975], method="inverted_cdf")

    assert (lo, hi) == tuple(x[0] for x in median_interval(counts[None], NINE.points, 0.025))


def test_same_data_and_seed_give_the_same_figures_whatever_the_row_order() -> None:
    frame = ratings_frame({"C1": [1, 5, 9, 9, 8, 7, 2], "C2": [5, 5, 6, 7, 3, 9, 9]}, groups=list("aaabbbb"))
    stats = item_statistics(frame, SCALES, min_group_size=3)
    rule = parse_consensus_rule({"preset": "iqr"})

    first = bootstrap_uncertainty(stats, rule, SCALES, seed=bootstrap_seed("study", 2))
    shuffled = stats.iloc[::-1]
    again = bootstrap_uncertainty(shuffled, rule, SCALES, seed=bootstrap_seed("study", 2)).loc[stats.index]
    other_round = bootstrap_uncertainty(stats, rule, SCALES, seed=bootstrap_seed("study", 3), n_resamples=200)

    pd.testing.assert_frame_equal(first, again)
    assert first["verdict_confidence"].between(0, 1).all()
    assert len(other_round) == len(first)


def test_an_item_everyone_abstained_on_has_no_figures() -> None:
    stats = item_statistics(ratings_frame({"C1": [None, None], "C2": [9, 9]}), SCALES)
    figures = bootstrap_uncertainty(stats, parse_consensus_rule({"preset": "cos"}), SCALES, seed=bootstrap_seed(1, 1))

    assert figures.loc[0].isna().all() and figures.loc[1].notna().all()


def test_bad_resample_count_is_refused_with_its_value() -> None:
    stats = item_statistics(ratings_frame({"C1": [9]}), SCALES)
    with pytest.raises(ValueError, match="n_resamples must be at least 1; got 0"):
        bootstrap_uncertainty(
            stats, parse_consensus_rule({"preset": "cos"}), SCALES, seed=bootstrap_seed(1, 1), n_resamples=0
        )


def _enumerated_share_confidence(counts: np.ndarray, rule_data: dict, observed: int) -> float:
    """Every resample's (agree, disagree) counts with their trinomial probability: the ideal bootstrap."""
    from surveys.stats.consensus import PRESET_TESTS

    n = int(counts.sum())
    p_agree, p_disagree = counts[6:].sum() / n, counts[:3].sum() / n
    rows, probabilities = [], []
    for a in range(n + 1):
        for d in range(n - a + 1):
            rows.append((n, a / n, d / n))
            probabilities.append(
                factorial(n)
                / (factorial(a) * factorial(d) * factorial(n - a - d))
                * p_agree**a
                * p_disagree**d
                * (1 - p_agree - p_disagree) ** (n - a - d)
            )
    frame = pd.DataFrame(rows, columns=["n", "pct_agree", "pct_disagree"])
    frame["dimension"] = pd.Categorical(["agreement"] * len(frame))
    is_in, is_out = PRESET_TESTS[rule_data["preset"]](frame, parse_consensus_rule(rule_data), SCALES)
    verdict = np.where(is_in & ~is_out, 1, np.where(is_out & ~is_in, -1, 0))
    return float(np.sum(np.array(probabilities) * (verdict == observed)))


@pytest.mark.parametrize(
    "rule_data",
    [
        {"preset": "cos"},
        {"preset": "percent", "threshold": 0.5},
        {
            "preset": "custom",
            "criteria": [
                {"stat": "pct_agree", "op": ">", "value": 0.6},
                {"stat": "pct_disagree", "op": "<=", "value": 0.2},
            ],
            "out_criteria": [{"stat": "pct_disagree", "op": "==", "value": 0.5}],
        },
        {
            "preset": "custom",
            "join": "any",
            "criteria": [{"stat": "pct_disagree", "op": ">", "value": 0.25}, {"stat": "n", "op": ">=", "value": 9}],
            "out_criteria": [
                {"stat": "pct_disagree", "op": "!=", "value": 0.0},
                {"stat": "pct_agree", "op": "<", "value": 0.3},
            ],
        },
    ],
    ids=["cos", "percent", "custom", "custom strict"],
)
def test_verdict_confidence_of_a_share_rule_is_the_exact_bootstrap_probability(rule_data: dict) -> None:
    rng = np.random.default_rng(8)
    rule = parse_consensus_rule(rule_data)
    for _ in range(25):
        counts = rng.multinomial(int(rng.integers(1, 16)), rng.dirichlet(np.full(9, 0.6)))
        stats = item_statistics(ratings_frame({"C1": np.repeat(NINE.points, counts).tolist()}), SCALES)
        observed = {"in": 1, "out": -1, "none": 0}[consensus_verdicts(stats, rule, SCALES).iloc[0]]

        figures = bootstrap_uncertainty(stats, rule, SCALES, seed=bootstrap_seed("s", 1), n_resamples=1)

        assert figures.loc[0, "verdict_confidence"] == pytest.approx(
            _enumerated_share_confidence(counts, rule_data, observed), abs=1e-12
        ), counts


def test_each_row_resampled_together_keeps_its_own_distribution() -> None:
    counts = np.array([[3, 0, 5, 1, 2, 0, 4, 1, 2], [0, 0, 0, 1, 6, 2, 0, 0, 0]])
    medians = resampled_statistics(np.random.default_rng(5), counts, NINE, {"median"}, 40_000)["median"]
    lo, hi = median_interval(counts, NINE.points, 0.025)

    for row, resampled in enumerate(medians.reshape(2, -1)):
        assert tuple(np.quantile(resampled, [0.025, 0.975], method="inverted_cdf")) == (lo[row], hi[row])


def test_verdict_confidence_is_left_out_on_dimensions_that_give_no_verdict() -> None:
    stats = item_statistics(ratings_frame({"C1": [9, 9, 8, 1]}), SCALES)
    stats = pd.concat([stats, item_statistics(ratings_frame({"C1": [5, 4, 4, 5]}, dimension="feasibility"), SCALES)])
    stats = stats.reset_index(drop=True)

    figures = bootstrap_uncertainty(
        stats,
        parse_consensus_rule({"preset": "iqr"}),
        SCALES,
        seed=bootstrap_seed("s", 1),
        verdict_dimensions={"agreement"},
    )

    assert figures["verdict_confidence"].notna().tolist() == [True, False]
    assert figures["median_ci_lo"].notna().all()
