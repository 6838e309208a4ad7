from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from surveys.stats import (
    RuleError,
    StopDecision,
    StoppingRule,
    evaluate_stopping,
    parse_stopping_rule,
    stopping_rule_to_data,
)

EARLY = StoppingRule(max_rounds=3, criteria=("all_decided", "all_stable"))


def test_stopping_rule_reads_max_rounds_and_criteria() -> None:
    rule = parse_stopping_rule({"max_rounds": 3, "criteria": ["all_decided", "all_stable"]})

    assert rule == EARLY


def test_criteria_are_optional() -> None:
    assert parse_stopping_rule({"max_rounds": 2}) == StoppingRule(max_rounds=2, criteria=())


@pytest.mark.parametrize("data", [{"max_rounds": 4}, {"max_rounds": 3, "criteria": ["all_stable"]}])
def test_stopping_rule_round_trips_through_export(data: dict[str, Any]) -> None:
    assert stopping_rule_to_data(parse_stopping_rule(data)) == data


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ([3], "stopping_rule", "must be a mapping"),
        ({}, "stopping_rule.max_rounds", "is required: a whole number from 1 to 20"),
        ({"max_rounds": 0}, "stopping_rule.max_rounds", "must be a whole number from 1 to 20; got 0"),
        ({"max_rounds": 21}, "stopping_rule.max_rounds", "got 21"),
        ({"max_rounds": "3"}, "stopping_rule.max_rounds", "got '3'"),
        ({"max_rounds": True}, "stopping_rule.max_rounds", "got True"),
        ({"max_rounds": 2.5}, "stopping_rule.max_rounds", "got 2.5"),
        ({"max_rounds": 3, "criteria": "all_decided"}, "stopping_rule.criteria", "must be a list"),
        (
            {"max_rounds": 3, "criteria": ["all_decided", "consensus"]},
            "stopping_rule.criteria[1]",
            "unknown stopping criterion 'consensus'; choose from all_decided, all_stable",
        ),
        ({"max_rounds": 3, "criteria": ["all_stable", "all_stable"]}, "stopping_rule.criteria[1]", "listed twice"),
        ({"max_rounds": 3, "min_rounds": 2}, "stopping_rule.min_rounds", "is not a stopping rule field"),
    ],
)
def test_a_bad_stopping_rule_names_the_field(data: Any, field: str, message: str) -> None:
    with pytest.raises(RuleError) as caught:
        parse_stopping_rule(data)

    assert caught.value.field == field
    assert message in str(caught.value)


def test_study_stops_when_the_last_allowed_round_is_done() -> None:
    decision = evaluate_stopping(
        StoppingRule(max_rounds=3), rounds_completed=3, verdicts=["none", "in"], stable=[False, True]
    )

    assert decision == StopDecision(is_met=True, reason="Round 3 of at most 3 reached.")


def test_study_stops_early_when_every_item_has_a_verdict() -> None:
    decision = evaluate_stopping(EARLY, rounds_completed=1, verdicts=pd.Series(["in", "out", "in"]), stable=None)

    assert decision.is_met
    assert "Every item has a verdict" in decision.reason


def test_an_item_without_ratings_counts_as_undecided() -> None:
    decision = evaluate_stopping(EARLY, rounds_completed=1, verdicts=["in", ""], stable=None)

    assert not decision.is_met
    assert "1 of 2 item ratings have no verdict yet" in decision.reason


def test_stability_cannot_stop_a_study_after_its_first_round() -> None:
    rule = StoppingRule(max_rounds=3, criteria=("all_stable",))

    decision = evaluate_stopping(rule, rounds_completed=1, verdicts=["none"], stable=None)

    assert not decision.is_met
    assert decision.reason == "Round 1 of at most 3 done; stability needs a previous round."
    assert not evaluate_stopping(rule, rounds_completed=1, verdicts=["none"], stable=[]).is_met


def test_study_stops_early_when_every_item_is_stable() -> None:
    rule = StoppingRule(max_rounds=5, criteria=("all_stable",))

    decision = evaluate_stopping(rule, rounds_completed=2, verdicts=["none", "none"], stable=pd.Series([True, True]))

    assert decision.is_met
    assert "Every item is stable" in decision.reason


def test_a_missing_stability_flag_counts_as_not_stable() -> None:
    rule = StoppingRule(max_rounds=5, criteria=("all_stable",))
    stable = pd.Series([True, pd.NA], dtype="boolean")

    decision = evaluate_stopping(rule, rounds_completed=2, verdicts=["none", "none"], stable=stable)

    assert not decision.is_met
    assert "1 of 2 are not yet stable" in decision.reason


def test_criteria_not_listed_in_the_rule_are_ignored() -> None:
    decision = evaluate_stopping(StoppingRule(max_rounds=3), rounds_completed=2, verdicts=["in"], stable=[True])

    assert decision == StopDecision(is_met=False, reason="Round 2 of at most 3 done.")


def test_describe_says_the_rule_in_words() -> None:
    assert EARLY.describe() == (
        "Stop after at most 3 rounds, or earlier when every item has a consensus verdict or when every item is stable."
    )
