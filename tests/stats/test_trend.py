"""The trend classes across rounds, each on a constructed trajectory."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from surveys.stats import TRENDS, trend

from .frames import SCALES


def _round(number: int, **figures: Any) -> dict[str, Any]:
    row = {
        "item": "C1",
        "dimension": "agreement",
        "group": "",
        "round": number,
        "n": 20,
        "median": 7.0,
        "iqr": 2.0,
        "verdict": "none",
        "agreement_a": 0.3,
        "bimodality": 0.4,
        "is_stable": False,
    }
    return {**row, **figures}


@pytest.mark.parametrize(
    ("rounds", "expected"),
    [
        ([_round(1)], "insufficient_data"),
        ([_round(1), _round(2, n=3)], "insufficient_data"),
        ([_round(1), _round(2, bimodality=0.8, agreement_a=-0.4)], "polarised"),
        ([_round(1), _round(2, verdict="in", is_stable=True, iqr=1.0)], "stable_consensus"),
        ([_round(1, iqr=3.0), _round(2, iqr=2.0), _round(3, iqr=1.0, verdict="in")], "converging"),
        ([_round(1, agreement_a=0.2), _round(2, agreement_a=0.35)], "converging"),
        ([_round(1), _round(2, is_stable=True)], "stable_dissensus"),
        ([_round(1, iqr=1.0), _round(2, iqr=3.0)], "unstable"),
        ([_round(1, iqr=3.0), _round(2, iqr=2.0, agreement_a=0.1)], "unstable"),  # IQR fell but A dropped
    ],
)
def test_each_trajectory_gets_its_trend(rounds: list[dict[str, Any]], expected: str) -> None:
    assert trend(pd.DataFrame(rounds), SCALES)["trend"].tolist() == [expected]


def test_groups_on_opposite_sides_make_an_item_polarised() -> None:
    rounds = [_round(1), _round(2, verdict="in", is_stable=True)]
    groups = [_round(2, group="east", median=8.0), _round(2, group="west", median=2.0), _round(1, group="x", median=1)]

    table = trend(pd.DataFrame(rounds + groups), SCALES)

    assert table["trend"].tolist() == ["polarised"]
    assert table["n_rounds"].tolist() == [2]


def test_a_missing_stability_flag_reads_as_not_stable() -> None:
    rounds = [_round(1), _round(2, verdict="in", is_stable=np.nan)]

    assert trend(pd.DataFrame(rounds), SCALES)["trend"].tolist() == ["unstable"]


def test_every_class_has_a_sentence_for_the_report() -> None:
    from surveys.stats import TREND_SENTENCES

    assert set(TREND_SENTENCES) == set(TRENDS)
