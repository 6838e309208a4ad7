"""The vectorised quantile resampler against the straightforward computation, resample by resample."""

from __future__ import annotations

from math import factorial

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from surveys.stats import bootstrap_seed, bootstrap_uncertainty, item_statistics, parse_consensus_rule
from surveys.stats.consensus import PRESET_TESTS
from surveys.stats.counts import quantile_from_counts
from surveys.stats.quantile_resampling import (
    categories_at,
    levels_for,
    quantile_columns,
    quantile_plan,
    quantile_resamples,
    quantile_verdict_shares,
    uniform_order_statistics,
)
from surveys.stats.rand_ucla import rand_ucla_columns
from surveys.stats.uncertainty import distribution_counts

from .frames import FIVE, NINE, SCALES, ratings_frame

EVERYTHING = {"n", "median", "q1", "q3", "iqr", "ipr", "ipras", "median_band", "rand_disagreement"}


def _full_uniform_samples(rng: np.random.Generator, n: int, size: int) -> np.ndarray:
    """(size, n) sorted uniform samples: Rényi's representation with all n + 1 exponentials."""
    sums = np.cumsum(rng.standard_exponential((size, n + 1)), axis=1)
    return sums[:, :-1] / sums[:, -1:]


def _straightforward(counts_row: np.ndarray, uniforms: np.ndarray, points: np.ndarray, scale) -> dict:  # type: ignore[no-untyped-def]
    """One resample at a time: its n ratings F⁻¹(Uᵢ), their counts, and the core's own functions."""
    shares = np.cumsum(counts_row) / counts_row.sum()
    rows = []
    for sample in uniforms:
        ratings = points[np.minimum(np.searchsorted(shares, sample, side="left"), len(points) - 1)]
        counts = np.array([[np.sum(ratings == p) for p in points]])
        rows.append({q: float(quantile_from_counts(counts, points, q)[0]) for q in (0.25, 0.5, 0.75, 0.3, 0.7)})
        assert rows[-1][0.5] == float(np.quantile(ratings, 0.5)) and rows[-1][0.25] == float(np.quantile(ratings, 0.25))
    frame = pd.DataFrame(rows)
    columns = {"median": frame[0.5].to_numpy(), "q1": frame[0.25].to_numpy(), "q3": frame[0.75].to_numpy()}
    columns["iqr"] = columns["q3"] - columns["q1"]
    columns.update(rand_ucla_columns(columns["median"], frame[0.3].to_numpy(), frame[0.7].to_numpy(), scale))
    return columns


CASES = {
    "ties and gaps": (NINE, [[3, 0, 5, 1, 2, 0, 4, 1, 2], [0, 0, 0, 1, 6, 2, 0, 0, 4]]),
    "small n": (NINE, [[0, 0, 0, 0, 1, 0, 0, 0, 0], [1, 0, 0, 0, 0, 0, 0, 0, 1], [0, 2, 0, 0, 0, 0, 1, 0, 0]]),
    "all equal": (FIVE, [[0, 0, 7, 0, 0], [0, 0, 0, 0, 3]]),
    "two extremes": (FIVE, [[5, 0, 0, 0, 5], [1, 1, 1, 1, 1]]),
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_vectorised_quantiles_equal_each_resample_computed_on_its_own(case: str, seed: int) -> None:
    scale, table = CASES[case]
    rng = np.random.default_rng(seed)
    for counts_row in np.array(table):
        n = int(counts_row.sum())
        full = _full_uniform_samples(rng, n, 300)
        plans = [quantile_plan(n, q) for q in levels_for(EVERYTHING)]
        positions = np.unique([p for k, upper, _, _ in plans for p in (k, upper)])

        category = categories_at(counts_row[None], full[:, positions])[0]
        vectorised = quantile_columns(category, n, positions, scale, EVERYTHING)
        expected = _straightforward(counts_row, full, scale.points, scale)

        for name, column in expected.items():
            assert np.array_equal(vectorised[name], column), (case, name)


def test_rows_of_one_n_share_draws_and_each_keeps_its_own_distribution() -> None:
    # With abstentions: C1 and C2 both have 7 valid ratings, C3 has 5.
    frame = ratings_frame(
        {"C1": [1, 2, 2, 9, 9, 5, 5, None], "C2": [7, 7, 8, 8, 9, 9, 9, None], "C3": [1, 1, 1, 1, 1, None, None, None]}
    )
    stats = item_statistics(frame, SCALES)
    counts = distribution_counts(stats, NINE)
    streams = {}

    def rng_for(n: int) -> np.random.Generator:
        streams[n] = streams.get(n, 0) + 1
        return np.random.default_rng([11, n])

    columns = quantile_resamples(rng_for, counts, NINE, EVERYTHING, 4000)

    assert streams == {5: 1, 7: 1}  # one stream per distinct n, shared by the rows that have it
    medians = columns["median"].reshape(3, -1)
    assert set(medians[2]) == {1.0}  # all equal: every resample is too
    assert abs(medians[0].mean() - 4.4) < 0.25 and abs(medians[1].mean() - 8.3) < 0.25


def test_uniform_order_statistics_have_their_beta_distributions() -> None:
    n, positions = 40, np.array([3, 4, 19, 20, 35])
    drawn = uniform_order_statistics(np.random.default_rng(4), n, positions, 20_000)

    for j, s in enumerate(positions):  # U(s) ~ Beta(s + 1, n − s), 0-based s
        assert scipy_stats.kstest(drawn[:, j], scipy_stats.beta(s + 1, n - s).cdf).pvalue > 1e-3
    gap = drawn[:, 2] - drawn[:, 1]  # a spacing of 15 ~ Beta(15, n − 15 + 1)
    assert scipy_stats.kstest(gap, scipy_stats.beta(15, n - 15 + 1).cdf).pvalue > 1e-3
    assert (np.diff(drawn, axis=1) > 0).all()


@pytest.mark.parametrize("preset", ["iqr", "rand_ucla"])
def test_verdict_shares_from_distinct_tuples_equal_the_per_resample_verdicts(preset: str) -> None:
    rule = parse_consensus_rule({"preset": preset})
    counts = np.array([[3, 0, 5, 1, 2, 0, 4, 1, 2], [0, 0, 0, 1, 2, 2, 3, 6, 4], [0, 0, 0, 0, 0, 0, 9, 0, 0]])
    needed = {"n", "median", "iqr"} if preset == "iqr" else {"n", "median_band", "rand_disagreement"}
    observed = np.array([0.0, 1.0, 1.0])

    def verdicts(columns: dict) -> np.ndarray:
        frame = pd.DataFrame(columns)
        frame["dimension"] = pd.Categorical(["agreement"] * len(frame))
        is_in, is_out = PRESET_TESTS[preset](frame, rule, SCALES)
        return np.where(is_in & ~is_out, 1, np.where(is_out & ~is_in, -1, 0))

    def rng_for(n: int) -> np.random.Generator:
        return np.random.default_rng([5, n])

    shares = quantile_verdict_shares(rng_for, counts, observed, NINE, needed, 60, verdicts)
    columns = quantile_resamples(rng_for, counts, NINE, needed, 60)
    one_by_one = [
        verdicts({name: column[i : i + 1] for name, column in columns.items()})[0] for i in range(3 * 60)
    ]  # each resample's verdict on its own

    expected = (np.array(one_by_one).reshape(3, 60) == observed[:, None]).mean(axis=1)
    assert shares.tolist() == expected.tolist()


def _compositions(n: int, k: int):  # type: ignore[no-untyped-def]
    if k == 1:
        yield (n,)
        return
    for first in range(n + 1):
        for rest in _compositions(n - first, k - 1):
            yield (first, *rest)


def test_rand_ucla_verdict_confidence_matches_the_exact_probability() -> None:
    # 5, 7, 8, 9, 9: median 8, "high" without disagreement: "in". Every resample, with its probability.
    values, n = [5, 7, 8, 9, 9], 5
    counts = np.bincount(np.array(values) - 1, minlength=9)
    rule = parse_consensus_rule({"preset": "rand_ucla"})
    exact = 0.0
    for resample in _compositions(n, 9):
        ratings = np.repeat(NINE.points, resample)
        median, p30, p70 = np.quantile(ratings, [0.5, 0.3, 0.7])
        fields = rand_ucla_columns(np.array([median]), np.array([p30]), np.array([p70]), NINE)
        held = fields["median_band"][0] == "high" and not fields["rand_disagreement"][0]
        terms = [(c / n) ** r / factorial(r) for c, r in zip(counts, resample, strict=True)]
        probability = factorial(n) * np.prod(terms)
        exact += probability * held
    stats = item_statistics(ratings_frame({"C1": values}), SCALES)

    figures = bootstrap_uncertainty(stats, rule, SCALES, seed=bootstrap_seed("s", 1), n_resamples=20_000)

    assert figures.loc[0, "verdict_confidence"] == pytest.approx(exact, abs=0.015)


def test_a_rows_confidence_does_not_depend_on_the_other_items() -> None:
    rule = parse_consensus_rule({"preset": "iqr"})
    alone = item_statistics(ratings_frame({"C1": [7, 8, 8, 9, 6, 7]}), SCALES)
    together = item_statistics(ratings_frame({"C1": [7, 8, 8, 9, 6, 7], "C0": [1, 2, 9, 9, 5, 5]}), SCALES)

    one = bootstrap_uncertainty(alone, rule, SCALES, seed=bootstrap_seed("s", 1))
    both = bootstrap_uncertainty(together, rule, SCALES, seed=bootstrap_seed("s", 1))

    c1 = together.index[together["item"] == "C1"][0]
    assert both.loc[c1, "verdict_confidence"] == one.loc[0, "verdict_confidence"]
