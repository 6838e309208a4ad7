"""The report's reasons, movement and attrition: a rationale an expert typed reaches the HTML, the PDF
and the XLSX, one from a cell with too few valid ratings reaches none of them; movement toward the
previous median; how n fell; open answers and suggestions with what became of them."""

from __future__ import annotations

import dataclasses
import io
from dataclasses import dataclass

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from surveys.models import DeliveryLog, Item, Panelist, Rating, Round, Suggestion
from surveys.reports import parts
from surveys.reports.data import build_report_data
from surveys.reports.formats import render
from surveys.reports.pdf import render_print_html
from surveys.selectors.reports import report_data, report_source
from surveys.services.aggregation import round_aggregate
from tests.test_reports_data import TwoRounds, build_two_rounds

pytestmark = pytest.mark.django_db

SHOWN = "Water policy must follow the aquifer data, not the calendar."
HIDDEN = "Only two of us could judge feasibility here, and I am one of them."
CANT = "I have never worked on recommendation R1."


@dataclass
class World:
    rounds: TwoRounds

    @property
    def study(self):  # type: ignore[no-untyped-def]
        return self.rounds.study


def _rating(world: World, round_: Round, panelist: Panelist, code: str, dimension: str) -> Rating:
    return Rating.objects.get(
        ballot__round=round_, ballot__panelist=panelist, round_item__item__code=code, dimension__key=dimension
    )


@pytest.fixture
def world() -> World:
    """The two-round study; in round 2 only two experts give R1 a valid feasibility rating (the others
    say "can't answer"), and one of the two explains it: a cell too small to show."""
    w = World(build_two_rounds("reasons-study", rationale=SHOWN))
    r2, panel = w.rounds.round_2, w.rounds.panel
    Rating.objects.filter(
        ballot__round=r2, ballot__panelist__in=panel[2:5], round_item__item__code="R1", dimension__key="feasibility"
    ).update(value=None)
    Rating.objects.filter(pk=_rating(w, r2, panel[0], "R1", "feasibility").pk).update(rationale=HIDDEN)
    Rating.objects.filter(pk=_rating(w, r2, panel[2], "R1", "agreement").pk).update(value=None, rationale=CANT)
    round_aggregate(round=r2)
    return w


def _pdf_text(content: bytes) -> str:
    pypdf = pytest.importorskip("pypdf", reason="pypdf extracts the PDF's text (test extra)")
    text = " ".join(page.extract_text() or "" for page in pypdf.PdfReader(io.BytesIO(content)).pages)
    return " ".join(text.split())


def test_a_rationale_typed_by_an_expert_is_in_the_html_and_the_pdf_but_not_one_from_a_small_cell(world: World) -> None:
    data = report_data(world.study)
    html = render(data, "html").decode()
    assert SHOWN in html
    assert HIDDEN not in html
    assert "Reasons withheld: fewer than 3 valid ratings" in html
    text = _pdf_text(render(data, "pdf"))  # the PDF's own text, extracted with pypdf
    assert SHOWN in text
    assert HIDDEN not in text
    assert "Reasons withheld" in text


def test_rationales_are_grouped_by_the_side_of_their_rating_with_counts(world: World) -> None:
    data = report_data(world.study)
    row = data.reasons[data.reasons["rationale"] == SHOWN].iloc[0]
    assert (row["round"], row["item_code"], row["dimension"], row["side"]) == (1, "C2", "agreement", "agree")
    cant = data.reasons[data.reasons["rationale"] == CANT].iloc[0]
    assert cant["side"] == "cant_answer"
    counts = data.reason_counts.set_index(["round", "item_code", "dimension"])
    assert counts.loc[(1, "C2", "agreement"), "agree"] == 1
    assert bool(counts.loc[(1, "C2", "agreement"), "shown"])
    withheld = counts.loc[(2, "R1", "feasibility")]
    assert not withheld["shown"] and pd_isna(withheld["n_rationales"]) and pd_isna(withheld["n"])  # no count leaks
    assert {"pseudonym", "group"}.isdisjoint(data.reasons.columns)


def pd_isna(value: object) -> bool:
    import pandas as pd

    return bool(pd.isna(value))


def test_long_lists_fold_on_the_page_and_the_pdf_prints_a_bounded_number(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    r1, panel = world.rounds.round_1, world.rounds.panel
    for index, panelist in enumerate(panel):  # Q1: 7, 8, 8 agree; 3, 2, 3 disagree; 5 neutral
        rating = _rating(world, r1, panelist, "Q1", "agreement")
        Rating.objects.filter(pk=rating.pk).update(rationale=f"Q1 reason {index}")
    monkeypatch.setattr(parts, "SHOWN_PER_SIDE", 1)
    monkeypatch.setattr(parts, "PRINT_PER_SIDE", 1)
    data = report_data(world.study)
    html = render(data, "html").decode()
    assert "<details><summary>2 more</summary>" in html
    assert all(f"Q1 reason {i}" in html for i in range(7))  # folded, not dropped
    printed = render_print_html(data)
    assert "<details>" not in printed.split('id="reasons"', 1)[1].split("</section>", 1)[0]
    assert "and 2 more reasons on this side" in printed
    assert sum(f"Q1 reason {i}" in printed for i in range(7)) == 3  # one per side: agree, neutral, disagree


def test_the_xlsx_rationales_sheet_has_the_shown_reasons_without_pseudonyms(world: World) -> None:
    book = load_workbook(io.BytesIO(render(report_data(world.study, with_ratings=True), "xlsx")), read_only=True)
    rows = list(book["Rationales"].iter_rows(values_only=True))
    assert rows[0] == ("round", "item_code", "lineage_root_code", "dimension", "side", "rationale")
    texts = {r[5] for r in rows[1:]}
    assert SHOWN in texts and CANT in texts and HIDDEN not in texts
    assert (1, "C2", "C2", "agreement", "Agree (7–9)", SHOWN) in rows
    pseudonyms = set(Panelist.objects.values_list("pseudonym", flat=True))
    assert not pseudonyms & {c for r in rows for c in r}
    ratings = list(book["Ratings"].iter_rows(values_only=True))
    assert not {SHOWN, HIDDEN, CANT} & {c for r in ratings for c in r}  # no reason next to a pseudonym


def test_movement_counts_who_moved_toward_the_previous_median(world: World) -> None:
    data = report_data(world.study)
    q1 = data.movement[(data.movement["lineage_root_code"] == "Q1") & (data.movement["round"] == 2)].iloc[0]
    # Round 1's Q1 ratings 7 8 8 3 2 3 5 have median 5; round 2: 8 8 8 4 3 from the first five experts.
    assert (q1["n_paired"], q1["n_toward"], q1["n_away"], q1["n_stayed"]) == (5, 2, 1, 2)
    c2 = data.movement[data.movement["lineage_root_code"] == "C2"].iloc[0]
    assert c2["item_code"] == "C2r2"  # reported under the wording asked in round 2


def test_stored_movement_counts_are_used_when_the_aggregation_keeps_them(world: World) -> None:
    source = report_source(world.study)
    rows = [dict(r, n_toward=9, n_away=1, n_stayed=0) if not r["group"] else dict(r) for r in source.statistics]
    data = build_report_data(dataclasses.replace(source, statistics=rows))
    assert set(data.movement["n_toward"]) == {9}
    assert set(data.movement["n_paired"]) == {10}


def test_how_n_fell_splits_withdrawal_from_not_submitting_and_counts_cant_answer(world: World) -> None:
    panel, r2 = world.rounds.panel, world.rounds.round_2
    Panelist.objects.filter(pk=panel[6].pk).update(status="withdrawn", withdrawn_at=r2.opened_at)
    data = report_data(world.study)
    causes = data.attrition_causes
    whole = causes[(causes["round"] == 2) & (causes["group"] == "")].iloc[0]
    assert (whole["previous_respondents"], whole["submitted"]) == (7, 5)
    assert (whole["lost_withdrew"], whole["lost_revoked"], whole["lost_not_submitted"]) == (1, 0, 1)
    assert whole["cant_answer"] == 4  # three on R1 feasibility, one on R1 agreement
    first = causes[(causes["round"] == 1) & (causes["group"] == "")].iloc[0]
    assert first["cant_answer"] == 1  # group C's "can't answer" on R1 feasibility in round 1
    html = render(data, "html").decode()
    assert "How n fell, per round and group" in html


def test_open_answers_and_suggestions_are_listed_with_what_became_of_them(world: World) -> None:
    study, r1, r2 = world.study, world.rounds.round_1, world.rounds.round_2
    c2r2 = Item.objects.get(study=study, code="C2r2")
    q1 = Item.objects.get(study=study, code="Q1")
    Suggestion.objects.create(
        study=study,
        round=r1,
        kind="rewording",
        text="Say wet, not water.",
        status="accepted",
        target_item=c2r2.replaces,
        created_item=c2r2,
    )
    Suggestion.objects.create(study=study, round=r1, text="Ask about rain as well.", status="rejected")
    Suggestion.objects.create(study=study, round=r2, text="And snow.")
    for text in ("Only if they keep the dams.", "Never."):  # two answers to one question: too few to show
        Suggestion.objects.create(study=study, round=r1, text=text, prompt_item=q1)
    frame = report_data(study).suggestions
    outcome = dict(zip(frame["text"], frame["outcome"], strict=True))
    assert outcome["Say wet, not water."] == "became the new wording C2r2, asked from round 2"
    assert outcome["Ask about rain as well."] == "set aside by the facilitators"
    assert outcome["And snow."] == "not decided yet"
    assert "Never." not in outcome and "suppressed (fewer than 3 answers)" in outcome
    html = render(report_data(study), "html").decode()
    assert "became the new wording C2r2, asked from round 2" in html
    assert "Never." not in html


def test_reminders_sent_reach_the_methods_and_the_checklist(world: World) -> None:
    r2, panel = world.rounds.round_2, world.rounds.panel
    for panelist in panel[:2]:
        DeliveryLog.objects.create(panelist=panelist, round=r2, kind="reminder", status="sent", sent_at=timezone.now())
    DeliveryLog.objects.create(panelist=panel[2], round=r2, kind="reminder", status="failed")
    data = report_data(world.study)
    assert data.methods.reminders_sent == ((1, 0), (2, 2))
    m20 = next(e for e in data.checklist if (e.guideline, e.item) == ("ACCORD", "M20"))
    assert "round 1: 0, round 2: 2" in m20.detail
