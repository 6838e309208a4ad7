"""Anonymity is judged per item: a group is shown for an item and dimension only where at least
``min_group_size`` of its experts gave a valid rating there, in every output an expert or reader sees.

The study: groups Alpha and Beta of three experts each (min_group_size 3). Only one Alpha expert
rates the headline question Q1 (a 9, the only 9 anywhere); the other two rate other items. Everyone
rates C1. So Alpha's Q1 figures would be that one person's rating; Alpha's C1 figures are a group's.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass

import pytest
from django.test import Client
from openpyxl import load_workbook
from rest_framework.test import APIClient

from surveys.models import ItemStatistic, Panelist, Round, Study
from surveys.reports.formats import render
from surveys.selectors.reports import report_data
from surveys.services.aggregation import round_aggregate
from surveys.services.rounds import round_close, round_create, round_next, round_open
from tests.factories import answer_round, consented_panel
from tests.test_reports_data import study_with_question

pytestmark = pytest.mark.django_db

SUPPRESSED = "suppressed (fewer than 3 ratings)"
ALPHA_Q1 = "Alpha 9"  # how the HTML and PDF would print Alpha's median on Q1 (its lone rater's 9)
ALPHA_C1 = "Alpha 7"  # Alpha's median on C1, rated by all three of Alpha


@dataclass
class Study2:
    study: Study
    alpha: list[Panelist]
    beta: list[Panelist]
    round_1: Round


def build() -> Study2:
    study = study_with_question("anon-per-item")
    alpha = consented_panel(study, ["Alpha"] * 3)
    beta = consented_panel(study, ["Beta"] * 3)
    round_1 = round_open(round=round_create(study=study))
    q1, c1, c2 = ("Q1", "agreement"), ("C1", "agreement"), ("C2", "agreement")
    answer_round(
        round_1,
        {
            alpha[0]: {q1: 9, c1: 7},
            alpha[1]: {c1: 7, c2: 5},
            alpha[2]: {c1: 8, c2: 5},
            beta[0]: {q1: 2, c1: 3, c2: 4},
            beta[1]: {q1: 2, c1: 3, c2: 4},
            beta[2]: {q1: 3, c1: 4, c2: 4},
        },
    )
    round_close(round=round_1, aggregate=False)
    round_aggregate(round=round_1)
    return Study2(study, alpha, beta, Round.objects.get(pk=round_1.pk))


@pytest.fixture
def world() -> Study2:
    return build()


def test_no_statistic_is_stored_for_a_group_with_one_rater_on_an_item(world: Study2) -> None:
    stored = set(ItemStatistic.objects.filter(round=world.round_1).values_list("round_item__item__code", "group"))
    assert ("Q1", "Alpha") not in stored
    assert {("Q1", ""), ("Q1", "Beta"), ("C1", "Alpha"), ("C1", "Beta")} <= stored
    whole_q1 = ItemStatistic.objects.get(round=world.round_1, round_item__item__code="Q1", group="")
    assert (whole_q1.n, whole_q1.distribution["9"]) == (4, 1)  # the lone rater still counts in the panel


def test_the_json_report_names_the_group_as_suppressed_without_a_figure(world: Study2) -> None:
    items = {i["root_code"]: i for i in json.loads(render(report_data(world.study), "json"))["items"]}
    q1_groups = {row["group"] for row in items["Q1"]["statistics"]}
    assert q1_groups == {"", "Beta"}
    [alpha_q1] = items["Q1"]["suppressed"]
    keys = {"round": 1, "item_code": "Q1", "dimension": "agreement", "group": "Alpha", "note": SUPPRESSED}
    assert {k: alpha_q1[k] for k in keys} == keys
    assert {k: v for k, v in alpha_q1.items() if k not in keys and v is not None} == {}  # no figure at all
    alpha_c1 = next(row for row in items["C1"]["statistics"] if row["group"] == "Alpha")
    assert (alpha_c1["n"], alpha_c1["median"]) == (3, 7)
    assert items["C1"]["suppressed"] == []


def test_the_csv_report_has_no_figure_of_the_group_on_that_item(world: Study2) -> None:
    rows = list(csv.DictReader(io.StringIO(render(report_data(world.study), "csv").decode())))
    alpha_q1 = [(r["statistic"], r["value"]) for r in rows if (r["item_code"], r["group"]) == ("Q1", "Alpha")]
    assert alpha_q1 == [("suppressed", SUPPRESSED)]
    alpha_c1 = {r["statistic"]: r["value"] for r in rows if (r["item_code"], r["group"]) == ("C1", "Alpha")}
    assert (alpha_c1["n"], alpha_c1["median"], alpha_c1["count_7"]) == ("3", "7.0", "2")


def test_the_xlsx_report_has_no_figure_of_the_group_on_that_item(world: Study2) -> None:
    book = load_workbook(io.BytesIO(render(report_data(world.study, with_ratings=True), "xlsx")), read_only=True)
    sheet = list(book["Statistics"].iter_rows(values_only=True))
    header = sheet[0]
    rows = [dict(zip(header, row, strict=False)) for row in sheet[1:]]
    alpha_q1 = [r for r in rows if (r["item_code"], r["group"]) == ("Q1", "Alpha")]
    assert len(alpha_q1) == 1
    assert alpha_q1[0]["n"] == SUPPRESSED
    assert all(alpha_q1[0].get(column) is None for column in header[header.index("n") + 1 :])
    alpha_c1 = next(r for r in rows if (r["item_code"], r["group"]) == ("C1", "Alpha"))
    assert (alpha_c1["n"], alpha_c1["median"]) == (3, 7)


def test_the_html_report_says_suppressed_where_the_group_has_one_rater(world: Study2) -> None:
    html = render(report_data(world.study), "html").decode()
    assert ALPHA_Q1 not in html  # neither in the headline's group medians nor in subgroup divergence
    assert f"Alpha {SUPPRESSED}" in html
    assert f"{ALPHA_C1} · Beta 3" in html  # C1 in the subgroup divergence table


def test_the_pdf_report_says_suppressed_where_the_group_has_one_rater(world: Study2) -> None:
    pypdf = pytest.importorskip("pypdf", reason="pypdf extracts the PDF's text (test extra)")
    content = render(report_data(world.study), "pdf")
    text = " ".join(" ".join(page.extract_text() or "" for page in pypdf.PdfReader(io.BytesIO(content)).pages).split())
    assert ALPHA_Q1 not in text
    assert "Alpha suppressed (fewer than 3" in text  # the cell may wrap before "ratings)"
    assert ALPHA_C1 in text


def test_the_api_lists_no_statistic_of_the_group_on_that_item(world: Study2) -> None:
    from django.contrib.auth import get_user_model

    staff = get_user_model().objects.create_user("facilitator", password="x", is_staff=True)
    api = APIClient()
    api.force_authenticate(staff)
    response = api.get(f"/api/v1/studies/{world.study.slug}/rounds/1/statistics/", {"page_size": 100})
    assert response.status_code == 200
    body = response.json()
    rows = {(r["item"], r["group"]): r for r in body.get("results", body)}
    assert ("Q1", "Alpha") not in rows
    assert rows[("C1", "Alpha")]["median"] == 7
    assert rows[("Q1", "Beta")]["n"] == 3


def test_the_api_refuses_to_list_a_stored_group_row_below_the_rule(world: Study2) -> None:
    """Second line of defence: a row stored before the rule (or by a bug) is still not served."""
    from django.contrib.auth import get_user_model

    c1_alpha = ItemStatistic.objects.get(round=world.round_1, round_item__item__code="C1", group="Alpha")
    ItemStatistic.objects.filter(pk=c1_alpha.pk).update(n=2)
    staff = get_user_model().objects.create_user("facilitator", password="x", is_staff=True)
    api = APIClient()
    api.force_authenticate(staff)
    body = api.get(f"/api/v1/studies/{world.study.slug}/rounds/1/statistics/", {"item": "C1"}).json()
    assert "Alpha" not in {r["group"] for r in body.get("results", body)}
    data = report_data(world.study)
    assert not len(data.statistics[(data.statistics["item_code"] == "C1") & (data.statistics["group"] == "Alpha")])
    assert ("C1", "Alpha") in set(zip(data.suppressed["item_code"], data.suppressed["group"], strict=True))


def _round_two(world: Study2) -> Round:
    """Round 2 open; min_group_size raised to 5 so that Q1 (4 raters) falls short and C1 (6) does not."""
    round_2 = round_next(study=world.study)
    round_open(round=round_2)
    Study.objects.filter(pk=world.study.pk).update(min_group_size=5)
    return round_2


def test_the_experts_feedback_page_shows_no_group_and_withholds_an_item_with_too_few_raters(
    world: Study2, client: Client
) -> None:
    from surveys.services.panel import panelist_token_rotate

    _round_two(world)
    assert client.get(f"/e/{panelist_token_rotate(panelist=world.beta[0])}/").status_code == 302
    begun = client.post("/e/round/")
    assert begun.status_code == 302, begun.content
    page = client.get(begun["Location"]).content.decode()
    assert "fewer than 5 experts rated it" in page  # Q1: whole panel n = 4, no median, no distribution
    assert "median <strong>5.5</strong>" in page  # C1: 3, 3, 4, 7, 7, 8
    assert "median <strong>2.5</strong>" not in page  # Q1's median (2, 2, 3, 9)
    assert "Alpha" not in page


def test_the_experts_feedback_in_the_api_withholds_an_item_with_too_few_raters(world: Study2) -> None:
    from surveys.services.panel import panelist_token_rotate

    _round_two(world)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {panelist_token_rotate(panelist=world.beta[0])}")
    response = api.get("/api/v1/me/feedback/")
    assert response.status_code == 200, response.content
    cells = {(c["item"], c["dimension"]): c for c in response.json()["cells"]}
    q1 = cells[("Q1", "agreement")]
    assert (q1["is_shown"], q1["n"], q1["median"], q1["distribution"]) == (False, None, None, [])
    assert cells[("C1", "agreement")]["median"] == 5.5
    assert "Alpha" not in response.content.decode()
