"""The report page in a real browser (Chromium driven by Playwright): the demo study's report shows
its headline, its charts load, and a download is built and linked."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

from surveys.models import Study
from tests.test_reports_data import HEADLINE, build_two_rounds

# The database fixture comes before live_server in each test's arguments: session fixtures are torn
# down in reverse, so the live server (and its connection) stops before the test database is dropped.
pytestmark = [pytest.mark.browser]


def _sign_in_as_staff(page: Any, live_server: Any) -> None:
    client = Client()
    client.force_login(get_user_model().objects.create_user("report-reader", password="x", is_staff=True))
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])


def test_the_demo_report_shows_its_headline_charts_and_builds_a_download(
    transactional_db: None, demo: Any, live_server: Any, page: Any
) -> None:
    study = Study.objects.get(slug="russia-taliban-recognition")
    headline = study.items.filter(kind="question").order_by("order", "code").first()
    assert headline is not None
    _sign_in_as_staff(page, live_server)
    page.goto(f"{live_server.url}/studies/{study.slug}/report/")
    assert page.locator("#headline .question").inner_text() == headline.text
    assert page.locator("#methods").is_visible()
    assert page.locator("#headline svg.headline-chart.wide").is_visible()  # the picture is inline SVG
    chart = page.locator("#trajectories img.report-chart").first  # the others are PNGs drawn once
    chart.scroll_into_view_if_needed()
    assert chart.evaluate("img => img.decode().then(() => img.naturalWidth > 0)")
    page.locator('#downloads li[data-format="csv"] button').click()
    link = page.locator('#downloads li[data-format="csv"] a')
    link.wait_for(timeout=30_000)
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == f"{study.slug}-consensus-report.csv"


def test_a_public_report_opens_without_signing_in(transactional_db: None, live_server: Any, page: Any) -> None:
    study = build_two_rounds("public-report").study
    Study.objects.filter(pk=study.pk).update(is_report_public=True)
    page.goto(f"{live_server.url}/studies/{study.slug}/report/")
    assert page.locator("#headline .question").inner_text() == HEADLINE
    assert "C2 → C2r2" in page.locator("#verdicts").inner_text()
    attrition = page.locator("#attrition table").first.inner_text()
    assert "71%" in attrition
