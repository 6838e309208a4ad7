"""The stored beyond-consensus figures reach every output: the JSON report, the CSV and XLSX, the API's
statistics, the facilitator's table and the expert feedback, with the stored values; a suppressed
(small) group's cell has none of them anywhere."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from openpyxl import load_workbook

from surveys.models import ItemStatistic, ItemThemes, Rating, Study
from surveys.reports.formats import render
from surveys.selectors.reports import report_data
from surveys.services.aggregation import round_aggregate
from surveys.services.rounds import round_close, round_create, round_open
from tests.factories import answer_round, consented_panel, small_study

GROUPS = ["A", "A", "A", "A", "B", "B", "B", "C"]  # C has one expert: pooled, never named
ROUND_1 = {"C1": [9, 8, 8, 7, 9, 8, 2, 9], "C2": [1, 9, 5, 2, 8, 5, 3, 7], "R1": [7, 7, 8, 6, 2, 3, 1, 5]}
# Round 2: C leaves; one B expert can't answer C1, so B's C1 cell (two valid ratings) is suppressed.
ROUND_2 = {"C1": [9, 8, 8, 8, 9, 8, None], "C2": [2, 8, 5, 3, 7, 5, 4], "R1": [7, 7, 8, 7, 3, 3, 2]}
REASONS = [
    "Security cooperation against terrorism needs a working channel.",
    "Terrorist groups in the north threaten the whole region's security.",
    "Trade corridors and railway links would open markets for exports.",
    "Export markets and trade corridors depend on recognition first.",
    "Women's rights and girls' schooling must come before any recognition.",
    "Human rights, girls' education and women's work are not negotiable.",
]
FIGURES = (
    "median_ci",
    "pct_agree_ci",
    "verdict_confidence",
    "direction",
    "has_consensus",
    "agreement_a",
    "bimodality",
    "kruskal_p",
    "epsilon_sq",
    "trend",
    "n_toward",
    "n_away",
    "n_stayed",
    "herding_index",
)


def _answer(round_, panel, ratings) -> None:  # type: ignore[no-untyped-def]
    answer_round(
        round_,
        {p: {(code, "agreement"): values[i] for code, values in ratings.items()} for i, p in enumerate(panel)},
    )


def _reasons(round_, panel, reasons=REASONS) -> None:  # type: ignore[no-untyped-def]
    for panelist, reason in zip(panel, reasons, strict=False):
        if not reason:
            continue
        Rating.objects.filter(
            ballot__round=round_, ballot__panelist=panelist, round_item__item__code="C1", dimension__key="agreement"
        ).update(rationale=reason)


def two_aggregated_rounds() -> tuple[Study, list]:  # type: ignore[type-arg]
    """Two aggregated rounds: group B's C1 cell is suppressed in round 2, C1 has rationales in round 1."""
    study = small_study()
    panel = consented_panel(study, GROUPS)
    first = round_open(round=round_create(study=study))
    _answer(first, panel, ROUND_1)
    _reasons(first, panel)
    round_close(round=first, aggregate=False)
    round_aggregate(round=first)
    second = round_open(round=round_create(study=study))
    _answer(second, panel[:7], ROUND_2)
    round_close(round=second, aggregate=False)
    round_aggregate(round=second)
    return study, panel


@pytest.fixture
def study(db: None) -> Study:
    return two_aggregated_rounds()[0]


def _stored(study: Study, number: int, code: str, group: str = "") -> ItemStatistic:
    return ItemStatistic.objects.get(
        round__study=study, round__number=number, round_item__item__code=code, dimension__key="agreement", group=group
    )


def _expected(stat: ItemStatistic) -> dict[str, object]:
    """The stored row under the issue's names."""
    pair = lambda lo, hi: [lo, hi] if lo is not None and hi is not None else None  # noqa: E731
    return {
        "median_ci": pair(stat.median_ci_lo, stat.median_ci_hi),
        "pct_agree_ci": pair(stat.pct_agree_ci_lo, stat.pct_agree_ci_hi),
        **{f: (getattr(stat, f) if getattr(stat, f) != "" else None) for f in FIGURES[2:]},
    }


def test_the_json_report_carries_every_stored_figure_and_nulls_for_a_suppressed_cell(study: Study) -> None:
    report = json.loads(render(report_data(study), "json"))
    c1 = next(i for i in report["items"] if i["code"] == "C1")
    rows = {(r["round"], r["dimension"], r["group"]): r for r in c1["statistics"]}

    for number, group in [(1, ""), (1, "A"), (1, "B"), (2, ""), (2, "A")]:
        row = rows[(number, "agreement", group)]
        assert {f: row[f] for f in FIGURES} == _expected(_stored(study, number, "C1", group))
    panel = rows[(2, "agreement", "")]
    assert (panel["n_toward"], panel["n_away"], panel["n_stayed"]) == (1, 0, 5)  # 7 -> 8; B's 2 -> can't answer
    assert panel["median_ci"][0] <= panel["median"] <= panel["median_ci"][1] and panel["direction"] == "agree"
    assert rows[(1, "agreement", "")]["kruskal_p"] is not None and rows[(1, "agreement", "A")]["kruskal_p"] is None
    assert c1["trend"] == {"agreement": _stored(study, 2, "C1").trend}
    assert (2, "agreement", "B") not in rows
    hidden = [s for s in c1["suppressed"] if (s["round"], s["group"]) == (2, "B")]
    assert hidden and all(s[f] is None for s in hidden for f in FIGURES)

    stored = ItemThemes.objects.get(round__number=1, round_item__item__code="C1")
    assert c1["themes"] == [{"round": 1, "item_code": "C1", "n_rationales": 6, "themes": stored.themes}]
    assert {"label", "terms", "size", "by_side", "example"} == set(c1["themes"][0]["themes"][0])
    rounds = {r["number"]: r for r in report["rounds"]}
    assert rounds[1]["influence"] is None and rounds[1]["attrition_bias"] is None
    assert rounds[2]["attrition_bias"]["n_left"] == 1 and rounds[2]["influence"]["n_items"] == 3


def test_the_csv_and_xlsx_have_a_column_per_figure_and_nothing_for_a_suppressed_cell(study: Study) -> None:
    data = report_data(study)
    rows = list(csv.DictReader(io.StringIO(render(data, "csv").decode())))
    stat = _stored(study, 2, "C1")
    mine = {r["statistic"]: r["value"] for r in rows if (r["round"], r["item_code"], r["group"]) == ("2", "C1", "")}
    mine = {k: v for k, v in mine.items() if k in {"median_ci_lo", "verdict_confidence", "direction", "n_toward"}}
    assert mine == {
        "median_ci_lo": str(stat.median_ci_lo),
        "verdict_confidence": str(stat.verdict_confidence),
        "direction": stat.direction,
        "n_toward": "1",
    }
    hidden = [r for r in rows if (r["round"], r["item_code"], r["group"]) == ("2", "C1", "B")]
    assert hidden and {r["statistic"] for r in hidden} == {"suppressed"}

    book = load_workbook(io.BytesIO(render(data, "xlsx")))
    sheet = book["Statistics"]
    header = [c.value for c in sheet[1]]
    for column in ("median_ci_lo", "pct_agree_ci_hi", "verdict_confidence", "herding_index", "trend"):
        assert column in header
    line = next(r for r in sheet.iter_rows(min_row=2) if (r[0].value, r[1].value, r[4].value) == (2, "C1", None))
    cell = dict(zip(header, line, strict=False))
    assert cell["median_ci_lo"].value == pytest.approx(stat.median_ci_lo)
    assert cell["verdict_confidence"].value == pytest.approx(stat.verdict_confidence)
    assert cell["verdict_confidence"].number_format == "0.0%" and cell["pct_agree_ci_lo"].number_format == "0.0%"
    assert cell["agreement_a"].number_format == "0.000" and cell["n_toward"].value == 1
    suppressed = [r for r in sheet.iter_rows(min_row=2, values_only=True) if (r[0], r[1], r[4]) == (2, "C1", "B")]
    assert len(suppressed) == 1 and all(v is None for v in suppressed[0][6:])


def test_the_api_statistics_carry_the_stored_figures_under_the_same_names(study: Study) -> None:
    from rest_framework.test import APIClient

    from surveys.services.api_tokens import api_token_create

    staff = get_user_model().objects.create_user("staff", password="x", is_staff=True)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=staff, name='tests')[1]}")
    base = f"/api/v1/studies/{study.slug}/rounds/2/statistics/?item=C1&dimension=agreement"
    rows = {r["group"]: r for r in api.get(base).json()["results"]}

    assert set(rows) == {"", "A"}  # B gave two valid ratings: not listed
    for group, row in rows.items():
        expected = _expected(_stored(study, 2, "C1", group))
        expected.update({f: "" for f in ("direction", "trend") if expected[f] is None})  # the API's blank label
        assert {f: row[f] for f in FIGURES} == expected
    assert rows[""]["n_toward"] == 1 and rows[""]["median_ci"][0] <= rows[""]["median"]
    summary = api.get(f"/api/v1/studies/{study.slug}/rounds/2/").json()["statistic"]
    assert summary["attrition_bias"]["n_left"] == 1 and summary["influence"]["n_items"] == 3


@pytest.mark.django_db
def test_the_facilitators_table_shows_the_median_interval_verdict_confidence_and_theme_words(client: Client) -> None:
    study = small_study()
    panel = consented_panel(study, GROUPS)
    first = round_open(round=round_create(study=study))
    _answer(first, panel, ROUND_1)
    _reasons(first, panel)
    round_close(round=first, aggregate=False)
    round_aggregate(round=first)
    client.force_login(get_user_model().objects.create_user("facilitator", password="x", is_staff=True))

    html = client.get(reverse("facilitator:study", args=[study.slug])).content.decode()

    stat = _stored(study, 1, "C1")
    row = html.split('<tr data-item="C1">', 1)[1].split("</tr>", 1)[0]
    assert f"{stat.median_ci_lo:.1f}–{stat.median_ci_hi:.1f}" in row
    assert f"{round(stat.verdict_confidence * 100)}%" in row
    themes = ItemThemes.objects.get(round=first).themes
    assert themes and all(f"({t['size']})" in row for t in themes)
    assert all(escape(", ".join(t["terms"][:4])) in row for t in themes if t["terms"])
    assert not any(escape(t["label"]) in row for t in themes)  # the dashboard shows no rationale, only top words
    assert "Median 95% CI" in html and "Verdict confidence" in html


@pytest.mark.django_db
def test_the_expert_feedback_shows_the_median_interval_and_the_other_sides_themes(client: Client) -> None:
    from tests.test_expert_views import begin

    study = small_study()
    panel = consented_panel(study, GROUPS)
    first = round_open(round=round_create(study=study))
    _answer(first, panel, ROUND_1)
    # C1's reasons come from experts who rated 7-9 (all on the agree side): two on security, two on trade,
    # one on rights; with min_group_size 2 the pairs are shown to who disagreed, the single one is not.
    Study.objects.filter(pk=study.pk).update(min_group_size=2)
    study.refresh_from_db()
    _reasons(first, panel, REASONS[:5])
    round_close(round=first, aggregate=False)
    round_aggregate(round=first)
    second = round_open(round=round_create(study=study))
    stat = _stored(study, 1, "C1")

    agreeing = client.get(begin(client, panel[0], second)).content.decode()  # rated C1 9: agrees
    assert f"median's 95% interval {stat.median_ci_lo:g}–{stat.median_ci_hi:g}" in agreeing
    assert "feedback-themes" not in agreeing  # nobody who disagreed gave a reason: no theme of theirs

    other = Client()
    disagreeing = other.get(begin(other, panel[6], second)).content.decode()  # rated C1 2: disagrees
    shown = [t for t in ItemThemes.objects.get(round=first).themes if t["by_side"]["agree"] >= study.min_group_size]
    hidden = [t for t in ItemThemes.objects.get(round=first).themes if t["by_side"]["agree"] < study.min_group_size]
    assert shown and hidden, ItemThemes.objects.get(round=first).themes  # the fixture has both kinds
    assert "What those who agreed argued" in disagreeing
    box = disagreeing.split('class="feedback-themes"', 1)[1].split("</div>", 1)[0]
    assert all(f'{escape(t["label"])} <span class="muted">({t["size"]} reasons)' in box for t in shown)
    assert all(escape(t["label"]) not in box for t in hidden)  # too few reasons from that side: withheld
