"""beyond_consensus composes the new figures of a round from the pure functions, per row and per round."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from surveys.stats import (
    BEYOND_COLUMNS,
    beyond_consensus,
    bootstrap_seed,
    bootstrap_uncertainty,
    consensus_verdicts,
    dissent_statistics,
    group_differences,
    influence,
    item_statistics,
    parse_consensus_rule,
    two_axes,
)

from .frames import SCALES, ratings_frame

RULE = parse_consensus_rule({"preset": "cos"})
GROUPS = list("aaaabbbc")  # c has one panelist: suppressed at min_group_size 3


def _stats(frame: pd.DataFrame) -> pd.DataFrame:
    stats = item_statistics(frame, SCALES, min_group_size=3)
    stats["verdict"] = consensus_verdicts(stats, RULE, SCALES)
    return stats


def _rounds() -> tuple[pd.DataFrame, pd.DataFrame]:
    first = ratings_frame({"C1": [9, 8, 8, 7, 9, 8, 2, 9], "C2": [1, 9, 5, 2, 8, 5, 3, 7]}, groups=GROUPS)
    second = ratings_frame({"C1": [9, 8, 8, 8, 9, 8, 5, 9], "C3": [5, 5, 6, 4, 5, 6, 5, 5]}, groups=GROUPS)
    return first, second


def test_each_row_gets_the_pure_functions_figures() -> None:
    first, _ = _rounds()
    stats = _stats(first)

    cells = beyond_consensus(stats, RULE, SCALES, study="s", round_number=1, current=first).cells

    assert list(cells.columns) == BEYOND_COLUMNS
    uncertainty = bootstrap_uncertainty(stats, RULE, SCALES, seed=bootstrap_seed("s", 1))
    np.testing.assert_allclose(cells[uncertainty.columns].to_numpy(float), uncertainty.to_numpy(float))
    assert cells["direction"].tolist() == two_axes(stats, RULE, SCALES)["direction"].tolist()
    np.testing.assert_allclose(cells["agreement_a"].to_numpy(float), dissent_statistics(stats, SCALES)["agreement_a"])
    panel = stats["group"] == ""
    kruskal = group_differences(stats, SCALES)["kruskal_p"].to_numpy()
    np.testing.assert_allclose(cells.loc[panel, "kruskal_p"].to_numpy(float), kruskal)
    assert cells.loc[~panel, "kruskal_p"].isna().all() and (cells.loc[~panel, "trend"] == "").all()
    assert (cells.loc[panel, "trend"] == "insufficient_data").all()  # one round only
    assert cells["n_toward"].isna().all()


def test_a_suppressed_group_has_no_row_and_stays_out_of_the_group_test() -> None:
    first, _ = _rounds()
    stats = _stats(first)

    cells = beyond_consensus(stats, RULE, SCALES, study="s", round_number=1, current=first).cells

    assert set(stats["group"]) == {"", "a", "b"} and len(cells) == len(stats)
    without_c = _stats(first[first["group"] != "c"])
    c1 = (stats["item"] == "C1") & (stats["group"] == "")
    kruskal_ab = group_differences(without_c, SCALES).set_index("item").loc["C1", "kruskal_p"]
    assert cells.loc[c1, "kruskal_p"].iloc[0] == pytest.approx(kruskal_ab)


def test_the_second_round_gets_herding_for_paired_items_only_and_the_round_figures() -> None:
    first, second = _rounds()
    stats = _stats(second)
    history = _stats(first).assign(round=1, is_stable=None, **dissent_statistics(_stats(first), SCALES))

    result = beyond_consensus(
        stats,
        RULE,
        SCALES,
        study="s",
        round_number=2,
        current=second,
        previous=first,
        history=history,
        submitted={f"p{i}" for i in range(7)},
    )

    panel = stats.assign(**result.cells)[stats["group"] == ""].set_index("item")
    herding = influence(first, second, SCALES).set_index("item")
    assert (
        panel.loc["C1", ["n_toward", "n_away", "n_stayed"]].tolist()
        == herding.loc["C1", ["n_toward", "n_away", "n_stayed"]].tolist()
    )
    assert panel.loc["C3", ["n_toward", "herding_index"]].isna().all()  # new in round 2: nothing to compare
    assert panel.loc["C1", "trend"] != "" and panel.loc["C3", "trend"] == "insufficient_data"
    assert result.influence is not None and result.influence["n_paired"] == 8
    assert result.attrition is not None and result.attrition.n_left == 1


def test_the_same_data_gives_the_same_figures() -> None:
    first, _ = _rounds()
    rule = parse_consensus_rule({"preset": "iqr"})
    stats = item_statistics(first, SCALES, min_group_size=3)
    stats["verdict"] = consensus_verdicts(stats, rule, SCALES)

    once = beyond_consensus(stats, rule, SCALES, study="s", round_number=1, current=first, n_resamples=300)
    again = beyond_consensus(stats, rule, SCALES, study="s", round_number=1, current=first, n_resamples=300)
    other = beyond_consensus(stats, rule, SCALES, study="t", round_number=1, current=first, n_resamples=300)

    pd.testing.assert_frame_equal(once.cells, again.cells)
    assert not once.cells["verdict_confidence"].equals(other.cells["verdict_confidence"])  # seeded by the study


def test_themes_come_from_the_rationales_with_their_rating_side() -> None:
    first, _ = _rounds()
    rationales = pd.DataFrame(
        {
            "panelist": ["p0", "p1", "p2", "p6"],
            "item": ["C1"] * 4,
            "dimension": ["agreement"] * 4,
            "value": [9.0, 8.0, 8.0, 2.0],
            "rationale": ["Security first.", "Security matters.", "Trade routes.", "It rewards force."],
        }
    )

    themes = beyond_consensus(
        _stats(first), RULE, SCALES, study="s", round_number=1, current=first, rationales=rationales
    ).themes

    assert themes["size"].sum() == 4
    assert sum(by_side["disagree"] for by_side in themes["by_side"]) == 1
