from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surveys.stats import Scale, item_statistics, rand_ucla

from .frames import FIVE, NINE, SCALES, ratings_frame

# DESIGN.md's worked example: n = 15, ratings 1, 2, 3, then 7 five times, 8 five times, 9 twice.
WORKED_EXAMPLE = [1, 2, 3, 7, 7, 7, 7, 7, 8, 8, 8, 8, 8, 9, 9]


def test_rand_ucla_worked_example_gives_the_published_figures() -> None:
    result = rand_ucla(WORKED_EXAMPLE)

    assert len(WORKED_EXAMPLE) == 15
    assert result.median == 7
    assert result.median_band == "high"
    assert result.p30 == 7
    assert result.p70 == 8
    assert result.ipr == 1
    assert result.iprcp == 7.5
    assert result.ai == 2.5
    assert result.ipras == pytest.approx(6.1)


def test_rand_ucla_worked_example_has_no_disagreement() -> None:
    assert rand_ucla(WORKED_EXAMPLE).disagreement is False


def test_rand_ucla_flags_a_polarised_panel_as_disagreeing() -> None:
    result = rand_ucla([1, 1, 1, 1, 1, 9, 9, 9, 9, 9])

    # P30 = 1, P70 = 9: IPR 8 against IPRAS 2.35 (the IPR is centred on 5, so AI = 0).
    assert (result.ipr, result.ai, result.ipras) == (8, 0, 2.35)
    assert result.disagreement is True


def test_rand_ucla_leaves_out_cant_answer() -> None:
    assert rand_ucla([*WORKED_EXAMPLE, math.nan, math.nan]) == rand_ucla(WORKED_EXAMPLE)


def test_rand_ucla_without_ratings_is_all_nan_and_no_disagreement() -> None:
    result = rand_ucla([math.nan])

    assert math.isnan(result.median) and math.isnan(result.ipras)
    assert result.median_band == ""
    assert result.disagreement is False


@pytest.mark.parametrize(
    ("ratings", "band"),
    [([3, 3], "low"), ([3, 4], "mid"), ([4, 4], "mid"), ([6, 7], "mid"), ([7, 7], "high"), ([1], "low")],
)
def test_median_band_is_rand_one_to_three_four_to_six_seven_to_nine(ratings: list[int], band: str) -> None:
    assert rand_ucla(ratings).median_band == band


def test_asymmetry_index_uses_the_scale_midpoint() -> None:
    result = rand_ucla([4, 4, 5, 5], FIVE)

    # IPRCP = (4 + 5) / 2 = 4.5 on a 1..5 scale whose midpoint is 3.
    assert result.ai == pytest.approx(1.5)
    assert result.ipras == pytest.approx(2.35 + 1.5 * 1.5)
    assert result.median_band == "high"


def _exact_rand_ucla(ratings: list[int], scale: Scale = NINE) -> tuple[Fraction, Fraction, bool]:
    """IPR, IPRAS and the disagreement verdict in exact rational arithmetic (type 7 percentiles)."""
    ordered = sorted(ratings)

    def percentile(q: Fraction) -> Fraction:
        h = (len(ordered) - 1) * q
        k = int(h)
        upper = ordered[min(k + 1, len(ordered) - 1)]
        return ordered[k] + (h - k) * (upper - ordered[k])

    p30, p70 = percentile(Fraction(3, 10)), percentile(Fraction(7, 10))
    ipr = p70 - p30
    ipras = Fraction(47, 20) + Fraction(3, 2) * abs(Fraction(scale.min + scale.max, 2) - (p30 + p70) / 2)
    return ipr, ipras, ipr > ipras


# Twelve ratings whose P30 = 3.9 and P70 = 6.7 exactly: IPR = 2.8 and IPRAS = 2.35 + 1.5·|5 − 5.3| = 2.8.
# In floating point 6.7 − 3.9 = 2.8000000000000003 > 2.8, which used to flip the verdict to disagreement.
EXACT_TIES = [
    [1, 1, 2, 3, 6, 6, 6, 6, 7, 7, 9, 9],
    [1, 1, 3, 3, 6, 6, 6, 6, 7, 7, 8, 9],
    [1, 1, 1, 1, 2, 5, 5, 5, 6, 6, 6, 7, 9, 9, 9],
    [1, 1, 1, 1, 2, 2, 2, 2, 5, 5, 5, 5, 5, 6, 6, 6, 6, 6, 7, 7, 7, 8, 9, 9, 9],
]


@pytest.mark.parametrize("ratings", EXACT_TIES, ids=["n12-a", "n12-b", "n15", "n25"])
def test_an_ipr_equal_to_its_ipras_is_not_disagreement(ratings: list[int]) -> None:
    ipr, ipras, _ = _exact_rand_ucla(ratings)
    assert ipr == ipras  # the panel really is a tie in exact arithmetic

    result = rand_ucla(ratings)
    row = item_statistics(ratings_frame({"C1": ratings}), SCALES).iloc[0]

    assert result.ipr == pytest.approx(float(ipr)) and result.ipras == pytest.approx(float(ipras))
    assert result.disagreement is False
    assert not row["rand_disagreement"]


def test_percentiles_are_the_exact_tenths_rounded_once() -> None:
    # P30 of these ten ratings is 4 + 0.7·(5 − 4) = 4.7 exactly; numpy's float index gives 4.699999999999999.
    result = rand_ucla([3, 4, 4, 5, 5, 5, 5, 6, 8, 9])

    assert result.p30 == 4.7


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(1, 9), min_size=1, max_size=40))
def test_rand_ucla_and_item_statistics_give_the_exact_verdict_on_every_panel(ratings: list[int]) -> None:
    _, _, exact = _exact_rand_ucla(ratings)

    single = rand_ucla(ratings)
    row = item_statistics(ratings_frame({"C1": ratings}), SCALES).iloc[0]

    assert single.disagreement is exact
    assert bool(row["rand_disagreement"]) is exact
    assert (row["p30"], row["p70"], row["ipras"]) == (single.p30, single.p70, single.ipras)


def test_on_random_panels_the_verdict_is_always_the_exact_one() -> None:
    # 5,000 seeded panels of 2..30 ratings, including exact ties that rounding used to flip.
    rng = np.random.default_rng(16)
    panels = [rng.integers(1, 10, size=int(rng.integers(2, 31))).tolist() for _ in range(5_000)]
    frame = pd.DataFrame(
        {
            "panelist": [p for panel in panels for p in range(len(panel))],
            "item": [i for i, panel in enumerate(panels) for _ in panel],
            "dimension": "agreement",
            "value": [float(v) for panel in panels for v in panel],
        }
    )

    stats = item_statistics(frame, SCALES, by_group=False)

    expected = [_exact_rand_ucla(panel)[2] for panel in panels]
    assert stats["rand_disagreement"].tolist() == expected
    assert sum(_exact_rand_ucla(panel)[0] == _exact_rand_ucla(panel)[1] for panel in panels) > 0
