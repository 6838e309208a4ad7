"""Random bootstrap resamples of many rows at once, for ``verdict_confidence`` (see :mod:`.uncertainty`).

A resample of a row's ``n`` panelists with replacement has counts ``Multinomial(n, p)``, ``p`` the
row's observed shares. All the rows of one dimension (every item × group) are resampled together:
each sampler is a few numpy calls per drawn quantity over (rows · B) arrays, never a loop over
resamples. Each is exact in distribution and draws only what the rule's verdict reads:

- a rule on shares only (``cos``, ``percent``, a custom rule on ``n``, ``pct_agree``,
  ``pct_disagree``): agree count ``A ~ Bin(n, p_agree)``, then disagree count
  ``D | A ~ Bin(n − A, p_disagree / (1 − p_agree))``: two binomial calls. :func:`verdict_confidence`
  does not draw these at all: it sums the same distribution exactly (:mod:`.exact_shares`), which
  is both the B → ∞ value and faster than 2,000 draws; the sampler stays for the tests;
- a rule on quantiles only (``iqr``, ``rand_ucla``, a custom rule on the median, quartiles, IQR,
  IPR, IPRAS, direction or ``has_consensus``): the resample's order statistics at the positions
  the type-7 quantiles interpolate between, ``x₍ₛ₎ = F⁻¹(U₍ₛ₎)`` with the uniform order statistics
  ``U₍ₛ₎`` drawn by Rényi's representation (sums of exponentials; David & Nagaraja 2003, *Order
  Statistics*, §2.5), L + 1 gamma draws per resample for L positions, shared by the rows with the
  same ``n`` (common random numbers), inverted against each row's cumulative counts by one search,
  and each distinct tuple of order statistics evaluated once (:mod:`.quantile_resampling`). The
  order statistics of a ``Multinomial(n, p)`` count vector have exactly this joint distribution,
  so the figures are those of resampling the counts, computed without drawing the other points;
- anything else (means, sd, cv, or shares mixed with quantiles): the whole count vectors, in one
  ``Generator.multinomial`` call.

Each resample's statistics are then computed with the core's own formulas (type-7 interpolation
exactly as :func:`~surveys.stats.counts.quantile_from_counts`), and its verdict with the rule's
preset test, on all resamples at once.

Deterministic: one random stream per dimension, seeded from the study and round's seed and the
dimension's key (for quantile rules, one per dimension and ``n``, so a row's figure depends on its
own counts only). For the multinomial sampler the rows are drawn in a canonical order (sorted by
item, then group, as text), so the figures do not depend on the order of the rows; they do depend
on which rows of the dimension are present (the same data gives the same figures; adding an item
changes the others' draws, within their Monte Carlo error of at most ``0.5/√B``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from .consensus import PRESET_TESTS
from .consensus_rule import ConsensusRule
from .counts import cv_from, mean_sd_from_counts, quantile_from_counts, share_in
from .exact_shares import share_rule_confidence
from .quantile_resampling import quantile_resamples, quantile_verdict_shares
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
    stream = np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, text_key(key)))

    def verdicts(columns: dict[str, np.ndarray]) -> np.ndarray:
        frame = pd.DataFrame(columns)
        frame["dimension"] = pd.Categorical.from_codes(np.zeros(len(frame), dtype=np.int8), [key])
        is_in, is_out = PRESET_TESTS[rule.preset](frame, rule, {key: scale})
        return np.where(is_in & ~is_out, 1, np.where(is_out & ~is_in, -1, 0))

    if needed <= QUANTILE_STATS:  # one stream per n, each row's figure independent of the others (quantile_resampling)

        def rng_for(n: int) -> np.random.Generator:
            return np.random.default_rng(np.random.SeedSequence(stream.entropy, spawn_key=(*stream.spawn_key, n)))

        share[active] = quantile_verdict_shares(
            rng_for, counts[active], observed[active], scale, needed, n_resamples, verdicts
        )
        return share
    items, groups = block["item"].astype(str).to_numpy(), block["group"].astype(str).to_numpy()
    active = active[np.lexsort((groups[active], items[active]))]  # canonical order: by item, then group
    rng = np.random.default_rng(stream)
    chunk = max(1, CHUNK_RESAMPLES // n_resamples)
    for start in range(0, len(active), chunk):
        rows = active[start : start + chunk]
        columns = resampled_statistics(rng, counts[rows], scale, needed, n_resamples)
        share[rows] = (verdicts(columns).reshape(len(rows), n_resamples) == observed[rows, None]).mean(axis=1)
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
    rng: np.random.Generator | Callable[[int], np.random.Generator],
    counts: np.ndarray,
    scale: Scale,
    needed: set[str],
    size: int,
) -> dict[str, np.ndarray]:
    """``size`` resamples of each row of ``counts`` (rows, points of ``scale``), every row's rated,
    and their ``needed`` statistics: arrays of length rows · size, row by row."""
    counts = np.asarray(counts, dtype=np.int64)
    if counts.ndim == 1:
        counts = counts[None]
    if needed <= QUANTILE_STATS:
        return quantile_resamples(rng if callable(rng) else lambda _n: rng, counts, scale, needed, size)
    if callable(rng):
        raise TypeError("a random stream per n is only for quantile statistics; pass one Generator")
    if needed <= SHARE_STATS:
        return _share_resamples(rng, counts, scale, size)
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
