"""Random bootstrap resamples of a row's ratings, for ``verdict_confidence`` (see :mod:`.uncertainty`).

A resample of ``n`` panelists with replacement has counts ``Multinomial(n, p)``. Three samplers,
each exact in distribution, draw only what the rule's verdict reads:

- a rule on shares only (``cos``, ``percent``, a custom rule on ``n``, ``pct_agree``,
  ``pct_disagree``): agree count ``A ~ Bin(n, p_agree)``, then disagree count
  ``D | A ~ Bin(n − A, p_disagree / (1 − p_agree))``;
- a rule on quantiles only (``iqr``, ``rand_ucla``, a custom rule on the median, quartiles, IQR,
  IPR, IPRAS, direction or ``has_consensus``): the resample's order statistics at the positions the
  type-7 quantiles interpolate between, as ``x₍ₛ₎ = F⁻¹(U₍ₛ₎)`` with ``U₍ₛ₎`` the uniform order
  statistics drawn by their Beta spacings (``U₍ₛ₁₎ ~ Beta(s₁ + 1, n − s₁)``, then
  ``U₍ₛ₂₎ = U₍ₛ₁₎ + (1 − U₍ₛ₁₎)·Beta(s₂ − s₁, n − s₂)``; David & Nagaraja 2003, §2.5), two to six
  draws per resample instead of one per scale point;
- anything else (means, sd, cv, or shares mixed with quantiles): the whole count vector by
  successive conditional binomials.

Each statistic is then computed with the core's own formulas (type-7 interpolation written as in
:func:`~surveys.stats.counts.quantile_from_counts`), and the verdict with the rule's preset test.
Binomials are drawn in sorted order of their ``n`` so numpy reuses each set-up (faster, and still
deterministic).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .consensus import PRESET_TESTS
from .consensus_rule import ConsensusRule
from .counts import cv_from, mean_sd_from_counts, quantile_from_counts, share_in
from .rand_ucla import rand_ucla_columns
from .scale import Scale

SHARE_STATS = frozenset({"n", "pct_agree", "pct_disagree"})
QUANTILE_STATS = frozenset({"n", "median", "q1", "q3", "iqr", "ipr", "ipras", "median_band", "rand_disagreement"})
CHUNK_RESAMPLES = 200_000  # resampled rows evaluated at once: bounded memory


def verdict_confidence(
    block: pd.DataFrame,
    counts: np.ndarray,
    observed: np.ndarray,
    rule: ConsensusRule,
    scale: Scale,
    seed: np.random.SeedSequence,
    n_resamples: int,
) -> np.ndarray:
    """Share of ``n_resamples`` resamples whose verdict code equals ``observed`` (1 in, −1 out, 0 none).

    ``block`` holds one dimension's rows of a statistics table and ``counts`` their counts per
    point of ``scale``; NaN where ``observed`` is NaN or a row has no rating. Each row's stream is
    seeded from ``seed`` and the row's item, dimension and group.
    """
    needed = needed_statistics(rule)
    share = np.full(len(block), np.nan)
    active = np.flatnonzero((counts.sum(axis=1) > 0) & ~np.isnan(observed))
    keys = list(zip(block["item"], block["dimension"], block["group"], strict=True))
    key = str(block["dimension"].iloc[0])
    chunk = max(1, CHUNK_RESAMPLES // n_resamples)
    for start in range(0, len(active), chunk):
        rows = active[start : start + chunk]
        parts = []
        for row in rows:
            stream = np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, *map(text_key, keys[row])))
            parts.append(resampled_statistics(np.random.default_rng(stream), counts[row], scale, needed, n_resamples))
        frame = pd.DataFrame({column: np.concatenate([part[column] for part in parts]) for column in parts[0]})
        frame["dimension"] = pd.Categorical.from_codes(np.zeros(len(frame), dtype=np.int8), [key])
        is_in, is_out = PRESET_TESTS[rule.preset](frame, rule, {key: scale})
        verdict = np.where(is_in & ~is_out, 1, np.where(is_out & ~is_in, -1, 0)).reshape(len(rows), n_resamples)
        share[rows] = (verdict == observed[rows, None]).mean(axis=1)
    return share


def needed_statistics(rule: ConsensusRule) -> set[str]:
    """The statistics columns the rule's verdict reads."""
    if rule.preset in ("cos", "percent"):
        return {"n", "pct_agree", "pct_disagree"}
    if rule.preset == "iqr":
        return {"n", "median", "iqr"}
    if rule.preset == "rand_ucla":
        return {"n", "median_band", "rand_disagreement"}
    needed = {"n"}
    for criterion in (*rule.param("criteria"), *rule.param("out_criteria")):
        needed |= {"direction": {"median"}, "has_consensus": {"iqr"}}.get(criterion.stat, {criterion.stat})
    return needed


def resampled_statistics(
    rng: np.random.Generator, counts: np.ndarray, scale: Scale, needed: set[str], size: int
) -> dict[str, np.ndarray]:
    """``size`` resamples of one row's ``counts`` (per point of ``scale``) and their ``needed`` statistics."""
    n = int(counts.sum())
    if needed <= SHARE_STATS:
        return _share_resamples(rng, counts, scale, size)
    if needed <= QUANTILE_STATS:
        return _quantile_resamples(rng, counts, scale, needed, size)
    return _count_statistics(_multinomial(rng, counts, size), scale, needed, n)


def _share_resamples(rng: np.random.Generator, counts: np.ndarray, scale: Scale, size: int) -> dict[str, np.ndarray]:
    n = int(counts.sum())
    agree = int(counts[scale.band_mask(scale.agree)].sum())
    disagree = int(counts[scale.band_mask(scale.disagree)].sum())
    agreeing = rng.binomial(n, agree / n, size)
    rest = n - agreeing
    disagreeing = _sorted_binomial(rng, rest, disagree / (n - agree) if n > agree else 0.0)
    # count / n, the same division as counts.share_in
    return {"n": np.full(size, n), "pct_agree": agreeing / n, "pct_disagree": disagreeing / n}


def _quantile_resamples(
    rng: np.random.Generator, counts: np.ndarray, scale: Scale, needed: set[str], size: int
) -> dict[str, np.ndarray]:
    n = int(counts.sum())
    levels = [0.5]
    if needed & {"q1", "q3", "iqr"}:
        levels += [0.25, 0.75]
    if needed & {"ipr", "ipras", "median_band", "rand_disagreement"}:
        levels += [0.3, 0.7]
    plans = {}
    for q in levels:  # the positions and weight of type-7 interpolation, as counts.quantile_from_counts
        h = max(n * q + (1 - q) - 1, 0.0)
        k = math.floor(h)
        t = h - k
        plans[q] = (k, min(k + 1, n - 1) if t > 0 else k, t)
    positions = sorted({p for k, k1, _ in plans.values() for p in (k, k1)})
    values = dict(zip(positions, _order_statistics(rng, counts, scale.points, positions, size), strict=True))
    found = {}
    for q, (k, k1, t) in plans.items():
        below, above = values[k], values[k1]
        step = above - below
        found[q] = np.where(t >= 0.5, above - step * (1 - t), below + step * t)
    columns = {"n": np.full(size, n), "median": found[0.5]}
    if 0.25 in found:
        columns.update(q1=found[0.25], q3=found[0.75], iqr=found[0.75] - found[0.25])
    if 0.3 in found:
        columns.update(rand_ucla_columns(found[0.5], found[0.3], found[0.7], scale))
    return columns


def _order_statistics(
    rng: np.random.Generator, counts: np.ndarray, points: np.ndarray, positions: list[int], size: int
) -> list[np.ndarray]:
    """``size`` draws of the resample's order statistics at the sorted 0-based ``positions``."""
    n = int(counts.sum())
    cumulative = np.cumsum(counts) / n
    uniform = np.zeros(size)
    previous = -1
    drawn = []
    for position in positions:
        a, b = position - previous, n - position
        gap = 1 - rng.random(size) ** (1 / b) if a == 1 else rng.beta(a, b, size)  # Beta(1, b) by inversion
        uniform = uniform + (1 - uniform) * gap
        category = np.minimum(np.searchsorted(cumulative, uniform), len(points) - 1)  # F⁻¹: first F ≥ u
        drawn.append(points[category])
        previous = position
    return drawn


def _multinomial(rng: np.random.Generator, counts: np.ndarray, size: int) -> np.ndarray:
    """``size`` draws of Multinomial(n, counts / n) by successive conditional binomials (non-empty classes)."""
    draws = np.zeros((size, len(counts)), dtype=np.int64)
    present = np.flatnonzero(counts)
    left = int(counts.sum())
    remaining = np.full(size, left, dtype=np.int64)
    for index in present[:-1]:
        draws[:, index] = _sorted_binomial(rng, remaining, counts[index] / left)
        remaining -= draws[:, index]
        left -= int(counts[index])
    draws[:, present[-1]] = remaining
    return draws


def _sorted_binomial(rng: np.random.Generator, trials: np.ndarray, p: float) -> np.ndarray:
    """Binomial draws for each entry of ``trials``, drawn in sorted order so numpy reuses its set-up."""
    order = np.argsort(trials, kind="stable")
    draws = np.empty(len(trials), dtype=np.int64)
    draws[order] = rng.binomial(trials[order], min(max(p, 0.0), 1.0))
    return draws


def _count_statistics(counts: np.ndarray, scale: Scale, needed: set[str], n: int) -> dict[str, np.ndarray]:
    """The ``needed`` statistics of each resampled count vector, with the core's formulas."""
    points = scale.points
    columns: dict[str, np.ndarray] = {
        "n": np.full(len(counts), n),
        "pct_agree": share_in(counts, scale.band_mask(scale.agree)),
        "pct_disagree": share_in(counts, scale.band_mask(scale.disagree)),
        "median": quantile_from_counts(counts, points, 0.5),
    }
    if needed & {"q1", "q3", "iqr"}:
        columns["q1"] = quantile_from_counts(counts, points, 0.25)
        columns["q3"] = quantile_from_counts(counts, points, 0.75)
        columns["iqr"] = columns["q3"] - columns["q1"]
    if needed & {"ipr", "ipras", "median_band", "rand_disagreement"}:
        p30, p70 = quantile_from_counts(counts, points, 0.3), quantile_from_counts(counts, points, 0.7)
        columns.update(rand_ucla_columns(columns["median"], p30, p70, scale))
    columns["mean"], columns["sd"] = mean_sd_from_counts(counts, points)
    columns["cv"] = cv_from(columns["mean"], columns["sd"])
    return columns


def text_key(value: object) -> int:
    """A stable integer for a label: its ``str`` as UTF-8 bytes, read little-endian after a 0x01 marker byte."""
    return int.from_bytes(str(value).encode("utf-8") + b"\x01", "little")
