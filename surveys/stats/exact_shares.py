"""Exact verdict confidence for rules on shares (``cos``, ``percent``, custom rules on n and the shares).

Such a rule's verdict reads a resample only through its agree count ``A`` and disagree count ``D``.
Resampling ``n`` panelists with replacement gives ``A ~ Bin(n, p_a)`` and
``D | A = a ~ Bin(n − a, q)``, ``q = p_d / (1 − p_a)`` (:mod:`.resampling`), so the share of
resamples keeping the observed verdict tends, as B grows, to

    P(verdict = observed) = Σₐ P(A = a) · Σⱼ [verdict(a, dⱼ) = observed] · P(cⱼ ≤ D < cⱼ₊₁ | A = a)

the ideal bootstrap (B = ∞; Efron & Tibshirani 1993, ch. 6), computed here with no random draw.
The ``cⱼ`` are the disagree counts at which the share ``d/n`` crosses one of the values the rule
compares the disagree share with (computed with the same float division as
:func:`~surveys.stats.counts.share_in`), so between two cuts the verdict cannot change with ``d``;
``verdict(a, dⱼ)`` is the rule's own preset test evaluated at ``dⱼ = cⱼ``.

``A`` is summed over ``n·p_a ± t`` with ``t = 8·sd + 20`` (Bernstein's inequality,
``P(|A − n·p_a| ≥ t) ≤ 2·exp(−t² / (2(sd² + t/3)))``, bounds the mass left out by 2e-13), and
terms below 1e-20 are dropped.
The conditional cdf ``G(x; m) = P(Bin(m, q) ≤ x)`` is computed once per row and cut at the
smallest ``m`` and carried up by ``G(x; m + 1) = G(x; m) − q·P(Bin(m, q) = x)``, the point
probabilities from log-gamma. Accurate to about 1e-12, far inside the 0.011 Monte Carlo error of
B = 2,000 random resamples, and about ten times faster than drawing them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special
from scipy import stats as scipy_stats

from .consensus import PRESET_TESTS
from .consensus_rule import PRESET_PARAMETERS, ConsensusRule
from .scale import Scale

SPREAD, MARGIN = 8, 20  # A is summed over its mean ± (8 sd + 20)
CHUNK_ROWS = 64
NEGLIGIBLE = 1e-20


def share_rule_confidence(
    counts: np.ndarray, observed: np.ndarray, rule: ConsensusRule, scale: Scale, key: str
) -> np.ndarray:
    """P(a resample's verdict code = ``observed``) for each row of ``counts`` (rows, points of ``scale``),
    every row rated; ``key`` is the dimension's key, for the rule's test. Rows are taken in chunks of
    similar spread, so each chunk's table of agree counts is barely padded."""
    n = counts.sum(axis=1).astype(np.int64)
    agree = counts[:, scale.band_mask(scale.agree)].sum(axis=1)
    disagree = counts[:, scale.band_mask(scale.disagree)].sum(axis=1)
    reach = np.ceil(SPREAD * np.sqrt(agree * (1 - agree / n)) + MARGIN).astype(np.int64)
    log_factorial = special.gammaln(np.arange(int(n.max()) + 2) + 1.0)
    thresholds = _thresholds(rule)
    order = np.argsort(reach, kind="stable")
    parts = []  # (row, agree count, disagree count, probability) of every piece with mass
    for start in range(0, len(order), CHUNK_ROWS):
        rows = order[start : start + CHUNK_ROWS]
        cuts = _cuts(n[rows], thresholds)
        found = _chunk(n[rows], agree[rows], disagree[rows], reach[rows], cuts, log_factorial)
        parts.append((rows[found[0]], *found[1:]))
    row, a, d, mass = (np.concatenate(column) for column in zip(*parts, strict=True))
    verdict = _verdicts(n[row], a, d, rule, scale, key)  # the rule's own test, once for all pieces
    share = np.bincount(row, weights=np.where(verdict == observed[row], mass, 0.0), minlength=len(n))
    return np.clip(share, 0.0, 1.0)


def _chunk(
    n: np.ndarray,
    agree: np.ndarray,
    disagree: np.ndarray,
    reach: np.ndarray,
    cuts: np.ndarray,
    log_factorial: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For some rows: each piece with mass as (row in the chunk, agree count ``a``, the piece's first
    disagree count, P(A = a, D in the piece)); ``cuts`` (rows, C) from :func:`_cuts`."""
    p_agree = agree / n
    q = np.clip(np.where(n > agree, disagree / np.maximum(n - agree, 1), 0.0), 0.0, 1.0)
    low, high = np.clip(agree - reach, 0, n), np.clip(agree + reach, 0, n)
    a = low[:, None] + np.arange(int((high - low).max()) + 1)[None, :]  # (rows, width): agree counts summed over
    valid = a <= high[:, None]
    a = np.minimum(a, n[:, None])
    weight = np.where(valid, np.exp(_log_binomial(a, n[:, None], p_agree[:, None], log_factorial)), 0.0)
    distinct = [j for j in range(cuts.shape[1]) if j == 0 or (cuts[:, j] != cuts[:, j - 1]).any()]
    starts = np.concatenate([np.zeros((len(n), 1), dtype=np.int64), cuts[:, distinct]], axis=1)
    m = n[:, None] - a  # non-agree panelists of the resample: D ≤ m
    # G(start_j − 1; m) at each piece's start: 0 below the first (D ≥ 0), 1 past the last (D ≤ n)
    below = [np.zeros(a.shape)]
    below += [_conditional_cdf(starts[:, j] - 1, m, q, log_factorial) for j in range(1, starts.shape[1])]
    below.append(np.ones(a.shape))
    row = np.broadcast_to(np.arange(len(n))[:, None], a.shape)
    found: list[list[np.ndarray]] = [[], [], [], []]
    for j in range(starts.shape[1]):
        mass = weight * np.clip(below[j + 1] - below[j], 0.0, 1.0)  # P(A = a, start_j ≤ D < start_(j+1))
        chosen = mass > NEGLIGIBLE  # the rest adds less than 1e-13 in all
        rows = row[chosen]
        for column, values in zip(
            found, (rows, a[chosen], np.minimum(starts[rows, j], n[rows]), mass[chosen]), strict=True
        ):
            column.append(values)
    return tuple(np.concatenate(column) for column in found)  # type: ignore[return-value]


def _thresholds(rule: ConsensusRule) -> list[tuple[float, bool]]:
    """The ``(value, strict)`` comparisons of the disagree share in the rule: ``strict`` for ``>`` and
    ``<=`` (which flip where ``d/n > v`` starts), not for ``>=`` and ``<`` (where ``d/n ≥ v`` starts),
    both for ``==`` and ``!=``. The presets compare with ``>=`` and ``<`` only."""
    if rule.preset != "custom":
        values = [rule.param(name) for name in PRESET_PARAMETERS[rule.preset]]
        return sorted({(float(v), False) for v in values if isinstance(v, int | float) and not isinstance(v, bool)})
    found = set()
    for criterion in (*rule.param("criteria"), *rule.param("out_criteria")):
        if criterion.stat == "pct_disagree":
            kinds = {">=": (False,), "<": (False,), ">": (True,), "<=": (True,)}.get(criterion.op, (False, True))
            found |= {(float(criterion.value), strict) for strict in kinds}
    return sorted(found)


def _cuts(n: np.ndarray, thresholds: list[tuple[float, bool]]) -> np.ndarray:
    """Per row, for each threshold ``(v, strict)``, the smallest d with ``d/n > v`` (strict) or
    ``d/n ≥ v`` (``n + 1`` when none), sorted: the counts where a comparison of the share can flip."""
    if not thresholds:
        return np.zeros((len(n), 0), dtype=np.int64)
    found = []
    for value, strict in thresholds:
        base = np.floor(value * n).astype(np.int64) - 2
        cut = np.full(len(n), -1, dtype=np.int64)
        for step in range(6):  # d/n is within one of value·n: the first of six candidates that passes
            d = base + step
            share = np.clip(d, 0, None) / n
            passed = (share > value) if strict else (share >= value)
            cut = np.where((cut < 0) & passed & (d >= 0), d, cut)
        found.append(np.where(cut < 0, n + 1, np.minimum(cut, n + 1)))  # none passed: beyond the scale
    return np.sort(np.column_stack(found), axis=1)


def _log_binomial(x: np.ndarray, trials: np.ndarray, p: np.ndarray, log_factorial: np.ndarray) -> np.ndarray:
    """log P(Bin(trials, p) = x), −inf outside 0..trials (0·log 0 read as 0); ``log_factorial[k] = ln k!``."""
    inside = (x >= 0) & (x <= trials)
    xs, ts = np.where(inside, x, 0), np.where(inside, trials, 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        hits = np.where(xs > 0, xs * np.log(p), 0.0)
        misses = np.where(ts > xs, (ts - xs) * np.log1p(-p), 0.0)
    value = log_factorial[ts] - log_factorial[xs] - log_factorial[ts - xs] + hits + misses
    return np.where(inside, value, -np.inf)


def _conditional_cdf(x: np.ndarray, m: np.ndarray, q: np.ndarray, log_factorial: np.ndarray) -> np.ndarray:
    """G(x; m) = P(Bin(m, q) ≤ x) for each row's ``x`` and each ``m`` of its row of ``m`` (rows, width):
    scipy at the row's smallest m, then the recurrence of the module docstring up to the others."""
    smallest = m.min(axis=1)
    span = int((m.max(axis=1) - smallest).max()) + 1 if m.size else 1
    ladder = smallest[:, None] + np.arange(span)[None, :]  # every m from the smallest up
    start = scipy_stats.binom.cdf(x, smallest, q)
    point = np.exp(_log_binomial(np.broadcast_to(x[:, None], ladder.shape), ladder, q[:, None], log_factorial))
    steps = np.concatenate([np.zeros((len(x), 1)), np.cumsum(q[:, None] * point, axis=1)[:, :-1]], axis=1)
    cdf = np.clip(start[:, None] - steps, 0.0, 1.0)
    cdf = np.where(x[:, None] < 0, 0.0, np.where(x[:, None] >= ladder, 1.0, cdf))
    return np.take_along_axis(cdf, m - smallest[:, None], axis=1)


def _verdicts(n: np.ndarray, a: np.ndarray, d: np.ndarray, rule: ConsensusRule, scale: Scale, key: str) -> np.ndarray:
    """Verdict codes (1 in, −1 out, 0 none) of the rule's test on resamples of ``n`` ratings with
    ``a`` agreeing and ``d`` disagreeing (flat arrays)."""
    frame = pd.DataFrame({"n": n, "pct_agree": a / n, "pct_disagree": d / n})
    frame["dimension"] = pd.Categorical.from_codes(np.zeros(len(frame), dtype=np.int8), [key])
    is_in, is_out = PRESET_TESTS[rule.preset](frame, rule, {key: scale})
    return np.where(is_in & ~is_out, 1, np.where(is_out & ~is_in, -1, 0))
