"""Revoking or withdrawing an expert who has answered (issue 12, items 4 and 9).

Answers given before a revocation or a withdrawal count; "withdraw and delete my answers" removes
them and the statistics are computed again. The dashboard, the aggregation and the report count
the same panel for a round, an open round shows progress rather than attrition, and an item new in
a round has no stability ("n/a"), not "moving".
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from surveys.models import AuditEvent, Ballot, Item, ItemStatistic, Panelist, Rating, Round, RoundStatistic, Study
from surveys.reports.formats import render
from surveys.selectors.facilitator import study_dashboard
from surveys.selectors.reports import report_data
from surveys.services.aggregation import round_aggregate
from surveys.services.panel_roster import panelist_revoke
from surveys.services.round_items import round_item_drop
from surveys.services.rounds import round_close, round_create, round_next, round_open
from surveys.services.withdrawal import panelist_withdraw
from surveys.tasks import sweep_pending
from tests.factories import answer_round, consented_panel, small_study

pytestmark = pytest.mark.django_db

C1 = [9, 8, 7, 2]


def _answered_round(study: Study, panel: list[Panelist], values: list[int] = C1) -> Round:
    round_ = round_open(round=round_create(study=study))
    answer_round(
        round_,
        {
            p: {("C1", "agreement"): v, ("C2", "agreement"): 5, ("R1", "agreement"): 5}
            for p, v in zip(panel, values, strict=True)
        },
    )
    return round_


def _c1(round_: Round) -> ItemStatistic:
    return ItemStatistic.objects.get(round=round_, round_item__item__code="C1", dimension__key="agreement", group="")


@pytest.fixture
def staff_client(client: Client) -> Client:
    client.force_login(get_user_model().objects.create_user("facilitator", password="x", is_staff=True))
    return client


# --- revoked after submitting ------------------------------------------------------------------------------


def test_a_round_aggregates_when_an_expert_who_submitted_is_revoked_and_their_answers_count() -> None:
    study = small_study()
    panel = consented_panel(study, ["A", "A", "A"])
    round_ = _answered_round(study, panel, [9, 8, 2])
    revoked = panelist_revoke(panelist=panel[2])
    assert revoked.revoked_at is not None
    round_close(round=round_, aggregate=False)

    summary = round_aggregate(round=round_)

    assert (summary.n_invited, summary.n_submitted, summary.response_rate) == (3, 3, 1.0)
    assert _c1(round_).n == 3  # the revoked expert's rating, given before revocation, is in the statistics
    next_round = round_next(study=study)
    assert (next_round.number, next_round.status) == (2, Round.Status.DRAFT)


def test_the_sweep_aggregates_such_a_round_once_and_the_next_round_can_be_created() -> None:
    study = small_study()
    panel = consented_panel(study, ["A", "A", "A"])
    round_ = _answered_round(study, panel, [9, 8, 2])
    panelist_revoke(panelist=panel[0])
    round_close(round=round_, aggregate=False)
    Round.objects.filter(pk=round_.pk).update(closed_at=timezone.now() - timedelta(minutes=5))

    assert sweep_pending()["aggregate"] == [round_.pk]

    round_.refresh_from_db()
    assert round_.status == Round.Status.AGGREGATED
    assert RoundStatistic.objects.get(round=round_).response_rate == 1.0
    assert sweep_pending()["aggregate"] == []  # nothing left to retry
    assert round_next(study=study).number == 2


def test_an_expert_revoked_before_answering_is_not_counted_as_asked() -> None:
    study = small_study()
    panel = consented_panel(study, ["A", "A", "A"])
    round_ = _answered_round(study, panel[:2], [9, 8])
    panelist_revoke(panelist=panel[2])
    round_close(round=round_, aggregate=False)
    summary = round_aggregate(round=round_)
    assert (summary.n_invited, summary.n_submitted) == (2, 2)


# --- withdrawing -------------------------------------------------------------------------------------------


def test_withdrawing_keeps_the_answers_given_and_stops_the_link() -> None:
    study = small_study()
    panel = consented_panel(study, ["A", "A", "A"])
    round_ = _answered_round(study, panel, [9, 8, 2])
    done = panelist_withdraw(panelist=panel[2])
    assert done.panelist.status == Panelist.Status.WITHDRAWN and done.panelist.withdrawn_at is not None
    assert done.ballots_deleted == 0
    round_close(round=round_, aggregate=False)
    summary = round_aggregate(round=round_)
    assert (summary.n_invited, summary.n_submitted, _c1(round_).n) == (3, 3, 3)


def test_withdrawing_and_deleting_removes_the_answers_and_recomputes_the_aggregated_round() -> None:
    study = small_study()
    panel = consented_panel(study, ["A", "A", "A", "A"])
    round_ = _answered_round(study, panel, C1)  # 9, 8, 7, 2: median 7.5
    round_close(round=round_, aggregate=False)
    round_aggregate(round=round_)
    assert (_c1(round_).n, _c1(round_).median) == (4, 7.5)

    done = panelist_withdraw(panelist=panel[3], delete_answers=True)

    assert done.rounds_recomputed == (1,) and done.ballots_deleted == 1
    assert not Ballot.objects.filter(panelist=panel[3]).exists()
    assert not Rating.objects.filter(ballot__panelist=panel[3]).exists()
    assert (_c1(round_).n, _c1(round_).median) == (3, 8.0)  # 9, 8, 7: the deleted 2 no longer counts
    summary = RoundStatistic.objects.get(round=round_)
    assert (summary.n_invited, summary.n_submitted) == (4, 3)  # still asked, no longer answered
    event = AuditEvent.objects.get(study=study, action="panelist.answers_deleted")
    assert event.detail["ballots"] == 1 and event.detail["rounds_recomputed"] == [1]
    assert set(event.detail) == {"pseudonym", "ballots", "ratings", "suggestions", "rounds_recomputed"}  # no answers


def test_a_revoked_expert_can_still_have_their_answers_deleted_and_stays_revoked() -> None:
    study = small_study()
    panel = consented_panel(study, ["A", "A", "A"])
    round_ = _answered_round(study, panel, [9, 8, 2])
    panelist_revoke(panelist=panel[2])
    with pytest.raises(Exception, match="already revoked"):
        panelist_withdraw(panelist=panel[2])
    panelist_withdraw(panelist=panel[2], delete_answers=True, actor_label="facilitator")
    panel[2].refresh_from_db()
    assert panel[2].status == Panelist.Status.REVOKED
    round_close(round=round_, aggregate=False)
    assert round_aggregate(round=round_).n_submitted == 2


def test_the_expert_can_withdraw_and_delete_their_answers_on_their_own_pages(client: Client) -> None:
    from tests.test_expert_views import enter

    study = small_study()
    panel = consented_panel(study, ["A", "A", "A"])
    round_ = _answered_round(study, panel, [9, 8, 2])
    enter(client, panel[2])
    assert reverse("surveys:expert_withdraw") in client.get(reverse("surveys:expert_welcome")).content.decode()
    page = client.get(reverse("surveys:expert_withdraw")).content.decode()
    assert 'value="keep"' in page and 'value="delete"' in page

    assert client.post(reverse("surveys:expert_withdraw"), {}).status_code == 400  # no choice made: nothing done
    assert Ballot.objects.filter(panelist=panel[2]).exists()
    response = client.post(reverse("surveys:expert_withdraw"), {"answers": "delete"})

    assert response.status_code == 200 and "Your answers are deleted" in response.content.decode()
    assert not Ballot.objects.filter(panelist=panel[2]).exists()
    assert client.get(reverse("surveys:expert_welcome")).status_code == 404  # the session no longer opens anything
    round_close(round=round_, aggregate=False)
    assert round_aggregate(round=round_).n_submitted == 2


def test_the_facilitator_deletes_an_experts_answers_on_request_from_the_panel_page(staff_client: Client) -> None:
    study = small_study()
    panel = consented_panel(study, ["A", "A", "A"])
    round_ = _answered_round(study, panel, [9, 8, 2])
    round_close(round=round_, aggregate=False)
    round_aggregate(round=round_)
    url = reverse("facilitator:panelist_action", args=[study.slug, panel[2].pk, "erase"])
    assert url in staff_client.get(reverse("facilitator:panel", args=[study.slug])).content.decode()

    response = staff_client.post(url, {"confirm": "on"})

    assert response.status_code == 302
    assert _c1(round_).n == 2
    assert AuditEvent.objects.get(action="panelist.answers_deleted").actor_label == "facilitator"


# --- one definition everywhere -----------------------------------------------------------------------------


def test_the_dashboard_the_aggregation_and_the_report_count_the_same_panel() -> None:
    study = small_study()
    panel = consented_panel(study, ["A", "A", "A", "B", "B", "B"])
    round_ = _answered_round(study, panel[:5], [9, 8, 7, 2, 5])
    panelist_revoke(panelist=panel[0])  # submitted, then revoked: counts
    panelist_revoke(panelist=panel[5])  # never answered, revoked before the close: not asked
    round_close(round=round_, aggregate=False)
    stored = round_aggregate(round=round_)
    consented_panel(study, ["B"])  # joined after the round closed: not asked in it

    dashboard = study_dashboard(study).participation[0]
    report = report_data(study).attrition.set_index("round").loc[1]

    assert (stored.n_invited, stored.n_submitted) == (5, 5)
    assert (dashboard.n_invited, dashboard.n_submitted) == (5, 5)
    assert (report["panel_size"], report["answered"]) == (5, 5)
    assert stored.response_rate == dashboard.response_rate == report["response_rate"] == 1.0
    assert report["revoked"] == 2


def test_the_report_states_what_revoking_and_withdrawing_mean_for_answers() -> None:
    study = small_study()
    consented_panel(study, ["A"])
    text = " ".join(report_data(study).methods.statistics)
    assert "submitted before being revoked" in text and "answers deleted" in text


# --- issue 12, item 9 --------------------------------------------------------------------------------------


def test_an_open_round_shows_its_progress_not_attrition(staff_client: Client) -> None:
    study = small_study()
    panel = consented_panel(study, ["A", "A", "A", "A"])
    round_1 = _answered_round(study, panel, C1)
    round_close(round=round_1, aggregate=False)
    round_aggregate(round=round_1)
    round_2 = round_open(round=round_next(study=study))
    answer_round(round_2, {panel[0]: {("C2", "agreement"): 5}})

    html = staff_client.get(reverse("facilitator:study", args=[study.slug])).content.decode()
    row = html[html.index('data-round="2"') :]
    row = row[: row.index("</tr>")]
    assert "1 / 4" in row and "25% so far" in row
    assert "75%" not in row  # 3 of round 1's 4 respondents have not answered yet: not attrition while open


def test_an_item_new_in_a_round_shows_stability_as_not_applicable(staff_client: Client) -> None:
    study = small_study()
    panel = consented_panel(study, ["A"] * 6)  # six pairs: enough for a stability verdict
    draft = round_create(study=study)
    r1 = Item.objects.get(study=study, code="R1")
    round_item_drop(round=draft, item=r1)
    round_1 = round_open(round=draft)
    answer_round(round_1, {p: {("C1", "agreement"): 5, ("C2", "agreement"): 5} for p in panel})
    round_close(round=round_1, aggregate=False)
    round_aggregate(round=round_1)
    round_2 = round_open(round=round_next(study=study, add=[r1]))
    answer_round(round_2, {p: {("C1", "agreement"): 5, ("C2", "agreement"): 5, ("R1", "agreement"): 7} for p in panel})
    round_close(round=round_2, aggregate=False)
    round_aggregate(round=round_2)

    html = staff_client.get(reverse("facilitator:study", args=[study.slug])).content.decode()
    section = html[html.index('id="statistics"') :]
    new_row = section[section.index('data-item="R1"') :]
    new_row = new_row[: new_row.index("</tr>")]
    carried_row = section[section.index('data-item="C1"') :]
    carried_row = carried_row[: carried_row.index("</tr>")]
    assert "n/a" in new_row and "moving" not in new_row
    assert "stable" in carried_row  # an item with pairs still says whether it moved


def test_the_report_marks_an_item_back_after_a_gap_as_not_applicable_for_stability() -> None:
    study = small_study()
    panel = consented_panel(study, ["A", "A", "A"])
    r1 = Item.objects.get(study=study, code="R1")
    ratings = {("C1", "agreement"): 5, ("C2", "agreement"): 5, ("R1", "agreement"): 7}
    current = _answered_round(study, panel, [5, 5, 5])  # round 1 holds R1
    for change in ({"drop": [r1]}, {"add": [r1]}):  # round 2 without R1, round 3 with it again
        round_close(round=current, aggregate=False)
        round_aggregate(round=current)
        current = round_open(round=round_next(study=study, **change))
        codes = set(current.round_items.values_list("item__code", flat=True))
        answer_round(current, {p: {k: v for k, v in ratings.items() if k[0] in codes} for p in panel})
    round_close(round=current, aggregate=False)
    round_aggregate(round=current)

    report = render(report_data(study), "html").decode()
    stability = report[report.index('id="stability"') :]
    stability = stability[: stability.index("</section>")]
    row = stability[stability.index("<tr><td>R1</td>") :]
    row = row[: row.index("</tr>")]
    assert "<td>0</td>" in row and row.endswith("<td>n/a</td>")  # no pair with round 2: not "no"
