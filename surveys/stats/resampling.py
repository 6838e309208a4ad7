"""Random bootstrap resamples of many rows at once, for ``verdict_confidence`` (see :mod:`.uncertainty`).

A resample of a row's ``n`` panelists with replacement has counts ``Multinomial(n, p)``, ``p`` the
row's observed shares. All the rows of one dimension (every item × group) are resampled together:
each sampler below is one numpy call per drawn quantity over a (rows · B) array, never a loop over
rows. Each is exact in distribution and draws only what the rule's verdict reads:

- a rule on shares only (``cos``, ``percent``, a custom rule on ``n``, ``pct_agree``,
  ``pct_disagree``): agree count ``A ~ Bin(n, p_agree)``, then disagree count
  ``D | A ~ Bin(n − A, p_disagree / (1 − p_agree))``: two binomial calls. :func:`verdict_confidence`
  does not draw these at all: it sums the same distribution exactly (:mod:`.exact_shares`), which
  is both the B → ∞ value and faster than 2,000 draws; the sampler stays for the tests;
- a rule on quantiles only (``iqr``, ``rand_ucla``, a custom rule on the median, quartiles, IQR,
  IPR, IPRAS, direction or ``has_consensus``): the resample's order statistics at the positions
  the type-7 quantiles interpolate between, as ``x₍ₛ₎ = F⁻¹(U₍ₛ₎)`` with ``U₍ₛ₎`` the uniform
  order statistics drawn by their Beta spacings (``U₍ₛ₁₎ ~ Beta(s₁ + 1, n − s₁)``, then
  ``U₍ₛ₂₎ = U₍ₛ₁₎ + (1 − U₍ₛ₁₎)·Beta(s₂ − s₁, n − s₂)``; David & Nagaraja 2003, *Order Statistics*,
  §2.5): one Beta call per distinct position (two to six), instead of one binomial per scale point;
- anything else (means, sd, cv, or shares mixed with quantiles): the whole count vectors, in one
  ``Generator.multinomial`` call.

Each resample's statistics are then computed with the core's own formulas (type-7 interpolation
exactly as :func:`~surveys.stats.counts.quantile_from_counts`), and its verdict with the rule's
preset test, on all resamples at once.

Deterministic: one random stream per dimension, seeded from the study and round's seed and the
dimension's key; the rows are drawn in a canonical order (sorted by item, then group, as text), so
the figures do not depend on the order of the rows. They do depend on which rows of the dimension
are present (the same data gives the same figures; adding an item changes the others' draws, within
their Monte Carlo error of at most ``0.5/√B``).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd

from .consensus import PRESET_TESTS
from .consensus_rule import ConsensusRule
from .counts import cv_from, mean_sd_from_counts, quantile_from_counts, share_in
from .exact_shares import share_rule_confidence
from .rand_ucla import rand_ucla_columns
from .scale import Scale

SHARE_STATS = frozenset({"n", "pct_agree", "pct_disagree"})
QUANTILE_STATS = frozenset({"n", "median", "q1", "q3", "iqr", "ipr", "ipras", "median_band", "rand_disagreement"})
CHUNK_RESAMPLES = 2_000_000  # resampled rows drawn and evaluated at once: bounded memory


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
    point of ``scale``; NaN where ``observed`` is NaN or a row has no rating.
    """
    needed = needed_statistics(rule)
    share = np.full(len(block), np.nan)
    active = np.flatnonzero((counts.sum(axis=1) > 0) & ~np.isnan(observed))
    if not len(active):
        return share
    key = str(block["dimension"].iloc[0])
    if needed <= SHARE_STATS:  # exact, no draw: the limit of the share as B grows (exact_shares)
        share[active] = share_rule_confidence(counts[active], observed[active], rule, scale, key)
        return share
    items, groups = block["item"].astype(str).to_numpy(), block["group"].astype(str).to_numpy()
    active = active[np.lexsort((groups[active], items[active]))]  # canonical order: by item, then group
    rng = np.random.default_rng(np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, text_key(key))))
    chunk = max(1, CHUNK_RESAMPLES // n_resamples)
    for start in range(0, len(active), chunk):
        rows = active[start : start + chunk]
        columns = resampled_statistics(rng, counts[rows], scale, needed, n_resamples)
        frame = pd.DataFrame(columns)
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
    """``size`` resamples of each row of ``counts`` (rows, points of ``scale``), every row's rated,
    and their ``needed`` statistics: arrays of length rows · size, row by row."""
    counts = np.asarray(counts, dtype=np.int64)
    if counts.ndim == 1:
        counts = counts[None]
    if needed <= SHARE_STATS:
        return _share_resamples(rng, counts, scale, size)
    if needed <= QUANTILE_STATS:
        return _quantile_resamples(rng, counts, scale, needed, size)
    n = counts.sum(axis=1)
    draws = rng.multinomial(n[:, None], (counts / n[:, None])[:, None, :], size=(len(counts), size))
    return _count_statistics(draws.reshape(-1, counts.shape[1]), scale, needed, np.repeat(n, size))


def _share_resamples(rng: np.random.Generator, counts: np.ndarray, scale: Scale, size: int) -> dict[str, np.ndarray]:
    n = counts.sum(axis=1)
    agree = counts[:, scale.band_mask(scale.agree)].sum(axis=1)
    disagree = counts[:, scale.band_mask(scale.disagree)].sum(axis=1)
    trials = np.repeat(n, size)
    agreeing = rng.binomial(trials, np.repeat(agree / n, size))
    with np.errstate(invalid="ignore", divide="ignore"):
        rest_share = np.clip(np.where(n > agree, disagree / (n - agree), 0.0), 0.0, 1.0)
    disagreeing = rng.binomial(trials - agreeing, np.repeat(rest_share, size))
    # count / n, the same division as counts.share_in
    return {"n": trials, "pct_agree": agreeing / trials, "pct_disagree": disagreeing / trials}


def _quantile_resamples(
    rng: np.random.Generator, counts: np.ndarray, scale: Scale, needed: set[str], size: int
) -> dict[str, np.ndarray]:
    n = counts.sum(axis=1)
    levels = [0.5]
    if needed & {"q1", "q3", "iqr"}:
        levels += [0.25, 0.75]
    if needed & {"ipr", "ipras", "median_band", "rand_disagreement"}:
        levels += [0.3, 0.7]
    plans = {}
    for q in levels:  # the positions and weight of type-7 interpolation, in integers as quantile_from_counts
        fraction = Fraction(repr(q))
        k, remainder = np.divmod(np.maximum(n - 1, 0) * fraction.numerator, fraction.denominator)
        plans[q] = (k, np.where(remainder > 0, np.minimum(k + 1, n - 1), k), remainder, fraction.denominator)
    positions = np.sort(np.column_stack([p for k, k1, _, _ in plans.values() for p in (k, k1)]), axis=1)
    drawn = _order_statistics(rng, counts, scale.points, positions, size)  # (rows, size, L)
    found = {}
    for q, (k, k1, remainder, denominator) in plans.items():
        below = _pick(drawn, positions, k)
        above = _pick(drawn, positions, k1)
        found[q] = ((below * denominator + (above - below) * remainder[:, None]) / denominator).ravel()
    columns = {"n": np.repeat(n, size), "median": found[0.5]}
    if 0.25 in found:
        columns.update(q1=found[0.25], q3=found[0.75], iqr=found[0.75] - found[0.25])
    if 0.3 in found:
        columns.update(rand_ucla_columns(found[0.5], found[0.3], found[0.7], scale))
    return columns


def _pick(drawn: np.ndarray, positions: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """(rows, size): the drawn order statistic at position ``wanted`` (one per row) of each resample."""
    column = np.argmax(positions == wanted[:, None], axis=1)
    return np.take_along_axis(drawn, column[:, None, None], axis=2)[:, :, 0]


def _order_statistics(
    rng: np.random.Generator, counts: np.ndarray, points: np.ndarray, positions: np.ndarray, size: int
) -> np.ndarray:
    """(rows, size, L) draws of each resample's order statistics at each row's sorted 0-based
    ``positions`` (rows, L); a repeated position repeats the draw (a zero spacing)."""
    n = counts.sum(axis=1)
    cumulative = np.cumsum(counts, axis=1) / n[:, None]
    uniform = np.zeros((len(n), size))
    previous = np.full(len(n), -1)
    drawn = np.empty((len(n), size, positions.shape[1]))
    for j in range(positions.shape[1]):
        a, b = positions[:, j] - previous, n - positions[:, j]
        gap = np.zeros((len(n), size))
        one, more = a == 1, a > 1  # a == 0: the same position again, no spacing
        if one.any():  # Beta(1, b) by inversion: 1 − V^(1/b), V uniform
            gap[one] = -np.expm1(np.log1p(-rng.random((int(one.sum()), size))) / b[one, None])
        if more.any():
            gap[more] = rng.beta(a[more, None], b[more, None], size=(int(more.sum()), size))
        uniform += (1 - uniform) * gap
        category = np.zeros((len(n), size), dtype=np.int64)
        for c in range(len(points) - 1):  # F⁻¹(u): the first point with F ≥ u
            category += cumulative[:, c, None] < uniform
        drawn[:, :, j] = points[category]
        previous = positions[:, j]
    return drawn


def _count_statistics(counts: np.ndarray, scale: Scale, needed: set[str], n: np.ndarray) -> dict[str, np.ndarray]:
    """The ``needed`` statistics of each resampled count vector, with the core's formulas."""
    points = scale.points
    columns: dict[str, np.ndarray] = {
        "n": n,
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
