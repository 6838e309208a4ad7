"""The report's charts: drawn once per state of the report, linked by URL with their size, served with
an ETag, drawn afresh after a new aggregation; fixed colours per dimension; no "% agree" where a
dimension decides no consensus; the headline's groups each drawn and labelled."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pandas as pd
import pytest
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse

from surveys.models import Round
from surveys.reports import chart_set
from surveys.reports.charts import TrajectoryCharts
from surveys.reports.data import DimensionInfo
from surveys.reports.headline import headline_context
from surveys.reports.overview_charts import convergence_figure, dimension_colour
from surveys.selectors.reports import report_data
from surveys.services import report_charts
from surveys.services.aggregation import round_aggregate
from tests.test_reports_data import TwoRounds, build_two_rounds

IMG = re.compile(r'<img class="report-chart" src="([^"]+)" width="(\d+)" height="(\d+)"')


@pytest.fixture
def two_rounds(db: None) -> TwoRounds:
    return build_two_rounds("chart-study")


@pytest.fixture
def staff_client(client: Client) -> Client:
    client.force_login(get_user_model().objects.create_user("reader", password="x", is_staff=True))
    return client


@pytest.fixture
def draws(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times the service drew a report's chart set."""
    calls: list[int] = []
    real = report_charts.draw_charts

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(report_charts, "draw_charts", counting)
    return calls


def _page(client: Client, two_rounds: TwoRounds) -> str:
    response = client.get(reverse("reports:page", args=[two_rounds.study.slug]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_links_its_charts_with_their_size_and_draws_none(
    two_rounds: TwoRounds, staff_client: Client, draws: list[int]
) -> None:
    html = _page(staff_client, two_rounds)
    images = IMG.findall(html)
    assert len(images) >= 4  # Q1, C1, C2 and R1 (two dimensions) trajectories, and convergence
    assert all(int(w) >= 360 and int(h) > 0 for _, w, h in images)
    assert "data:image/png" not in html
    assert draws == []


def test_a_chart_is_drawn_once_per_state_and_answers_its_etag(
    two_rounds: TwoRounds, staff_client: Client, draws: list[int]
) -> None:
    urls = [src for src, _, _ in IMG.findall(_page(staff_client, two_rounds))]
    first = staff_client.get(urls[0])
    assert first.status_code == 200 and first["Content-Type"] == "image/png"
    assert first.content.startswith(b"\x89PNG")
    assert "immutable" in first["Cache-Control"]
    for url in urls[1:]:
        assert staff_client.get(url).status_code == 200
    assert draws == [1]
    again = staff_client.get(urls[0], HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and not again.content


def test_a_new_aggregation_gives_new_chart_urls_and_forgets_the_old_files(
    two_rounds: TwoRounds, staff_client: Client, draws: list[int]
) -> None:
    before = IMG.findall(_page(staff_client, two_rounds))[0][0]
    assert staff_client.get(before).status_code == 200
    old_state = before.split("/")[-2]
    folder = f"{report_charts.ROOT}/{two_rounds.study.pk}/{old_state}"
    assert default_storage.listdir(folder)[1]
    round_aggregate(round=Round.objects.get(pk=two_rounds.round_2.pk))
    after = IMG.findall(_page(staff_client, two_rounds))[0][0]
    assert after != before
    moved = staff_client.get(before)
    assert moved.status_code == 302 and moved["Location"] == after
    assert staff_client.get(after).status_code == 200
    assert draws == [1, 1]
    assert default_storage.listdir(folder)[1] == []


def test_a_chart_the_report_does_not_have_is_not_found(two_rounds: TwoRounds, staff_client: Client) -> None:
    state = report_charts.report_state(two_rounds.study)
    url = reverse("reports:chart", args=[two_rounds.study.slug, state, "t-nothing-000000", "wide"])
    assert staff_client.get(url).status_code == 404
    assert staff_client.get(url.replace(".wide.", ".huge.")).status_code == 404


def test_charts_of_a_private_report_need_staff(two_rounds: TwoRounds, staff_client: Client) -> None:
    url = IMG.findall(_page(staff_client, two_rounds))[0][0]
    assert Client().get(url).status_code == 302
    expert = Client()
    expert.force_login(get_user_model().objects.create_user("expert", password="x"))
    assert expert.get(url).status_code == 404


def test_every_lineage_and_dimension_has_a_wide_and_a_narrow_chart(two_rounds: TwoRounds) -> None:
    data = report_data(two_rounds.study)
    specs = chart_set.chart_specs(data)
    drawn = chart_set.draw_charts(data)
    assert set(drawn) == {(name, layout) for name in specs for layout in chart_set.LAYOUTS}
    assert chart_set.trajectory_name("R1", "feasibility") in specs


def test_a_dimension_without_consensus_gets_no_share_agreeing_panel() -> None:
    confidence = DimensionInfo("confidence", "Confidence", "", 1, 5, (4, 5), (1, 2), decides=False)
    agreement = DimensionInfo("agreement", "Agreement", "", 1, 9, (7, 9), (1, 3))
    painter = TrajectoryCharts([1, 2], 0.7)
    rows = pd.DataFrame(
        {
            "round": [1, 2],
            "median": [3.0, 3.0],
            "q1": [2.0, 3.0],
            "q3": [4.0, 4.0],
            "pct_agree": [0.2, 0.3],
            "verdict": ["", ""],
            "distribution": [{3: 4}, {3: 4}],
        }
    )
    for layout in chart_set.LAYOUTS:
        assert painter.png(confidence, rows, layout).startswith(b"\x89PNG")
        titles = [ax.get_title(loc="left") for ax in painter._panels[("confidence", layout)].figure.axes]
        assert titles == ["Median and IQR", "Distribution (darker: more)"]
        painter.png(agreement, rows, layout)
        assert "% agree" in [ax.get_title(loc="left") for ax in painter._panels[("agreement", layout)].figure.axes]


def test_each_dimension_keeps_its_colour_when_another_has_no_share_decided() -> None:
    dims = (
        DimensionInfo("confidence", "Confidence", "", 1, 5, (4, 5), (1, 2), decides=False),
        DimensionInfo("agreement", "Agreement", "", 1, 9, (7, 9), (1, 3)),
        DimensionInfo("feasibility", "Feasibility", "", 1, 5, (4, 5), (1, 2)),
    )
    rows = [
        {
            "round": n,
            "dimension": d.key,
            "decides": d.decides,
            "n_items": 4,
            "n_in": 1,
            "n_out": 0,
            "mean_iqr": 1.0 + n,
            "kendall_w": 0.3,
        }
        for n in (1, 2)
        for d in dims
    ]
    data = SimpleNamespace(
        convergence=pd.DataFrame(rows),
        dimensions=dims,
        round_numbers=[1, 2],
        dimension=lambda key: next(d for d in dims if d.key == key),
    )
    figure = convergence_figure(data)  # type: ignore[arg-type]
    iqr_axis, decided_axis, _ = figure.axes
    assert [line.get_color() for line in decided_axis.lines] == [
        dimension_colour(data, "agreement"),  # type: ignore[arg-type]
        dimension_colour(data, "feasibility"),  # type: ignore[arg-type]
    ]
    assert [line.get_color() for line in iqr_axis.lines][1:] == [line.get_color() for line in decided_axis.lines]


def test_the_headline_draws_and_labels_every_group_it_names(two_rounds: TwoRounds) -> None:
    headline = headline_context(report_data(two_rounds.study))
    assert headline is not None
    assert [g["label"] for g in headline["groups"]] == ["Whole panel", "A", "B"]
    for svg in headline["charts"]:
        labels = re.findall(r'<g class="series-label" data-series="([^"]+)"', svg)
        assert labels == ["Whole panel", "A", "B"]
    b_round_2 = headline["groups"][2]["cells"][1]
    assert b_round_2["suppressed"].startswith("suppressed")  # two of B's experts left: B is withheld in round 2
    assert "B" not in headline["finding"].contrast
    assert (
        headline["finding"].text
        == "Converging: median 5 → 8, IQR 4.5 → 4 from round 1 to 2; no consensus after 2 rounds."
    )


def test_the_median_s_interval_is_drawn_where_the_statistics_carry_it() -> None:
    agreement = DimensionInfo("agreement", "Agreement", "", 1, 9, (7, 9), (1, 3))
    painter = TrajectoryCharts([1, 2], 0.7)
    rows = pd.DataFrame(
        {
            "round": [1, 2],
            "median": [5.0, 6.0],
            "q1": [4.0, 5.0],
            "q3": [6.0, 7.0],
            "pct_agree": [0.2, 0.3],
            "verdict": ["none", "none"],
            "distribution": [{5: 4}, {6: 4}],
            "median_ci_lo": [4.0, float("nan")],
            "median_ci_hi": [6.5, float("nan")],
        }
    )
    painter.png(agreement, rows)
    segments = [s.tolist() for s in painter._panels[("agreement", "wide")].interval.get_segments()]
    assert segments[0] == [[1.0, 4.0], [1.0, 6.5]]  # round 1: the whisker spans the interval
    assert segments[1][0] == segments[1][1]  # round 2 has no interval: nothing drawn
