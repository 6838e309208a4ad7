"""Direction and consensus on two axes, and their use in the iqr preset and custom rules."""

from __future__ import annotations

from typing import Any

import pytest

from surveys.stats import (
    RuleError,
    consensus_verdicts,
    direction,
    has_consensus,
    item_statistics,
    parse_consensus_rule,
    rule_to_data,
)

from .frames import SCALES, ratings_frame

PANELS = {
    "agreed": [8, 8, 8, 9, 7, 8],  # median 8, IQR 0.75
    "neutral_consensus": [5, 5, 5, 5, 4, 6],  # median 5, IQR 0, all between the bands
    "split": [1, 1, 2, 8, 9, 9],  # median 5, IQR 6.5
    "rejected": [1, 2, 2, 2, 3, 5],
}


def _axes(rule: dict[str, Any]) -> dict[str, tuple[str, bool]]:
    stats = item_statistics(ratings_frame(PANELS), SCALES)
    parsed = parse_consensus_rule(rule)
    pairs = zip(direction(stats, SCALES), has_consensus(stats, parsed, SCALES), strict=True)
    return dict(zip(stats["item"], pairs, strict=True))


def test_direction_follows_the_median_band_and_neutral_otherwise() -> None:
    axes = _axes({"preset": "iqr"})

    assert {item: d for item, (d, _) in axes.items()} == {
        "agreed": "agree",
        "neutral_consensus": "neutral",
        "split": "neutral",
        "rejected": "disagree",
    }


def test_iqr_consensus_on_a_neutral_median_is_expressible() -> None:
    axes = _axes({"preset": "iqr"})

    assert axes["neutral_consensus"] == ("neutral", True)
    assert axes["split"] == ("neutral", False)


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"preset": "cos"}, {"agreed": True, "neutral_consensus": True, "split": False, "rejected": True}),
        ({"preset": "percent"}, {"agreed": True, "neutral_consensus": True, "split": False, "rejected": True}),
        ({"preset": "rand_ucla"}, {"agreed": True, "neutral_consensus": True, "split": False, "rejected": True}),
    ],
)
def test_each_preset_has_its_dispersion_criterion(rule: dict[str, Any], expected: dict[str, bool]) -> None:
    assert {item: c for item, (_, c) in _axes(rule).items()} == expected


def test_an_item_without_ratings_has_no_direction_and_no_consensus() -> None:
    stats = item_statistics(ratings_frame({"C1": [None, None]}), SCALES)

    assert direction(stats, SCALES).tolist() == [""]
    assert has_consensus(stats, parse_consensus_rule({"preset": "iqr"}), SCALES).tolist() == [False]


def test_the_iqr_verdict_is_consensus_with_a_side() -> None:
    stats = item_statistics(ratings_frame(PANELS), SCALES)
    verdicts = consensus_verdicts(stats, parse_consensus_rule({"preset": "iqr"}), SCALES)

    assert dict(zip(stats["item"], verdicts, strict=True)) == {
        "agreed": "in",
        "neutral_consensus": "none",
        "split": "none",
        "rejected": "out",
    }


def test_a_custom_rule_can_ask_for_consensus_on_a_neutral_median() -> None:
    rule = parse_consensus_rule(
        {
            "preset": "custom",
            "max_iqr": 1,
            "criteria": [
                {"stat": "has_consensus", "op": "==", "value": True},
                {"stat": "direction", "op": "==", "value": "neutral"},
            ],
            "out_criteria": [{"stat": "has_consensus", "op": "==", "value": False}],
        }
    )
    stats = item_statistics(ratings_frame(PANELS), SCALES)

    assert dict(zip(stats["item"], consensus_verdicts(stats, rule, SCALES), strict=True)) == {
        "agreed": "none",
        "neutral_consensus": "in",
        "split": "out",
        "rejected": "none",
    }
    assert "has consensus = yes and direction = neutral" in rule.describe()
    assert "interquartile range of at most 1" in rule.describe()


def test_axis_criteria_round_trip_through_the_study_file() -> None:
    data = {"preset": "custom", "criteria": [{"stat": "direction", "op": "!=", "value": "disagree"}]}

    assert rule_to_data(parse_consensus_rule(data)) == data


@pytest.mark.parametrize(
    ("criterion", "field", "message"),
    [
        ({"stat": "direction", "op": ">=", "value": "agree"}, "op", "direction is compared with == or != only"),
        ({"stat": "direction", "op": "==", "value": "yes"}, "value", "direction is one of agree, neutral, disagree"),
        ({"stat": "has_consensus", "op": "==", "value": 1}, "value", "has_consensus is true or false"),
    ],
)
def test_a_bad_axis_criterion_names_the_field(criterion: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(RuleError) as caught:
        parse_consensus_rule({"preset": "custom", "criteria": [criterion]})

    assert caught.value.field == f"consensus_rule.criteria[0].{field}"
    assert message in str(caught.value)
