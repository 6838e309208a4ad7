"""Export formats for readers who compute: the XLSX's number formats, dates and verdict vocabulary, the
tidy raw-ratings CSV, one rounding rule, and the methods checklist against three guidelines."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from surveys.models import Panelist, Rating, Study
from surveys.reports.checklist import AUTHORS
from surveys.reports.checklist_items import ACCORD, CREDES, DELPHISTAR
from surveys.reports.formats import FORMATS, render
from surveys.reports.numbers import fmt_num, fmt_pct
from surveys.reports.pdf import render_print_html
from surveys.reports.tabular import RATING_COLUMNS
from surveys.reports.xlsx import SHEETS
from surveys.reports.xlsx_writer import Workbook, excel_serial
from surveys.selectors.reports import report_data
from surveys.templatetags.feedback import num
from tests.test_reports_data import TwoRounds, build_two_rounds

VOCABULARY = {
    "Consensus in",
    "Consensus out",
    "No consensus",
    "No verdict",
    "No valid ratings",
    "Not a consensus dimension",
}


@pytest.fixture
def two_rounds(db: None) -> TwoRounds:
    return build_two_rounds("exports-study")


def _book(data):  # type: ignore[no-untyped-def]
    return load_workbook(io.BytesIO(render(data, "xlsx")))


def test_the_xlsx_formats_shares_as_percentages_and_dates_as_dates(two_rounds: TwoRounds) -> None:
    book = _book(report_data(two_rounds.study, with_ratings=True))
    assert tuple(book.sheetnames) == SHEETS
    stats = book["Statistics"]
    header = [c.value for c in stats[1]]
    share = stats.cell(row=2, column=header.index("pct_agree") + 1)
    assert share.number_format == "0.0%" and 0 <= share.value <= 1
    assert stats.cell(row=2, column=header.index("median") + 1).number_format == "General"
    generated = next(row[1] for row in book["Summary"].iter_rows(max_row=10) if row[0].value == "Generated (UTC)")
    assert isinstance(generated.value, datetime) and generated.number_format == "yyyy-mm-dd hh:mm"
    frozen = next(r[1] for r in book["Methods"].iter_rows(max_row=10) if r[0].value == "Consensus rule fixed at (UTC)")
    study = Study.objects.get(pk=two_rounds.study.pk)
    expected = study.consensus_rule_frozen_at.astimezone(UTC).replace(tzinfo=None)
    assert abs((frozen.value - expected).total_seconds()) < 0.01


def test_the_xlsx_speaks_one_verdict_vocabulary(two_rounds: TwoRounds) -> None:
    book = _book(report_data(two_rounds.study, with_ratings=True))
    stats = list(book["Statistics"].iter_rows(values_only=True))
    verdicts = {row[stats[0].index("verdict")] for row in stats[1:] if not str(row[5]).startswith("suppressed")}
    shifts = list(book["Shifts"].iter_rows(values_only=True))
    verdicts |= {row[shifts[0].index(c)] for row in shifts[1:] for c in ("verdict_from", "verdict_to")}
    assert verdicts <= VOCABULARY and "No consensus" in verdicts
    cells = {c for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for c in row}
    assert not {"none", "in", "out"} & cells


def test_the_xlsx_ratings_sheet_is_tidy(two_rounds: TwoRounds) -> None:
    book = load_workbook(io.BytesIO(render(report_data(two_rounds.study, with_ratings=True), "xlsx")), read_only=True)
    rows = list(book["Ratings"].iter_rows(values_only=True))
    assert list(rows[0]) == RATING_COLUMNS
    assert len(rows) - 1 == Rating.objects.filter(ballot__round__study=two_rounds.study).count()
    cant = [r for r in rows[1:] if r[7]]
    assert cant and all(r[6] is None for r in cant)  # "can't answer": no value, abstained TRUE
    assert all(isinstance(r[6], int) for r in rows[1:] if not r[7])


def test_the_ratings_csv_is_tidy_pseudonymised_and_documented(two_rounds: TwoRounds) -> None:
    spec = FORMATS["ratings"]
    assert (spec.extension, spec.needs_ratings) == ("csv", True)
    content = render(report_data(two_rounds.study, with_ratings=True), "ratings").decode()
    rows = list(csv.DictReader(io.StringIO(content)))
    assert list(rows[0]) == RATING_COLUMNS
    assert len(rows) == Rating.objects.filter(ballot__round__study=two_rounds.study).count()
    pseudonyms = set(Panelist.objects.filter(study=two_rounds.study).values_list("pseudonym", flat=True))
    assert {r["pseudonym"] for r in rows} <= pseudonyms
    assert {r["abstained"] for r in rows} == {"0", "1"}
    assert all(r["value"] == "" for r in rows if r["abstained"] == "1")
    assert "Dr Jane Secretname" not in content and "@example.org" not in content
    docs = (Path(__file__).parent.parent / "docs" / "report-formats.md").read_text(encoding="utf-8")
    assert all(f"`{column}`" in docs for column in RATING_COLUMNS)


def test_one_rounding_rule_on_the_expert_page_and_in_the_report() -> None:
    for value, text in ((3.75, "3.75"), (7.0, "7"), (6.5, "6.5"), (2.675, "2.68"), (1 / 3, "0.33"), (None, "–")):
        assert fmt_num(value) == text
        assert num(value) == text  # the expert feedback's template filter
    assert fmt_pct(0.125) == "13%"


def test_the_checklist_has_every_item_of_the_three_guidelines(two_rounds: TwoRounds) -> None:
    assert (len(CREDES), len(ACCORD), len(DELPHISTAR)) == (7, 35, 38)
    assert [i[0] for i in ACCORD][:5] == ["T1", "I1", "I2", "I3", "M1"] and ACCORD[-1][0] == "O3"
    assert [i[0] for i in DELPHISTAR] == [str(n) for n in range(1, 39)]
    entries = {(e.guideline, e.item): e for e in report_data(two_rounds.study).checklist}
    assert len(entries) == 80
    assert entries[("ACCORD", "O3")].where == AUTHORS  # funding: only the authors can say
    assert entries[("ACCORD", "M16")].where == AUTHORS  # piloting
    rule = entries[("ACCORD", "M12")]
    assert rule.where != AUTHORS and "Fixed on" in rule.detail and "records no change" in rule.detail
    assert "round 1: 7 of 7 (100%); round 2: 5 of 7 (71%)" in entries[("DELPHISTAR", "33")].detail
    html = render(report_data(two_rounds.study), "html").decode()
    assert "DELPHISTAR" in html and "ACCORD" in html and "To be stated by the authors" in html


def test_a_rule_changed_after_it_was_fixed_is_reported(two_rounds: TwoRounds) -> None:
    changed = {"preset": "percent", "params": {"threshold": 0.5}}
    Study.objects.filter(pk=two_rounds.study.pk).update(consensus_rule=changed)
    audit = report_data(two_rounds.study).methods.rule_audit
    assert "differs from the one recorded then" in audit


def test_the_xlsx_writer_escapes_text_and_keeps_numbers() -> None:
    book = Workbook()
    sheet = book.sheet("Odd <name>: [x]")
    sheet.row(["=1+1", "tab\there", "bell\x07gone", -2.5, True, datetime(2026, 1, 2, 12, 0, tzinfo=UTC), "a & b"])
    content = book.save()
    assert zipfile.ZipFile(io.BytesIO(content)).testzip() is None
    ws = load_workbook(io.BytesIO(content)).worksheets[0]
    values = [c.value for c in ws[1]]
    assert values[:5] == ["'=1+1", "tab\there", "bellgone", -2.5, True]
    assert values[5] == datetime(2026, 1, 2, 12, 0) and values[6] == "a & b"
    assert ws.title == "Odd <name>   x "
    assert excel_serial(datetime(1900, 3, 1)) == 61


def test_the_pdf_uses_one_font_family_and_prints_retired_items_compact(two_rounds: TwoRounds) -> None:
    pypdf = pytest.importorskip("pypdf", reason="pypdf lists the PDF's fonts (test extra)")
    data = report_data(two_rounds.study)
    reader = pypdf.PdfReader(io.BytesIO(render(data, "pdf")))
    fonts = {
        str(font.get_object()["/BaseFont"]).split("+")[-1]
        for page in reader.pages
        for font in (page["/Resources"].get("/Font") or {}).values()
    }
    assert fonts and all(name.startswith("DejaVu-Sans") for name in fonts), fonts  # the page numbers too
    assert any("page 1 of" in (page.extract_text() or "") for page in reader.pages[:1])
    printed = render_print_html(data)
    assert '<figure class="trajectory retired">' in printed  # C1 reached consensus in round 1
    assert printed.count('<figure class="trajectory retired">') == 1
    assert ".report td .small, .report th .small { font-size: 1em; }" in printed  # "md 7" at the table's size
