"""The consensus report in Russian: the page (request language or ``?language=``), every format of
``manage.py report --language ru``, charts cached per language, machine keys unchanged, study content in
the report's language with fallbacks marked, and rationales in the language they were written in.
Needs the compiled catalogue (scripts/i18n_build)."""

from __future__ import annotations

import csv
import html as html_lib
import io
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from surveys.models import Item, Rating, ReportJob
from surveys.reports.finding import finding
from surveys.reports.methods import STATISTICS
from surveys.selectors.reports import report_data
from surveys.services import report_charts
from surveys.services.reports import report_request
from surveys.stats.weighted import WEIGHTED_FIGURES
from tests.test_reports_data import HEADLINE, TwoRounds, build_two_rounds

pytestmark = pytest.mark.django_db

CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)
HEADLINE_RU = "Пора ли признать новое правительство?"
ENGLISH_REASON = "Recognition follows trade, not the other way round."


@pytest.fixture
def two_rounds(db: None) -> TwoRounds:
    built = build_two_rounds("i18n-report", rationale=ENGLISH_REASON)
    study = built.study
    study.languages, study.default_language = ["en", "ru"], "en"
    study.save(update_fields=["languages", "default_language"])
    Item.objects.filter(study=study, code="Q1").update(translations={"ru": {"text": HEADLINE_RU}})
    Rating.objects.filter(rationale=ENGLISH_REASON).update(language="en")
    return built


@pytest.fixture
def staff(client: Client) -> Client:
    client.force_login(get_user_model().objects.create_user("reader", password="x", is_staff=True))
    return client


def _page(client: Client, slug: str, **headers: str) -> str:
    response = client.get(reverse("reports:page", args=[slug]), **headers)
    assert response.status_code == 200
    return html_lib.unescape(response.content.decode())


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_page_in_russian_has_cyrillic_headings_plurals_and_decimal_commas(
    two_rounds: TwoRounds, staff: Client
) -> None:
    html = _page(staff, two_rounds.study.slug, QUERY_STRING="language=ru")
    text = _text(html)
    for heading in ("Об этом отчёте", "Главный вопрос", "Все пункты и их вердикты по турам", "Методическое приложение"):
        assert heading in text
    assert "Экспертная панель из 7 экспертов в группах" in text  # 7 → the "many" form
    assert "2 обработанных тура" in text  # 2 → the "few" form
    headings = [_text(h).strip() for h in re.findall(r"<h[23][^>]*>(.*?)</h[23]>", html, flags=re.S)]
    english = [h for h in headings if not CYRILLIC.search(h) and h not in ("CREDES", "ACCORD", "DELPHISTAR")]
    assert len(headings) > 20 and not [h for h in english if not re.match(r"^[A-Z]+\d", h)], english
    assert '<div lang="ru">' in html
    medians = re.findall(r"мд (\d+(?:[.,]\d+)?)", text)
    assert medians and not any("." in m for m in medians)  # Russian decimal comma, never a point
    assert any("," in m for m in re.findall(r"<td>(\d+[.,]\d+)</td>", html))


def test_the_page_follows_the_request_language_and_a_bad_code_is_refused(two_rounds: TwoRounds, staff: Client) -> None:
    assert "Об этом отчёте" in _page(staff, two_rounds.study.slug, HTTP_ACCEPT_LANGUAGE="ru")
    assert "About this report" in _page(staff, two_rounds.study.slug, HTTP_ACCEPT_LANGUAGE="en")
    bad = staff.get(reverse("reports:page", args=[two_rounds.study.slug]), {"language": "xx"})
    assert bad.status_code == 400
    assert "'xx'" in bad.content.decode() and "en, ru" in bad.content.decode()


def test_the_russian_finding_is_worded_by_the_same_rules_from_the_same_rows(two_rounds: TwoRounds) -> None:
    with translation.override("en"):
        data = report_data(two_rounds.study)
        rows = data.lineage_statistics("Q1", groups=True)
        dimension = data.dimension("agreement")
        english = finding(rows[rows["dimension"] == "agreement"], dimension)
    with translation.override("ru"):
        russian = finding(rows[rows["dimension"] == "agreement"], dimension)
    assert russian.trend == english.trend and russian.contrast == english.contrast
    assert CYRILLIC.search(russian.text) and not CYRILLIC.search(english.text)
    english_numbers = re.findall(r"\d+(?:\.\d+)?%?", english.text)
    russian_numbers = re.findall(r"\d+(?:,\d+)?%?", russian.text)
    assert [n.replace(".", ",") for n in english_numbers] == russian_numbers  # same figures, decimal comma
    assert "медиана" in russian.text and "МКР" in russian.text


def test_study_content_is_in_the_report_language_and_fallbacks_are_marked(two_rounds: TwoRounds, staff: Client) -> None:
    html = _page(staff, two_rounds.study.slug, QUERY_STRING="language=ru")
    assert HEADLINE_RU in html and HEADLINE not in html
    assert 'class="lang-fallback" lang="en"' in html  # the claims have no Russian text: shown in English, marked
    assert "Часть текстов исследования не переведена" in html
    english = _page(staff, two_rounds.study.slug, QUERY_STRING="language=en")
    assert HEADLINE in english and "lang-fallback" not in english


def test_a_rationale_keeps_its_language_and_is_marked_with_it(two_rounds: TwoRounds, staff: Client) -> None:
    html = _page(staff, two_rounds.study.slug, QUERY_STRING="language=ru")
    reasons = html[html.index('id="reasons"') : html.index('id="suggestions"')]
    assert re.search(
        r'<li lang="en">' + re.escape(ENGLISH_REASON) + r' <span class="lang-mark"[^>]*>EN</span>', reasons
    )
    data = report_data(two_rounds.study)
    assert set(data.reasons.loc[data.reasons["rationale"] == ENGLISH_REASON, "language"]) == {"en"}


def test_charts_are_cached_per_language(two_rounds: TwoRounds, staff: Client) -> None:
    study = two_rounds.study
    state = report_charts.report_state(study)
    russian = re.findall(r'src="([^"]+\.wide\.ru\.png)"', _page(staff, study.slug, QUERY_STRING="language=ru"))
    english = re.findall(r'src="([^"]+\.wide\.en\.png)"', _page(staff, study.slug, QUERY_STRING="language=en"))
    assert russian and english and len(russian) == len(english)
    ru_response, en_response = staff.get(russian[0]), staff.get(english[0])
    assert ru_response.status_code == en_response.status_code == 200
    assert ru_response["ETag"] != en_response["ETag"] and "-ru-" in ru_response["ETag"]
    assert ru_response.getvalue() != en_response.getvalue()  # the titles and ticks are translated
    name = russian[0].rsplit("/", 1)[1].split(".")[0]
    from django.core.files.storage import default_storage

    for language in ("en", "ru"):
        assert default_storage.exists(report_charts.chart_path(study, state, name, "wide", language))
    assert staff.get(english[0], HTTP_IF_NONE_MATCH=en_response["ETag"]).status_code == 304


def test_download_jobs_are_per_language(two_rounds: TwoRounds, staff: Client) -> None:
    english = report_request(study=two_rounds.study, format="csv", language="en")
    russian = report_request(study=two_rounds.study, format="csv", language="ru")
    assert english.pk != russian.pk and (english.language, russian.language) == ("en", "ru")
    assert report_request(study=two_rounds.study, format="csv", language="ru").pk == russian.pk
    html = _page(staff, two_rounds.study.slug, QUERY_STRING="language=ru")
    assert '<input type="hidden" name="language" value="ru">' in html
    assert "?language=ru" in html  # the status URL the polling script reads
    response = staff.post(
        reverse("reports:request", args=[two_rounds.study.slug]), {"format": "json", "language": "ru"}
    )
    assert response.status_code == 302 and "language=ru" in response["Location"]
    assert ReportJob.objects.filter(study=two_rounds.study, format="json", language="ru").exists()


def _keys(value: Any) -> Any:
    """The shape of a JSON document: its keys all the way down (lists by their first element)."""
    if isinstance(value, dict):
        return {k: _keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_keys(value[0])] if value else []
    return None


def _report(slug: str, fmt: str, language: str, tmp_path: Path) -> Path:
    out = tmp_path / f"{slug}-{language}.{fmt}"
    call_command("report", slug, "--format", fmt, "--language", language, "--output", str(out), stdout=io.StringIO())
    return out


def test_manage_report_language_ru_html_json_csv_xlsx(two_rounds: TwoRounds, tmp_path: Path) -> None:
    slug = two_rounds.study.slug
    page = _report(slug, "html", "ru", tmp_path).read_text(encoding="utf-8")
    assert "Об этом отчёте" in page and '<html lang="ru">' in page
    ru_json, en_json = (json.loads(_report(slug, "json", lang, tmp_path).read_text()) for lang in ("ru", "en"))
    assert _keys(ru_json) == _keys(en_json)  # machine keys never change with the language
    assert ru_json["study"]["slug"] == en_json["study"]["slug"]
    ru_csv, en_csv = (_report(slug, "csv", lang, tmp_path).read_text(encoding="utf-8") for lang in ("ru", "en"))
    assert next(csv.reader(io.StringIO(ru_csv))) == next(csv.reader(io.StringIO(en_csv)))
    assert ru_csv == en_csv  # the tidy CSV is data: numbers with a point, codes, keys
    book = load_workbook(_report(slug, "xlsx", "ru", tmp_path), read_only=True)
    cells = [str(c) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for c in row if c]
    assert any(HEADLINE_RU in c for c in cells)  # study content in the report's language
    assert any(CYRILLIC.search(c) for c in cells)


PDFTOTEXT, PDFFONTS = shutil.which("pdftotext") or "", shutil.which("pdffonts") or ""


@pytest.mark.skipif(not (PDFTOTEXT and PDFFONTS), reason="needs poppler-utils (pdftotext, pdffonts)")
def test_manage_report_language_ru_pdf_has_cyrillic_text_in_dejavu(two_rounds: TwoRounds, tmp_path: Path) -> None:
    pdf = _report(two_rounds.study.slug, "pdf", "ru", tmp_path)
    text = subprocess.run([PDFTOTEXT, str(pdf), "-"], capture_output=True, text=True, check=True).stdout  # noqa: S603
    assert "Об этом отчёте" in text and "Методическое приложение" in text and HEADLINE_RU in text
    assert "\ufffd" not in text
    fonts = subprocess.run([PDFFONTS, str(pdf)], capture_output=True, text=True, check=True).stdout  # noqa: S603
    families = {line.split()[0].split("+")[-1] for line in fonts.splitlines()[2:] if line.strip()}
    assert families and all(name.startswith("DejaVu") for name in families), families


def test_the_translated_weighting_sentence_is_the_statistics_module_word_for_word() -> None:
    with translation.override("en"):
        assert str(STATISTICS[-1]) == WEIGHTED_FIGURES
