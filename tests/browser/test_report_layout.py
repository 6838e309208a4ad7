"""The demo's report page in Chromium at a desktop's and a phone's width: the page is never wider than
the screen, every chart fills its column, the chart images load, and the headline's picture labels
every group it names with no two labels overlapping."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

pytestmark = [pytest.mark.browser]

WIDTHS = (1280, 375)

# Each report chart: its rendered width, and the content width of the box it sits in.
CHART_WIDTHS = """() => [...document.querySelectorAll('#main img.report-chart, #main svg.headline-chart')]
  .filter(el => el.getBoundingClientRect().width > 0)
  .map(el => {
    const box = el.closest('picture') ? el.closest('picture').parentElement : el.parentElement;
    const style = getComputedStyle(box);
    const inner = box.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    return {what: el.getAttribute('alt') || el.id, width: el.getBoundingClientRect().width, box: inner};
  })"""

# The visible headline picture's line labels: name and bounding box of each label's text.
LABELS = """() => {
  const svg = [...document.querySelectorAll('#headline svg.headline-chart')]
    .find(el => el.getBoundingClientRect().width > 0);
  return [...svg.querySelectorAll('g.series-label')].map(g => {
    const r = g.querySelector('text.label-text').getBoundingClientRect();
    return {name: g.dataset.series, text: g.textContent, left: r.left, right: r.right, top: r.top, bottom: r.bottom};
  });
}"""


def _sign_in_as_staff(page: Any, live_server: Any) -> None:
    client = Client()
    client.force_login(get_user_model().objects.create_user("report-reader", password="x", is_staff=True))
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]


@pytest.mark.parametrize("width", WIDTHS)
def test_the_report_fits_the_screen_its_charts_fill_their_column_and_every_group_is_labelled_apart(
    transactional_db: None, live_server: Any, page: Any, width: int
) -> None:
    from surveys.services.demo import demo_build

    study = demo_build().study
    groups = sorted(set(study.panelists.exclude(group="").values_list("group", flat=True)))
    _sign_in_as_staff(page, live_server)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/studies/{study.slug}/report/")

    assert page.evaluate("document.scrollingElement.scrollWidth") <= width

    charts = page.evaluate(CHART_WIDTHS)
    assert len(charts) > 10
    narrow = [c for c in charts if not (c["width"] >= 0.9 * c["box"] or (width == 1280 and c["width"] >= 600))]
    assert narrow == []

    first = page.locator("#trajectories img.report-chart").first
    first.scroll_into_view_if_needed()
    assert first.evaluate("img => img.decode().then(() => img.naturalWidth > 0)")

    labels = page.evaluate(LABELS)
    names = [label["name"] for label in labels]
    assert names[0] == "Whole panel"
    assert sorted(names[1:]) == groups  # every group of the demo's panel is drawn and labelled
    for label in labels:
        assert label["name"] in label["text"] and label["right"] - label["left"] > 0
    overlapping = [(a["name"], b["name"]) for i, a in enumerate(labels) for b in labels[i + 1 :] if _overlap(a, b)]
    assert overlapping == []
    assert page.locator("#headline .finding").inner_text().startswith("Finding: ")
