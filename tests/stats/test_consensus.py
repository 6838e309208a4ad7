from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from surveys.stats import consensus_verdicts, item_decision, item_statistics, parse_consensus_rule

from .frames import SCALES, ratings_frame


def _verdicts(
    rule: Mapping[str, Any], values: Mapping[str, Sequence[float | None]], dimension: str = "agreement"
) -> dict[str, str]:
    stats = item_statistics(ratings_frame(values, dimension=dimension), SCALES)
    verdicts = consensus_verdicts(stats, parse_consensus_rule(rule), SCALES)
    return dict(zip(stats["item"], verdicts, strict=True))


def test_cos_is_in_at_seventy_percent_agree_and_under_fifteen_disagree() -> None:
    verdicts = _verdicts(
        {"preset": "cos"},
        {
            "agreed": [9, 9, 8, 8, 7, 7, 7, 5, 5, 2],  # 70% agree, 10% disagree
            "rejected": [1, 1, 2, 2, 3, 3, 3, 5, 5, 8],  # the mirror image
            "split": [9, 9, 9, 9, 9, 9, 9, 9, 1, 1],  # 80% agree but 20% disagree
            "lukewarm": [9, 9, 8, 8, 7, 7, 5, 5, 5, 5],  # 60% agree
        },
    )

    assert verdicts == {"agreed": "in", "rejected": "out", "split": "none", "lukewarm": "none"}


def test_cos_needs_strictly_fewer_than_fifteen_percent_disagreeing() -> None:
    agree, neutral, disagree = [9] * 14, [5] * 3, [1] * 3  # 70% agree, exactly 15% disagree

    assert _verdicts({"preset": "cos"}, {"C1": agree + neutral + disagree}) == {"C1": "none"}


def test_cos_thresholds_can_be_set() -> None:
    ratings = [9, 9, 8, 8, 7, 7, 7, 5, 5, 2]

    assert _verdicts({"preset": "cos", "agree_min": 0.8}, {"C1": ratings}) == {"C1": "none"}


def test_percent_uses_seventy_five_percent_by_default() -> None:
    verdicts = _verdicts(
        {"preset": "percent"},
        {
            "in": [9, 9, 9, 8, 5],  # 4 of 5 agree = 80%
            "short": [9, 9, 9, 5, 5],  # 60%
            "out": [1, 1, 2, 3, 9],  # 80% disagree
        },
    )

    assert verdicts == {"in": "in", "short": "none", "out": "out"}


def test_percent_threshold_can_be_set() -> None:
    assert _verdicts({"preset": "percent", "threshold": 0.6}, {"C1": [9, 9, 9, 5, 5]}) == {"C1": "in"}


def test_iqr_takes_its_direction_from_the_median_band() -> None:
    verdicts = _verdicts(
        {"preset": "iqr"},
        {
            "tight_high": [7, 7, 8, 8, 9],  # IQR 1, median 8
            "tight_low": [1, 2, 2, 3, 3],  # IQR 1, median 2
            "tight_middle": [5, 5, 5, 5, 5],  # IQR 0, median 5: agreed on neither band
            "wide_high": [4, 6, 8, 9, 9],  # IQR 3 > 2
        },
    )

    assert verdicts == {"tight_high": "in", "tight_low": "out", "tight_middle": "none", "wide_high": "none"}


def test_iqr_default_limit_is_one_on_a_five_point_scale() -> None:
    values = {"one": [4, 4, 5, 5, 5], "two": [2, 3, 4, 5, 5]}  # IQR 1 (4..5) and IQR 2 (3..5)

    assert _verdicts({"preset": "iqr"}, values, dimension="feasibility") == {"one": "in", "two": "none"}


def test_iqr_limit_can_be_set() -> None:
    assert _verdicts({"preset": "iqr", "max_iqr": 3}, {"C1": [4, 6, 8, 9, 9]}) == {"C1": "in"}


def test_rand_ucla_needs_a_top_median_without_disagreement() -> None:
    verdicts = _verdicts(
        {"preset": "rand_ucla"},
        {
            "worked_example": [1, 2, 3, 7, 7, 7, 7, 7, 8, 8, 8, 8, 8, 9, 9],
            "low": [1, 1, 2, 2, 3, 3, 2],
            "uncertain": [4, 5, 5, 6, 5],
            "polarised": [1, 1, 1, 1, 9, 9, 9, 9, 9, 9, 9],  # median 9 but IPR 8 > IPRAS
        },
    )

    assert verdicts == {"worked_example": "in", "low": "out", "uncertain": "none", "polarised": "none"}


CUSTOM_ALL = {
    "preset": "custom",
    "join": "all",
    "criteria": [{"stat": "pct_agree", "op": ">=", "value": 0.7}, {"stat": "iqr", "op": "<=", "value": 1}],
    "out_criteria": [{"stat": "pct_disagree", "op": ">=", "value": 0.7}],
}


def test_custom_rule_with_all_needs_every_criterion() -> None:
    verdicts = _verdicts(
        CUSTOM_ALL,
        {
            "both": [7, 8, 8, 9, 9],  # 100% agree, IQR 1
            "agree_but_wide": [1, 5, 7, 7, 8, 9, 9, 9, 9, 9],  # 80% agree, IQR 2
            "rejected": [1, 1, 2, 3, 9],  # 80% disagree
        },
    )

    assert verdicts == {"both": "in", "agree_but_wide": "none", "rejected": "out"}


def test_custom_rule_with_any_needs_one_criterion() -> None:
    rule_all = dict(CUSTOM_ALL)
    rule_any = {**CUSTOM_ALL, "join": "any"}
    values = {"C1": [1, 5, 7, 7, 8, 9, 9, 9, 9, 9]}  # 80% agree, IQR 2

    assert _verdicts(rule_all, values) == {"C1": "none"}
    assert _verdicts(rule_any, values) == {"C1": "in"}


def test_custom_rule_without_out_criteria_never_says_out() -> None:
    rule = {"preset": "custom", "criteria": [{"stat": "median", "op": ">=", "value": 7}]}

    assert _verdicts(rule, {"low": [1, 1, 1], "high": [8, 8, 9]}) == {"low": "none", "high": "in"}


def test_a_missing_statistic_fails_every_criterion_even_not_equal() -> None:
    rule = {"preset": "custom", "criteria": [{"stat": "sd", "op": "!=", "value": 99}]}

    assert _verdicts(rule, {"single": [8], "pair": [8, 9]}) == {"single": "none", "pair": "in"}


def test_an_item_everyone_abstained_on_gets_no_verdict() -> None:
    for rule in ({"preset": "cos"}, {"preset": "rand_ucla"}, {"preset": "iqr"}, CUSTOM_ALL):
        assert _verdicts(rule, {"C1": [None, None], "C2": [9, 9]}) == {"C1": "", "C2": "in"}


def test_verdicts_are_aligned_to_the_statistics_index() -> None:
    stats = item_statistics(ratings_frame({"A": [9, 9, 9], "B": [1, 1, 1]}), SCALES)
    shuffled = stats.iloc[::-1].set_axis(["x", "y"])

    verdicts = consensus_verdicts(shuffled, parse_consensus_rule({"preset": "percent"}), SCALES)

    assert verdicts.to_dict() == {"x": "out", "y": "in"}


def test_group_rows_get_their_own_verdicts() -> None:
    frame = ratings_frame({"C1": [9, 9, 9, 1, 1, 1]}, groups=["Europe"] * 3 + ["Asia"] * 3)
    stats = item_statistics(frame, SCALES)

    verdicts = consensus_verdicts(stats, parse_consensus_rule({"preset": "percent"}), SCALES)

    assert dict(zip(stats["group"], verdicts, strict=True)) == {"": "none", "Asia": "out", "Europe": "in"}


def test_verdicts_of_a_hand_made_statistics_table() -> None:
    stats = pd.DataFrame(
        {
            "dimension": ["agreement"] * 3,
            "n": [10, 10, 0],
            "pct_agree": [0.9, 0.5, np.nan],
            "pct_disagree": [0.0, 0.5, np.nan],
        }
    )

    verdicts = consensus_verdicts(stats, parse_consensus_rule({"preset": "percent", "threshold": 0.5}), SCALES)

    assert verdicts.tolist() == ["in", "none", ""]  # 50% agree and 50% disagree: both hold, so none


def test_a_round_without_ratings_gives_no_verdicts_and_no_error() -> None:
    empty = item_statistics(pd.DataFrame({"panelist": [], "item": [], "dimension": [], "value": []}), SCALES)

    for preset in ("cos", "percent", "iqr", "rand_ucla"):
        assert consensus_verdicts(empty, parse_consensus_rule({"preset": preset}), SCALES).empty


def test_an_item_is_decided_only_when_every_dimension_that_counts_has_consensus() -> None:
    assert item_decision(["in", "in"]) == "in"
    assert item_decision(["out"]) == "out"
    assert item_decision(["in", "out"]) == "mixed"
    assert item_decision(["in", "none"]) == ""
    assert item_decision(["in", ""]) == ""  # a dimension everyone abstained on has no verdict
    assert item_decision([]) == ""
