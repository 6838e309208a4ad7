from __future__ import annotations

from typing import Any

import pytest

from surveys.stats import ConsensusRule, Criterion, RuleError, parse_consensus_rule, rule_to_data


def test_preset_without_parameters_takes_the_defaults() -> None:
    rule = parse_consensus_rule({"preset": "cos"})

    assert rule.preset == "cos"
    assert dict(rule.params) == {}
    assert (rule.param("agree_min"), rule.param("disagree_max")) == (0.70, 0.15)


def test_parameters_beside_the_preset_are_kept() -> None:
    rule = parse_consensus_rule({"preset": "percent", "threshold": 0.8})

    assert rule.param("threshold") == 0.8


def test_custom_rule_holds_its_criteria_as_read_only_data() -> None:
    rule = parse_consensus_rule(
        {
            "preset": "custom",
            "join": "all",
            "criteria": [{"stat": "pct_agree", "op": ">=", "value": 0.8}, {"stat": "iqr", "op": "<=", "value": 2}],
            "out_criteria": [{"stat": "pct_disagree", "op": ">=", "value": 0.8}],
        }
    )

    assert rule.param("criteria") == (Criterion("pct_agree", ">=", 0.8), Criterion("iqr", "<=", 2))
    assert rule.param("out_criteria") == (Criterion("pct_disagree", ">=", 0.8),)
    with pytest.raises(TypeError):
        rule.params["join"] = "any"  # type: ignore[index]


ROUND_TRIPS: list[dict[str, Any]] = [
    {"preset": "cos"},
    {"preset": "cos", "agree_min": 0.8, "disagree_max": 0.1},
    {"preset": "percent"},
    {"preset": "percent", "threshold": 0.75},
    {"preset": "iqr", "max_iqr": 1},
    {"preset": "rand_ucla"},
    {"preset": "custom", "criteria": [{"stat": "median", "op": ">", "value": 6}]},
    {
        "preset": "custom",
        "join": "any",
        "criteria": [{"stat": "pct_agree", "op": ">=", "value": 0.8}, {"stat": "iqr", "op": "<=", "value": 2}],
        "out_criteria": [],
    },
]


@pytest.mark.parametrize("data", ROUND_TRIPS)
def test_export_gives_back_exactly_what_was_written(data: dict[str, Any]) -> None:
    rule = parse_consensus_rule(data)

    assert rule_to_data(rule) == data
    assert parse_consensus_rule(rule_to_data(rule)) == rule


def test_rules_compare_and_hash_by_value() -> None:
    rule = parse_consensus_rule({"preset": "custom", "criteria": [{"stat": "n", "op": ">", "value": 3}]})

    assert rule == parse_consensus_rule(rule_to_data(rule))
    assert hash(rule) == hash(parse_consensus_rule(rule_to_data(rule)))
    assert parse_consensus_rule({"preset": "iqr", "max_iqr": 2}) == ConsensusRule("iqr", {"max_iqr": 2})
    assert parse_consensus_rule({"preset": "iqr", "max_iqr": 2}) != parse_consensus_rule({"preset": "iqr"})


@pytest.mark.parametrize(
    ("data", "text"),
    [
        ({"preset": "cos"}, "at least 70% rate in the agree band and fewer than 15%"),
        ({"preset": "percent", "threshold": 0.8}, "at least 80% rate in the agree band"),
        ({"preset": "iqr"}, "at most 1 on scales of up to 5 points and 2 on larger ones"),
        ({"preset": "iqr", "max_iqr": 1.5}, "at most 1.5"),
        ({"preset": "rand_ucla"}, "Fitch et al. 2001"),
        (
            {"preset": "custom", "join": "any", "criteria": [{"stat": "pct_agree", "op": ">=", "value": 0.8}]},
            "Consensus in when % agree ≥ 80%; never out",
        ),
    ],
)
def test_describe_says_the_rule_in_words(data: dict[str, Any], text: str) -> None:
    assert text in parse_consensus_rule(data).describe()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ("cos", "consensus_rule", "must be a mapping"),
        ({}, "consensus_rule.preset", "is required; choose one of cos, percent, iqr, rand_ucla, custom"),
        (
            {"preset": "majority"},
            "consensus_rule.preset",
            "unknown consensus preset 'majority'; choose one of cos, percent, iqr, rand_ucla, custom",
        ),
        ({"preset": "percent", "treshold": 0.8}, "consensus_rule.treshold", "it takes threshold"),
        ({"preset": "rand_ucla", "threshold": 0.8}, "consensus_rule.threshold", "it takes no parameters"),
        ({"preset": "percent", "threshold": 75}, "consensus_rule.threshold", "must be a share in (0, 1]"),
        ({"preset": "percent", "threshold": 0}, "consensus_rule.threshold", "must be a share in (0, 1]"),
        ({"preset": "percent", "threshold": True}, "consensus_rule.threshold", "must be a share"),
        ({"preset": "cos", "agree_min": "70%"}, "consensus_rule.agree_min", "must be a share"),
        ({"preset": "cos", "disagree_max": 1.5}, "consensus_rule.disagree_max", "must be a share"),
        ({"preset": "iqr", "max_iqr": -1}, "consensus_rule.max_iqr", "must be a number ≥ 0"),
        ({"preset": "iqr", "max_iqr": float("inf")}, "consensus_rule.max_iqr", "must be a number ≥ 0"),
        ({"preset": "custom"}, "consensus_rule.criteria", "is required for a custom rule"),
        ({"preset": "custom", "criteria": []}, "consensus_rule.criteria", "must be a non-empty list"),
        ({"preset": "custom", "criteria": "pct_agree >= 0.8"}, "consensus_rule.criteria", "must be a non-empty list"),
        (
            {"preset": "custom", "join": "most", "criteria": [{"stat": "n", "op": ">", "value": 3}]},
            "consensus_rule.join",
            "must be 'all' or 'any'",
        ),
        ({"preset": "custom", "criteria": ["n > 3"]}, "consensus_rule.criteria[0]", "must be a mapping"),
        (
            {"preset": "custom", "criteria": [{"stat": "n", "op": ">", "value": 3}, {"op": ">", "value": 1}]},
            "consensus_rule.criteria[1].stat",
            "is required",
        ),
        (
            {
                "preset": "custom",
                "criteria": [{"stat": "n", "op": ">", "value": 3}, {"stat": "n", "op": "=~", "value": 1}],
            },
            "consensus_rule.criteria[1].op",
            "unknown operator '=~'; choose one of <, <=, >, >=, ==, !=",
        ),
        (
            {"preset": "custom", "criteria": [{"stat": "mode", "op": ">", "value": 3}]},
            "consensus_rule.criteria[0].stat",
            "unknown statistic 'mode'; choose one of n, mean, sd, median",
        ),
        (
            {"preset": "custom", "criteria": [{"stat": "n", "op": ">", "value": "3"}]},
            "consensus_rule.criteria[0].value",
            "must be a number",
        ),
        (
            {"preset": "custom", "criteria": [{"stat": "pct_agree", "op": ">=", "value": 80}]},
            "consensus_rule.criteria[0].value",
            "pct_agree is a share in [0, 1] (0.8 means 80%)",
        ),
        (
            {"preset": "custom", "criteria": [{"stat": "n", "op": ">", "value": 3, "weight": 2}]},
            "consensus_rule.criteria[0].weight",
            "is not a criterion field",
        ),
        (
            {"preset": "custom", "criteria": [{"stat": "n", "op": ">", "value": 3}], "out_criteria": {"stat": "n"}},
            "consensus_rule.out_criteria",
            "must be a list",
        ),
        (
            {
                "preset": "custom",
                "criteria": [{"stat": "n", "op": ">", "value": 3}],
                "out_criteria": [{"stat": "iqr", "op": "<<", "value": 1}],
            },
            "consensus_rule.out_criteria[0].op",
            "unknown operator '<<'",
        ),
    ],
)
def test_a_bad_rule_names_the_field_and_what_is_allowed(data: Any, field: str, message: str) -> None:
    with pytest.raises(RuleError) as caught:
        parse_consensus_rule(data)

    assert caught.value.field == field
    assert message in str(caught.value)
