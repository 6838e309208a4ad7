"""The report data model: one ReportData built from the stored statistics, with lineage, attrition,
suppression of small groups, and a constant number of queries."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from surveys.models import Item, ItemStatistic, Panelist, Round, Study
from surveys.reports.panel import POOLED
from surveys.selectors.reports import report_data
from surveys.services.aggregation import round_aggregate
from surveys.services.rounds import item_reword, round_close, round_create, round_next, round_open
from surveys.services.study_files import study_import
from tests.factories import answer_round, consented_panel, small_study_text

# Groups: A and B have 3 experts each; C has one (always pooled, never named next to a figure).
GROUPS = ["A", "A", "A", "B", "B", "B", "C"]
ROUND_1 = {
    ("Q1", "agreement"): [7, 8, 8, 3, 2, 3, 5],
    ("C1", "agreement"): [9, 8, 8, 7, 9, 8, 9],  # consensus in: retired after round 1
    ("C2", "agreement"): [1, 9, 5, 2, 8, 5, 4],  # no consensus: reworded for round 2
    ("R1", "agreement"): [7, 7, 8, 4, 5, 3, 9],
    ("R1", "feasibility"): [4, 4, 5, 2, 3, 4, None],
}
ROUND_2 = {  # expert 7 (group C) and one expert of B drop out
    ("Q1", "agreement"): [8, 8, 8, 4, 3],
    ("C2r2", "agreement"): [6, 7, 7, 6, 7],
    ("R1", "agreement"): [8, 7, 8, 6, 7],
    ("R1", "feasibility"): [4, 5, 5, 3, 4],
}
HEADLINE = "Is it time to recognize the new government?"
QUESTION_ITEM = f'  - {{code: Q1, kind: question, section: claims, text: "{HEADLINE}", dimensions: [agreement]}}\n'


@dataclass
class TwoRounds:
    study: Study
    panel: list[Panelist]
    round_1: Round
    round_2: Round


def study_with_question(slug: str = "report-study") -> Study:
    """The factories' small study plus a headline question Q1 (ordered first)."""
    text = small_study_text(slug).replace("items:\n", "items:\n" + QUESTION_ITEM, 1)
    study = study_import(text=text, filename=f"{slug}.yaml").study
    Item.objects.filter(study=study, code="Q1").update(order=0)
    return study


def _answers(round_: Round, panel: list[Panelist], table: dict) -> None:  # type: ignore[type-arg]
    answers: dict = {}  # type: ignore[type-arg]
    for key, values in table.items():
        for panelist, value in zip(panel, values, strict=False):
            answers.setdefault(panelist, {})[key] = value
    answer_round(round_, answers)


def build_two_rounds(slug: str = "report-study", *, rationale: str = "") -> TwoRounds:
    """Round 1 (7 experts) and round 2 (5: two dropped out), C1 decided, C2 reworded as C2r2."""
    study = study_with_question(slug)
    panel = consented_panel(study, GROUPS)
    Panelist.objects.filter(pk=panel[0].pk).update(name="Dr Jane Secretname")
    round_1 = round_open(round=round_create(study=study))
    _answers(round_1, panel, ROUND_1)
    if rationale:
        from surveys.models import Rating

        Rating.objects.filter(ballot__round=round_1, ballot__panelist=panel[1], round_item__item__code="C2").update(
            rationale=rationale
        )
    round_close(round=round_1, aggregate=False)
    round_aggregate(round=round_1)
    round_2 = round_next(study=study)
    item_reword(round=round_2, item=Item.objects.get(study=study, code="C2"), text="Water is mostly wet.")
    round_open(round=round_2)
    _answers(round_2, panel[:5], ROUND_2)
    round_close(round=round_2, aggregate=False)
    round_aggregate(round=round_2)
    study.refresh_from_db()
    return TwoRounds(study, panel, Round.objects.get(pk=round_1.pk), Round.objects.get(pk=round_2.pk))


@pytest.fixture
def two_rounds(db: None) -> TwoRounds:
    return build_two_rounds()


def test_a_reworded_item_continues_its_trajectory_under_one_lineage(two_rounds: TwoRounds) -> None:
    data = report_data(two_rounds.study)
    c2 = next(lin for lin in data.lineages if lin.root_code == "C2")
    assert c2.label == "C2 → C2r2"
    assert c2.rounds_reported == (1, 2)
    rows = data.lineage_statistics("C2")
    assert list(rows["round"]) == [1, 2]
    assert list(rows["item_code"]) == ["C2", "C2r2"]


def test_the_headline_is_the_first_question(two_rounds: TwoRounds) -> None:
    data = report_data(two_rounds.study)
    assert data.headline is not None
    assert (data.headline.root_code, data.headline.text) == ("Q1", HEADLINE)
    assert data.lineages[0].root_code == "Q1"


def test_attrition_counts_the_expert_who_dropped_out(two_rounds: TwoRounds) -> None:
    attrition = report_data(two_rounds.study).attrition.set_index("round")
    assert list(attrition["answered"]) == [7, 5]
    assert attrition.loc[2, "dropped_out"] == 2
    assert attrition.loc[2, "retained_from_round_1"] == 5
    assert attrition.loc[2, "response_rate"] == pytest.approx(5 / 7)


def test_item_changes_say_what_was_decided_reworded_and_carried(two_rounds: TwoRounds) -> None:
    changes = report_data(two_rounds.study).item_changes
    round_2 = {row.item_code: (row.change, row.detail) for row in changes[changes["round"] == 2].itertuples()}
    assert round_2["C1"] == ("decided", "consensus in")
    assert round_2["C2r2"][0] == "reworded"
    assert round_2["C2r2"][1].startswith("C2 → C2r2")
    assert round_2["R1"] == ("carried", "")


def test_small_groups_are_suppressed_and_pooled(two_rounds: TwoRounds) -> None:
    data = report_data(two_rounds.study, with_ratings=True)
    groups_by_round = data.statistics.groupby("round")["group"].agg(set).to_dict()
    assert groups_by_round[1] == {"", "A", "B"}
    assert groups_by_round[2] == {"", "A"}  # B answered with 2 experts in round 2
    assert "C" not in set(data.composition["group"])
    assert POOLED in set(data.composition["group"])
    assert data.ratings is not None
    assert "C" not in set(data.ratings["group"])
    assert "C" not in set(data.attrition_by_group["group"])


def test_the_statistics_frame_holds_the_stored_statistics(two_rounds: TwoRounds) -> None:
    data = report_data(two_rounds.study)
    stored = ItemStatistic.objects.filter(round__study=two_rounds.study, group="")
    frame = data.statistics[data.statistics["group"] == ""].set_index(["round", "item_code", "dimension"])
    assert len(frame) == stored.count()
    for row in stored.select_related("round", "round_item__item", "dimension"):
        mine = frame.loc[(row.round.number, row.round_item.item.code, row.dimension.key)]
        assert mine["n"] == row.n
        assert mine["verdict"] == row.verdict
        if row.median is not None:
            assert mine["median"] == pytest.approx(row.median)
            assert mine["pct_agree"] == pytest.approx(row.pct_agree)


def test_convergence_reads_kendalls_w_per_round_from_the_round_statistics(two_rounds: TwoRounds) -> None:
    data = report_data(two_rounds.study)
    stored = two_rounds.round_2.statistic.kendall["agreement"]["w"]
    row = data.convergence[(data.convergence["round"] == 2) & (data.convergence["dimension"] == "agreement")]
    assert row["kendall_w"].iloc[0] == pytest.approx(stored)


def test_the_report_reads_the_database_in_a_constant_number_of_queries(db: None, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    small = build_two_rounds("small-one")
    with django_assert_max_num_queries(11) as small_queries:
        report_data(small.study, with_ratings=True)
    bigger = build_two_rounds("bigger-one")
    extra = consented_panel(bigger.study, ["D"] * 4)
    for number in range(10):
        section = bigger.study.sections.first()
        item = Item.objects.create(
            study=bigger.study, code=f"X{number}", kind="claim", section=section, text=f"X {number}", order=50 + number
        )
        item.dimensions.set(bigger.study.dimensions.filter(key="agreement"))
    round_3 = round_next(study=bigger.study, add=list(bigger.study.items.filter(code__startswith="X")))
    round_open(round=round_3)
    _answers(round_3, bigger.panel[:5] + extra, {("X1", "agreement"): [5] * 9, ("Q1", "agreement"): [7] * 9})
    round_close(round=round_3, aggregate=False)
    round_aggregate(round=round_3)
    with django_assert_max_num_queries(len(small_queries)):
        data = report_data(bigger.study, with_ratings=True)
    assert len(data.reported_rounds) == 3
