"""The facilitator's dashboard: who may see it, what it shows, and its query budget."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from surveys.models import Study
from surveys.services.aggregation import round_aggregate
from surveys.services.ballots import RatingInput, ballot_save, ballot_submit
from surveys.services.mail import invitations_send
from surveys.services.panel import panelist_create
from surveys.services.panel_roster import panelist_revoke
from surveys.services.rounds import round_close, round_create, round_next, round_open
from surveys.services.study_files import study_import
from tests.factories import answer_round, consented_panel, small_study

pytestmark = pytest.mark.django_db

RATIONALE = "Because of the Doha talks, as I argued in my own paper."


@pytest.fixture
def staff_client(client: Client) -> Client:
    client.force_login(get_user_model().objects.create_user("facilitator", password="x", is_staff=True))
    return client


def _study_with_two_rounds() -> Study:
    """Round 1 aggregated (6 answered of 7), round 2 open with 2 submitted so far and 1 draft."""
    study = small_study()
    round_1 = round_open(round=round_create(study=study))
    panel = consented_panel(study, ["Europe", "Europe", "Europe", "Asia", "Asia", "Africa", "Africa"])
    c1 = [9, 8, 8, 7, 9, 8]
    c2 = [1, 9, 5, 2, 8, 5]
    answers = {
        p: {("C1", "agreement"): c1[i], ("C2", "agreement"): c2[i], ("R1", "agreement"): 5}
        for i, p in enumerate(panel[:6])
    }
    answer_round(round_1, {p: a for p, a in answers.items() if p != panel[0]})
    codes = {ri.item.code: ri.pk for ri in round_1.round_items.select_related("item")}
    entries = [RatingInput(codes[code], dim, value, RATIONALE) for (code, dim), value in answers[panel[0]].items()]
    ballot_save(panelist=panel[0], round=round_1, entries=entries)
    ballot_submit(panelist=panel[0], round=round_1)
    round_close(round=round_1, aggregate=False)
    round_aggregate(round=round_1)
    round_2 = round_open(round=round_next(study=study), closes_at=timezone.now() + timedelta(days=5))
    answer_round(round_2, {p: {("C2", "agreement"): 6} for p in panel[:2]})
    answer_round(round_2, {panel[3]: {("C2", "agreement"): 4}}, submit=False)
    invitations_send(round=round_2)
    return study


def _dashboard(client: Client, study: Study):  # type: ignore[no-untyped-def]
    return client.get(reverse("facilitator:study", args=[study.slug]))


# --- permissions ---------------------------------------------------------------------------------------------


def _facilitator_urls(study: Study) -> list[str]:
    slug = study.slug
    return [
        reverse("facilitator:index"),
        reverse("facilitator:study", args=[slug]),
        reverse("facilitator:round_close", args=[slug, 1]),
        reverse("facilitator:round_prepare", args=[slug, 1]),
        reverse("facilitator:panel", args=[slug]),
        reverse("facilitator:panel_import", args=[slug]),
        reverse("facilitator:messages", args=[slug]),
        reverse("facilitator:message_edit", args=[slug, "invitation"]),
    ]


def test_anonymous_visitors_are_sent_to_sign_in_and_see_nothing(client: Client) -> None:
    study = small_study()
    round_open(round=round_create(study=study))
    panelist_create(study=study, email="secret.expert@example.org")
    for url in _facilitator_urls(study):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/login/?next=")
        assert b"secret.expert" not in response.content


def test_signed_in_users_without_staff_rights_get_a_404(client: Client) -> None:
    study = small_study()
    round_open(round=round_create(study=study))
    client.force_login(get_user_model().objects.create_user("someone", password="x"))
    for url in _facilitator_urls(study):
        response = client.get(url)
        assert response.status_code == 404, url
        assert study.title.encode() not in response.content


def test_an_expert_with_a_valid_link_gets_a_404_and_cannot_close_the_round(client: Client) -> None:
    study = small_study()
    round_ = round_open(round=round_create(study=study))
    _, raw = panelist_create(study=study, email="expert@example.org")
    client.raise_request_exception = False  # only the session the link opens matters here, not its pages
    client.get(f"/e/{raw}/")
    client.raise_request_exception = True
    for url in _facilitator_urls(study):
        response = client.get(url)
        assert response.status_code == 404, url
        assert study.title.encode() not in response.content
    refused = client.post(reverse("facilitator:round_close", args=[study.slug, 1]), {"confirm": "on"})
    assert refused.status_code == 404
    round_.refresh_from_db()
    assert round_.status == "open"


def test_facilitator_pages_are_never_cached(staff_client: Client) -> None:
    study = small_study()
    assert "no-cache" in _dashboard(staff_client, study)["Cache-Control"]


# --- what the dashboard shows ------------------------------------------------------------------------------------


def test_the_dashboard_lists_rounds_with_status_deadline_and_response(staff_client: Client) -> None:
    study = _study_with_two_rounds()
    html = _dashboard(staff_client, study).content.decode()
    assert 'Round 2: <span class="status">Open</span>' in html
    assert "Closes " in html and " UTC." in html
    round_1_row = html[html.index('data-round="1"') :]
    round_1_row = round_1_row[: round_1_row.index("</tr>")]
    assert "Aggregated" in round_1_row and "6 / 7" in round_1_row and "86%" in round_1_row
    round_2_row = html[html.index('data-round="2"') :]
    round_2_row = round_2_row[: round_2_row.index("</tr>")]
    assert "2 / 7" in round_2_row and "29% so far" in round_2_row
    assert "67%" not in round_2_row  # an open round shows its progress, not attrition (issue 12, item 9)


def test_the_dashboard_shows_response_and_attrition_per_group_even_below_the_minimum_size(staff_client: Client) -> None:
    study = _study_with_two_rounds()
    d = _dashboard(staff_client, study).context["d"]
    rows = {(p.round_number, p.group): p for p in d.participation_by_group}
    assert (rows[(1, "Africa")].n_submitted, rows[(1, "Africa")].n_invited) == (1, 2)  # a group of 2 is shown
    europe_2 = rows[(2, "Europe")]
    assert (europe_2.n_submitted, europe_2.n_invited, europe_2.n_previous, europe_2.lost) == (2, 3, 3, 1)
    assert rows[(2, "Asia")].n_drafts == 1


def test_who_has_not_answered_is_listed_for_the_facilitator_with_names_and_emails(staff_client: Client) -> None:
    study = _study_with_two_rounds()
    panelist_revoke(panelist=study.panelists.get(email="p6@example.org"))
    html = _dashboard(staff_client, study).content.decode()
    section = html[html.index('id="nonrespondents"') : html.index('id="statistics"')]
    assert "Not answered in round 2 (4)" in section
    for email in ("p2@example.org", "p3@example.org", "p4@example.org", "p5@example.org"):
        assert email in section
    assert "p0@example.org" not in section and "p6@example.org" not in section  # submitted; revoked
    assert "started" in section  # p3 has a draft


def test_the_statistics_table_shows_the_latest_verdicts_without_any_rationale(staff_client: Client) -> None:
    study = _study_with_two_rounds()
    html = _dashboard(staff_client, study).content.decode()
    stats = html[html.index('id="statistics"') : html.index('id="audit"')]
    assert "Statistics of round 1" in stats
    c1 = stats[stats.index('data-item="C1"') :]
    assert "Consensus in" in c1[: c1.index("</tr>")]
    c2 = stats[stats.index('data-item="C2"') :]
    assert "No consensus" in c2[: c2.index("</tr>")]
    assert RATIONALE not in html


def test_the_dashboard_says_when_the_stopping_rule_holds(staff_client: Client) -> None:
    study = small_study()
    round_ = round_open(round=round_create(study=study))
    answer_round(
        round_,
        {
            p: {("C1", "agreement"): 9, ("C2", "agreement"): 8, ("R1", "agreement"): 8, ("R1", "feasibility"): 5}
            for p in consented_panel(study, ["A", "A", "A"])
        },
    )
    round_close(round=round_, aggregate=False)
    round_aggregate(round=round_)
    html = _dashboard(staff_client, study).content.decode()
    assert "The stopping rule holds: the study can stop" in html


def test_the_dashboard_offers_only_the_moves_the_round_allows(staff_client: Client) -> None:
    study = small_study()
    assert "Create round 1" in _dashboard(staff_client, study).content.decode()
    round_ = round_create(study=study)
    html = _dashboard(staff_client, study).content.decode()
    assert "Open round 1" in html and "Close round 1" not in html
    round_open(round=round_)
    html = _dashboard(staff_client, study).content.decode()
    assert "Close round 1" in html and "Send reminders" in html and "Open round 1" not in html


def test_the_latest_audit_events_are_shown_with_who_did_them(staff_client: Client) -> None:
    study = _study_with_two_rounds()
    html = _dashboard(staff_client, study).content.decode()
    audit = html[html.index('id="audit"') :]
    assert "round.opened" in audit and "round.aggregated" in audit and "system" in audit


# --- query budget -------------------------------------------------------------------------------------------------


def _study_with_items(slug: str, n_items: int) -> Study:
    items = "\n".join(
        f"  - {{code: C{i}, kind: claim, section: claims, text: Claim number {i}., dimensions: [agreement]}}"
        for i in range(1, n_items + 1)
    )
    text = f"""
format: delphi-study/1
slug: {slug}
title: Budget study
consensus_rule: {{preset: cos}}
stopping_rule: {{max_rounds: 3}}
dimensions:
  - {{key: agreement, label: Agreement, scale: {{min: 1, max: 9}}, agree: [7, 9], disagree: [1, 3]}}
sections:
  - {{key: claims, title: Claims}}
items:
{items}
"""
    study = study_import(text=text, filename=f"{slug}.yaml").study
    round_1 = round_open(round=round_create(study=study))
    panel = consented_panel(study, ["A", "A", "B", "B"])
    answer_round(
        round_1,
        {p: {(f"C{i}", "agreement"): 1 + (i + j) % 9 for i in range(1, n_items + 1)} for j, p in enumerate(panel)},
    )
    round_close(round=round_1, aggregate=False)
    round_aggregate(round=round_1)
    round_open(round=round_next(study=study))
    invitations_send(round=study.rounds.get(number=2))
    return study


def test_the_dashboard_costs_the_same_queries_for_3_or_40_items(
    staff_client: Client, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    small, large = _study_with_items("small-budget", 3), _study_with_items("large-budget", 40)
    staff_client.get(reverse("facilitator:study", args=[small.slug]))  # warm the session and user
    counts = []
    for study in (small, large):
        with CaptureQueriesContext(connection) as queries:
            assert _dashboard(staff_client, study).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    with django_assert_max_num_queries(10):
        _dashboard(staff_client, large)


def test_the_preparation_page_costs_the_same_queries_for_3_or_40_items(staff_client: Client) -> None:
    counts = []
    for slug, n in (("small-prep", 3), ("large-prep", 40)):
        study = _study_with_items(slug, n)
        round_close(round=study.rounds.get(number=2), aggregate=False)
        round_aggregate(round=study.rounds.get(number=2))
        draft = round_next(study=study)
        with CaptureQueriesContext(connection) as queries:
            assert staff_client.get(reverse("facilitator:round_prepare", args=[slug, draft.number])).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_panel_page_costs_the_same_queries_for_4_or_40_experts(staff_client: Client) -> None:
    counts = []
    for slug, n in (("small-panel", 4), ("large-panel", 40)):
        study = small_study(slug)
        round_ = round_open(round=round_create(study=study))
        consented_panel(study, ["A"] * n)
        invitations_send(round=round_)
        with CaptureQueriesContext(connection) as queries:
            assert staff_client.get(reverse("facilitator:panel", args=[slug])).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
