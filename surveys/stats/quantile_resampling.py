"""Bootstrap resamples of the type-7 quantiles of ordinal ratings, many rows and resamples at once.

A resample of a row's ``n`` panelists with replacement has counts ``Multinomial(n, p)``, ``p`` the
row's observed shares. Its type-7 quantiles (:func:`~surveys.stats.counts.quantile_from_counts`)
read only a few of its order statistics ``x₍ₛ₎`` (0-based): for each level ``q``, ``h = (n − 1)·q``,
``k = ⌊h⌋`` and ``x₍ₖ₎ + (h − k)·(x₍ₖ₊₁₎ − x₍ₖ₎)``. So only those are drawn, exactly in distribution:

- **Uniform order statistics** (Rényi's representation; David HA, Nagaraja HN, 2003, *Order
  Statistics*, 3rd ed., Wiley, §2.5): for ``E₀ … Eₙ`` iid Exp(1), ``U₍ₛ₎ = (E₀ + … + Eₛ) / (E₀ + … + Eₙ)``
  are the order statistics of ``n`` iid uniforms. At sorted positions ``s₁ < … < s_L`` that is
  ``L + 1`` gamma draws per resample (the sums of the Exp(1) between two positions, and the tail),
  :func:`uniform_order_statistics`.
- **Inversion**: ``x₍ₛ₎ = F⁻¹(U₍ₛ₎)``, the first scale point whose cumulative share
  ``F(c) = (c₁ + … + c_c) / n`` is ``≥ U₍ₛ₎``; the ``n`` values ``F⁻¹(Uᵢ)`` of a full uniform sample
  are a multinomial resample, and ``F⁻¹`` is monotone, so its order statistics are these
  (:func:`categories_at`, a search of each resample's uniforms against the row's cumulative counts).

The draws depend only on ``n``, the positions and the random stream: rows with the same ``n`` share
them (common random numbers). Each row's resamples are still iid bootstrap resamples of that row,
so every per-row figure (a share of resamples) has exactly its bootstrap distribution; only the
errors of different rows are correlated, which no per-row figure reads. It makes the draws cost
B·(L + 1) gammas per distinct ``n`` instead of per row, and a row's figures independent of which
other rows are present. ``F(c)`` is the float ``count / n``, as :func:`~surveys.stats.counts.share_in`
divides, so "exact" is up to that one rounding (about 1e-16 of probability per point).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from fractions import Fraction

import numpy as np

from .rand_ucla import rand_ucla_columns
from .scale import Scale

TABLE_LIMIT = 1 << 22  # codes of distinct order-statistic tuples up to this use a table, not a sort
QUARTILES, RAND_LEVELS = frozenset({"q1", "q3", "iqr"}), frozenset({"ipr", "ipras", "median_band", "rand_disagreement"})


def levels_for(needed: Collection[str]) -> list[float]:
    """The quantile levels the ``needed`` statistics read: the median, the quartiles, P30 and P70."""
    levels = [0.5]
    if QUARTILES & set(needed):
        levels += [0.25, 0.75]
    if RAND_LEVELS & set(needed):
        levels += [0.3, 0.7]
    return levels


def quantile_plan(n: int, q: float) -> tuple[int, int, int, int]:
    """Type-7 positions and weight of level ``q`` for ``n`` ratings, in integers as ``quantile_from_counts``:
    ``(k, k + 1 or k, remainder, denominator)`` with ``h − k = remainder / denominator``."""
    fraction = Fraction(repr(float(q)))
    k, remainder = divmod(max(n - 1, 0) * fraction.numerator, fraction.denominator)
    upper = min(k + 1, max(n - 1, 0)) if remainder else k
    return k, upper, remainder, fraction.denominator


def uniform_order_statistics(rng: np.random.Generator, n: int, positions: np.ndarray, size: int) -> np.ndarray:
    """(size, L) draws of ``(U₍ₛ₎)`` at the sorted distinct 0-based ``positions`` of ``n`` iid uniforms."""
    positions = np.asarray(positions, dtype=np.int64)
    gaps = np.diff(np.concatenate([[-1], positions, [n]]))  # Exp(1) terms between positions, then the tail
    sums = np.empty((size, len(gaps)))
    for j, gap in enumerate(gaps):
        sums[:, j] = rng.standard_exponential(size) if gap == 1 else rng.standard_gamma(float(gap), size)
    partial = np.cumsum(sums, axis=1)
    return partial[:, :-1] / partial[:, -1:]


def categories_at(counts: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """(rows, size, L) index of ``F⁻¹(u)`` for each row of ``counts`` (rows, points, all with the same n)
    and each of the shared ``uniforms`` (size, L): the number of points ``c`` with ``F(c) < u``.

    The uniforms are sorted once; each row's ``K − 1`` cumulative shares are located among them
    (``searchsorted``) and the step counts are summed up the sorted order, then put back in place:
    the same comparisons ``F(c) < u`` as the textbook inversion, without a pass per point."""
    n = counts.sum(axis=1)
    shares = np.cumsum(counts, axis=1)[:, :-1] / n[:, None]  # F(c) for all but the last point (F = 1)
    flat = uniforms.ravel()
    order = np.argsort(flat, kind="stable")
    ranked = flat[order]
    steps = np.zeros((len(counts), flat.size + 1), dtype=np.int8)
    starts = np.searchsorted(ranked, shares, side="right")  # first sorted uniform with F(c) < u
    np.add.at(steps, (np.repeat(np.arange(len(counts)), shares.shape[1]), starts.ravel()), 1)
    inverse = np.empty_like(order)
    inverse[order] = np.arange(order.size)
    found = np.cumsum(steps[:, :-1], axis=1, dtype=np.int8)[:, inverse]
    return found.reshape(len(counts), *uniforms.shape)


def quantile_resamples(
    rng_for: Callable[[int], np.random.Generator], counts: np.ndarray, scale: Scale, needed: Collection[str], size: int
) -> dict[str, np.ndarray]:
    """``size`` resamples of each row of ``counts`` (rows, points of ``scale``), every row rated, and the
    quantile statistics in ``needed`` (of ``n``, median, q1, q3, iqr and the RAND/UCLA fields):
    arrays of length rows · size, row by row. ``rng_for(n)`` gives the random stream of the rows with ``n`` ratings."""
    counts = np.asarray(counts, dtype=np.int64)
    parts: list[tuple[np.ndarray, dict[str, np.ndarray]]] = []
    for value, rows, category, positions in _drawn(rng_for, counts, needed, size):
        flat = category.reshape(-1, len(positions))
        parts.append((rows, quantile_columns(flat, int(value), positions, scale, needed)))
    columns = {name: np.empty(len(counts) * size, dtype=column.dtype) for name, column in parts[0][1].items()}
    for rows, found in parts:
        at = (rows[:, None] * size + np.arange(size)).ravel()
        for name, column in found.items():
            columns[name][at] = column
    return columns


def quantile_verdict_shares(
    rng_for: Callable[[int], np.random.Generator],
    counts: np.ndarray,
    observed: np.ndarray,
    scale: Scale,
    needed: Collection[str],
    size: int,
    verdicts: Callable[[dict[str, np.ndarray]], np.ndarray],
) -> np.ndarray:
    """Per row of ``counts``, the share of ``size`` resamples whose verdict code (``verdicts`` of their
    statistics columns) equals ``observed``. A resample's verdict depends only on ``n`` and its drawn
    order statistics, so it is computed once per distinct tuple of them (:func:`_distinct_tuples`) and read back
    for every resample that has it: the same verdicts as computing each resample, at a fraction of
    the cost (resamples of one row concentrate on a few tuples)."""
    counts = np.asarray(counts, dtype=np.int64)
    share = np.empty(len(counts))
    for value, rows, category, positions in _drawn(rng_for, counts, needed, size):
        tuples, inverse = _distinct_tuples(category.reshape(-1, len(positions)))
        found = verdicts(quantile_columns(tuples, int(value), positions, scale, needed))
        kept = found[inverse].reshape(len(rows), size) == observed[rows, None]
        share[rows] = np.count_nonzero(kept, axis=1) / size
    return share


def _distinct_tuples(category: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of ``category`` (M, L) and, for each row, the index of its distinct row.

    Each row is coded as one integer in the mixed radix of each column's observed range; when those
    codes fit a table of at most :data:`TABLE_LIMIT` entries, a presence table replaces the sort of
    ``np.unique`` (linear time)."""
    columns = [np.ascontiguousarray(category[:, j]) for j in range(category.shape[1])]
    low = np.array([column.min() for column in columns], dtype=np.int64)
    span = np.array([column.max() for column in columns], dtype=np.int64) - low + 1
    radix = np.concatenate([[1], np.cumprod(span[:-1])]).astype(np.int64)
    total = int(np.prod(span, dtype=np.float64))  # < K^L ≤ 2^63 for the ≤ 10 positions of 5 levels, K ≤ 79
    kind = np.int32 if total < 2**31 else np.int64
    codes: np.ndarray = np.zeros(len(category), dtype=kind)
    for column, start, step in zip(columns, low, radix, strict=True):
        codes = codes + (column.astype(kind) - start) * step
    if total <= TABLE_LIMIT:
        present = np.zeros(total, dtype=bool)
        present[codes] = True
        unique = np.flatnonzero(present)
        inverse = (np.cumsum(present) - 1)[codes]
    else:
        unique, inverse = np.unique(codes, return_inverse=True)
    return (unique[:, None] // radix) % span + low, inverse.ravel()


def _drawn(
    rng_for: Callable[[int], np.random.Generator], counts: np.ndarray, needed: Collection[str], size: int
) -> Iterator[tuple[int, np.ndarray, np.ndarray, np.ndarray]]:
    """For each distinct n: its rows, their (rows, size, L) drawn point indices and the L positions."""
    n = counts.sum(axis=1)
    levels = levels_for(needed)
    for value in np.unique(n):
        rows = np.flatnonzero(n == value)
        plans = [quantile_plan(int(value), q) for q in levels]
        positions = np.unique([p for k, upper, _, _ in plans for p in (k, upper)])
        uniforms = uniform_order_statistics(rng_for(int(value)), int(value), positions, size)
        yield int(value), rows, categories_at(counts[rows], uniforms), positions


def quantile_columns(
    category: np.ndarray, n: int, positions: np.ndarray, scale: Scale, needed: Collection[str]
) -> dict[str, np.ndarray]:
    """The statistics columns of resamples of ``n`` ratings from their point indices (M, L) at ``positions``:
    type-7 interpolation in integers, one division, as :func:`~surveys.stats.counts.quantile_from_counts`."""
    found = {}
    for q in levels_for(needed):
        k, upper, remainder, denominator = quantile_plan(n, q)
        below = scale.points[category[:, int(np.searchsorted(positions, k))]]
        above = scale.points[category[:, int(np.searchsorted(positions, upper))]]
        found[q] = (below * denominator + (above - below) * remainder) / denominator
    columns = {"n": np.full(len(category), n), "median": found[0.5]}
    if 0.25 in found:
        columns.update(q1=found[0.25], q3=found[0.75], iqr=found[0.75] - found[0.25])
    if 0.3 in found:
        columns.update(rand_ucla_columns(found[0.5], found[0.3], found[0.7], scale))
    return columns
