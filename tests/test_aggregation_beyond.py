"""Aggregation stores the beyond-consensus figures: the pure functions' values, the same each run, none hidden."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import pytest

from surveys.errors import StudyFileError
from surveys.models import Dimension, ItemStatistic, ItemThemes, Rating, RoundStatistic
from surveys.selectors.ratings import round_ratings_frame, study_scales
from surveys.services.aggregation import round_aggregate
from surveys.services.rounds import round_close, round_create, round_open
from surveys.services.study_files import study_export, study_import
from surveys.stats import (
    BEYOND_COLUMNS,
    beyond_consensus,
    consensus_verdicts,
    item_statistics,
    kruskal_from_counts,
    parse_consensus_rule,
)
from tests.factories import answer_round, consented_panel, small_study, small_study_text

GROUPS = ["A", "A", "A", "A", "B", "B", "B", "C"]  # C has one expert: below min_group_size 3
ROUND_1 = {
    "C1": [9, 8, 8, 7, 9, 8, 2, 9],
    "C2": [1, 9, 5, 2, 8, 5, 3, 7],
    "R1": [7, 7, 8, 6, 2, 3, 1, 5],
}
ROUND_2 = {  # the last panelist (group C) leaves; the others move a little
    "C1": [9, 8, 8, 8, 9, 8, 5],
    "C2": [2, 8, 5, 3, 7, 5, 4],
    "R1": [7, 7, 8, 7, 3, 3, 2],
}
FEASIBILITY = [4, 5, 4, 3, 1, 2, 2, 5]
REASONS = [
    "Security cooperation against terrorism needs a working channel.",
    "Terrorist groups in the north threaten the whole region's security.",
    "Trade corridors and railway links would open markets for exports.",
    "Export markets and trade corridors depend on recognition first.",
    "Women's rights and girls' schooling must come before any recognition.",
    "Human rights, girls' education and women's work are not negotiable.",
]


def _answer(round_, panel, ratings: dict[str, list[int]], feasibility: list[int] | None = None) -> None:  # type: ignore[no-untyped-def]
    answers = {}
    for index, panelist in enumerate(panel):
        entry = {(code, "agreement"): values[index] for code, values in ratings.items()}
        if feasibility is not None:
            entry[("R1", "feasibility")] = feasibility[index]
        answers[panelist] = entry
    answer_round(round_, answers)


def _first_round(with_reasons: bool = True):  # type: ignore[no-untyped-def]
    study = small_study()
    round_ = round_open(round=round_create(study=study))
    panel = consented_panel(study, GROUPS)
    _answer(round_, panel, ROUND_1, FEASIBILITY)
    if with_reasons:
        for panelist, reason in zip(panel, REASONS, strict=False):
            Rating.objects.filter(
                ballot__round=round_, ballot__panelist=panelist, round_item__item__code="C1", dimension__key="agreement"
            ).update(rationale=reason)
    round_close(round=round_, aggregate=False)
    return study, round_, panel


def _stored(round_) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    rows = ItemStatistic.objects.filter(round=round_).values(
        "round_item__item__code", "dimension__key", "group", *BEYOND_COLUMNS
    )
    return (
        pd.DataFrame(list(rows))
        .sort_values(["round_item__item__code", "dimension__key", "group"])
        .reset_index(drop=True)
    )


def _same(stored: Any, expected: Any) -> bool:
    missing = expected is None or (isinstance(expected, float) and math.isnan(expected))
    if missing:
        return stored is None or stored == "" or (isinstance(stored, float) and math.isnan(stored))
    if isinstance(expected, str | bool):
        return stored == expected
    return stored == pytest.approx(float(expected), abs=1e-12)


@pytest.mark.django_db
def test_the_stored_figures_are_the_pure_functions_on_the_same_data() -> None:
    study, round_, _ = _first_round()
    round_aggregate(round=round_)

    scales = study_scales(study)
    rule = parse_consensus_rule(study.consensus_rule)
    frame = round_ratings_frame(round_)
    stats = item_statistics(frame, scales, min_group_size=study.min_group_size)
    stats["verdict"] = consensus_verdicts(stats, rule, scales)
    expected = beyond_consensus(
        stats, rule, scales, study=study.slug, round_number=1, current=frame, verdict_dimensions=set(scales)
    ).cells
    codes = {ri.item.pk: ri.item.code for ri in round_.round_items.select_related("item")}
    expected = pd.concat([stats[["item", "dimension", "group"]], expected], axis=1)
    expected["item"] = expected["item"].map(codes)
    stored = _stored(round_).set_index(["round_item__item__code", "dimension__key", "group"])

    assert len(stored) == len(expected)
    for row in expected.to_dict("records"):
        kept = stored.loc[(row["item"], row["dimension"], row["group"])]
        for column in BEYOND_COLUMNS:
            assert _same(kept[column], row[column]), (row["item"], row["group"], column, kept[column], row[column])
    c1 = stored.loc[("C1", "agreement", "")]
    assert c1["median_ci_lo"] <= 8.0 <= c1["median_ci_hi"]
    assert 0 <= c1["verdict_confidence"] <= 1 and c1["direction"] == "agree"
    assert c1["trend"] == "insufficient_data" and c1["n_toward"] is None  # round 1: nothing to compare with


@pytest.mark.django_db
def test_aggregating_twice_stores_the_same_figures() -> None:
    _, round_, _ = _first_round()
    round_aggregate(round=round_)
    first = _stored(round_)

    round_aggregate(round=round_)

    pd.testing.assert_frame_equal(first, _stored(round_))


@pytest.mark.django_db
def test_a_suppressed_group_has_no_figures_and_stays_out_of_kruskal_wallis() -> None:
    _, round_, _ = _first_round()
    round_aggregate(round=round_)

    rows = ItemStatistic.objects.filter(round=round_, round_item__item__code="C1", dimension__key="agreement")
    assert set(rows.values_list("group", flat=True)) == {"", "A", "B"}  # C (one expert) is not stored at all
    shown = [rows.get(group=g).distribution for g in ("A", "B")]
    counts = [[d[str(point)] for point in range(1, 10)] for d in shown]
    _, p, epsilon = kruskal_from_counts(counts)
    panel = rows.get(group="")
    assert (panel.kruskal_p, panel.epsilon_sq) == (pytest.approx(p), pytest.approx(epsilon))
    assert rows.get(group="A").kruskal_p is None and rows.get(group="A").trend == ""


@pytest.mark.django_db
def test_a_dimension_without_verdict_gets_no_verdict_confidence() -> None:
    study, round_, _ = _first_round()
    Dimension.objects.filter(study=study, key="feasibility").update(is_consensus_dimension=False)
    round_aggregate(round=round_)

    feasibility = ItemStatistic.objects.get(
        round=round_, round_item__item__code="R1", dimension__key="feasibility", group=""
    )
    assert feasibility.verdict == "" and feasibility.verdict_confidence is None and feasibility.has_consensus is None
    assert feasibility.median_ci_lo is not None and feasibility.agreement_a is not None


@pytest.mark.django_db
def test_the_second_round_stores_herding_trend_and_attrition() -> None:
    study, first, panel = _first_round(with_reasons=False)
    round_aggregate(round=first)
    second = round_open(round=round_create(study=study))
    _answer(second, panel[:7], ROUND_2)
    round_close(round=second, aggregate=False)

    round_aggregate(round=second)

    c1 = ItemStatistic.objects.get(round=second, round_item__item__code="C1", dimension__key="agreement", group="")
    assert (c1.n_toward, c1.n_away, c1.n_stayed) == (2, 0, 5)  # 7 → 8 and 2 → 5 moved toward the median 8
    assert c1.herding_index == pytest.approx(2 / 7)
    assert c1.trend in {"converging", "stable_consensus", "stable_dissensus", "unstable", "polarised"}
    summary = RoundStatistic.objects.get(round=second)
    assert summary.influence["n_paired"] == 7 * 3 and summary.influence["n_items"] == 3
    assert summary.attrition_bias["n_left"] == 1 and summary.attrition_bias["n_stayed"] == 7
    assert {row["item"] for row in summary.attrition_bias["items"]} == {"C1", "C2", "R1"}
    assert RoundStatistic.objects.get(round=first).influence is None


@pytest.mark.django_db
def test_themes_are_stored_per_round_item() -> None:
    _, round_, _ = _first_round()
    round_aggregate(round=round_)

    stored = ItemThemes.objects.get(round=round_)
    assert stored.round_item.item.code == "C1" and stored.n_rationales == len(REASONS)
    assert sum(theme["size"] for theme in stored.themes) == len(REASONS)
    assert {"label", "terms", "size", "by_side", "example"} == set(stored.themes[0])
    assert sum(theme["by_side"]["disagree"] for theme in stored.themes) == 0  # C1's first six ratings are 7..9


@pytest.mark.django_db
def test_the_bootstrap_resamples_are_a_study_setting_refused_outside_its_range() -> None:
    text = small_study_text("boot").replace(
        "settings: {min_group_size: 3, outside_iqr_reason: optional}",
        "settings: {min_group_size: 3, outside_iqr_reason: optional, bootstrap_resamples: 500}",
    )
    study = study_import(text=text, filename="boot.yaml").study
    assert study.bootstrap_resamples == 500
    assert study_export(study=study)["settings"]["bootstrap_resamples"] == 500
    assert small_study("default-b").bootstrap_resamples == 2000

    with pytest.raises(StudyFileError, match=r"settings\.bootstrap_resamples: must be from 100 to 100,000, not 5"):
        study_import(text=text.replace("500", "5"), filename="boot.yaml")
