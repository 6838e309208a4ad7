"""The headline's plain-language finding, worded from constructed statistics for each trend class."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pytest

from surveys.reports.data import DimensionInfo
from surveys.reports.finding import FINDING_RULES, finding

AGREEMENT = DimensionInfo("agreement", "Agreement", "", 1, 9, (7, 9), (1, 3))
CONFIDENCE = DimensionInfo("confidence", "Confidence", "", 1, 5, (4, 5), (1, 2), decides=False)


def _row(
    number: int,
    ratings: list[int],
    *,
    group: str = "",
    verdict: str = "none",
    stable: bool | None = None,
    dimension: DimensionInfo = AGREEMENT,
) -> dict[str, object]:
    values = np.array(ratings, dtype=float)
    q1, median, q3 = np.quantile(values, [0.25, 0.5, 0.75], method="linear")
    agree = ((values >= dimension.agree[0]) & (values <= dimension.agree[1])).mean()
    return {
        "round": number,
        "group": group,
        "n": len(values),
        "median": median,
        "q1": q1,
        "q3": q3,
        "iqr": q3 - q1,
        "pct_agree": agree,
        "verdict": verdict if not group else "",
        "is_stable": stable,
        "distribution": dict(Counter(int(v) for v in ratings)),
    }


def _frame(*rows: dict[str, object]) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def test_a_narrowing_spread_reads_as_converging_with_its_movement() -> None:
    rows = _frame(
        _row(1, [2, 3, 4, 5, 6, 7, 8, 9, 5, 5]),
        _row(2, [4, 5, 5, 5, 6, 6, 5, 5, 4, 6], stable=False),
    )
    result = finding(rows, AGREEMENT)
    assert result.trend == "converging"
    assert result.text == "Converging: median 5 → 5, IQR 2.5 → 0.75 from round 1 to 2; no consensus after 2 rounds."


def test_a_held_verdict_reads_as_stable_consensus_since_its_first_round() -> None:
    rows = _frame(
        _row(1, [7, 8, 8, 9, 7, 8, 6, 8], verdict="in"),
        _row(2, [8, 8, 8, 9, 7, 8, 8, 8], verdict="in", stable=True),
    )
    result = finding(rows, AGREEMENT)
    assert result.trend == "stable_consensus"
    assert result.text == "Stable consensus: median 8, IQR 0, 100% agree in round 2; consensus in since round 1."


def test_stable_ratings_without_consensus_read_as_stable_dissensus_and_name_the_groups_apart() -> None:
    panel = [4, 5, 5, 6, 6, 5, 4, 6, 5, 5, 8, 7]
    rows = _frame(
        _row(1, panel),
        _row(1, [7, 8, 7], group="Russia"),
        _row(1, [4, 5, 4], group="Central Asia"),
        _row(2, panel, stable=True),
        _row(2, [8, 7, 8], group="Russia"),
        _row(2, [4, 5, 5], group="Central Asia"),
    )
    result = finding(rows, AGREEMENT)
    assert result.trend == "stable_dissensus"
    assert result.text == (
        "Stable dissensus between groups: Russia 8 vs Central Asia 5; median 5, IQR 1, 17% agree in round 2; "
        "no consensus after 2 rounds."
    )
    assert result.contrast == ("Russia", "Central Asia")


def test_groups_in_the_agree_and_disagree_bands_read_as_polarised_between_groups() -> None:
    rows = _frame(
        _row(1, [2, 3, 5, 7, 8, 8, 2, 5]),
        _row(1, [7, 8, 8], group="Russia"),
        _row(1, [2, 2, 3], group="Central Asia"),
        _row(2, [2, 2, 5, 7, 8, 8, 2, 5]),
        _row(2, [7, 8, 8], group="Russia"),
        _row(2, [2, 2, 2], group="Central Asia"),
        _row(2, [2, 2, 3], group="Europe and North America"),
    )
    result = finding(rows, AGREEMENT)
    assert result.trend == "polarised"
    assert result.text.startswith("Polarised between groups: Russia 8 vs Central Asia / Europe and North America 2;")
    assert result.text.endswith("; no consensus after 2 rounds.")


def test_two_camps_without_groups_read_as_polarised_panel() -> None:
    rows = _frame(_row(1, [1, 1, 1, 2, 9, 9, 8, 9, 5, 5]), _row(2, [1, 1, 1, 1, 9, 9, 9, 9, 1, 9]))
    result = finding(rows, AGREEMENT)
    assert result.trend == "polarised"
    assert result.text.startswith("Polarised: the panel splits into two camps; median 5, IQR 8")


def test_a_widening_spread_reads_as_unstable() -> None:
    rows = _frame(
        _row(1, [5, 5, 5, 6, 6, 5, 5, 6, 5, 5]),
        _row(2, [3, 5, 7, 4, 6, 8, 2, 5, 6, 7], stable=False),
    )
    result = finding(rows, AGREEMENT)
    assert result.trend == "unstable"
    assert result.text == "Unstable: median 5 → 5.5, IQR 0.75 → 2.5 from round 1 to 2; no consensus after 2 rounds."


def test_one_round_is_too_few_to_tell_a_trend() -> None:
    result = finding(_frame(_row(1, [7, 8, 8, 9, 7, 8], verdict="in")), AGREEMENT)
    assert result.trend == "insufficient_data"
    assert result.text.startswith("Too few rounds to tell a trend: median 8")


def test_a_dimension_without_consensus_says_nothing_of_verdicts_or_agreeing() -> None:
    rows = _frame(
        _row(1, [2, 3, 4, 5, 4, 3, 2, 5], dimension=CONFIDENCE),
        _row(2, [3, 3, 4, 4, 4, 3, 3, 4], dimension=CONFIDENCE, stable=False),
    )
    text = finding(rows, CONFIDENCE).text
    assert "consensus" not in text and "agree" not in text


@pytest.mark.parametrize("word", ["polarised", "stable consensus", "converging", "stable dissensus", "unstable"])
def test_the_methods_appendix_states_each_rule(word: str) -> None:
    assert word in " ".join(FINDING_RULES).lower()


def test_the_trend_stored_by_the_aggregation_words_the_finding() -> None:
    """The report reads ``ItemStatistic.trend`` of the last round's whole-panel row (not recomputed)."""
    rows = _frame(
        {**_row(1, [2, 3, 4, 5, 6, 7, 8, 9, 5, 5]), "trend": "insufficient_data"},
        {**_row(2, [4, 5, 5, 5, 6, 6, 5, 5, 4, 6], stable=False), "trend": "unstable"},
    )
    assert finding(rows, AGREEMENT).trend == "unstable"  # computed, these rows would read "converging"
    assert finding(rows.assign(trend=""), AGREEMENT).trend == "converging"  # none stored: computed
