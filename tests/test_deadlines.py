"""Deadlines hold without celery beat, and are typed and shown in the study's time zone.

A round past its ``closes_at`` refuses every write (service, web form, autosave, API), and the first
thing that touches it afterwards (an expert's page, the API, the dashboard) closes and aggregates it,
once, with the same conditional update as the beat sweep. No page or email promises a time already
past. A deadline typed with an offset means that instant; one without is read in the study's zone.
Time is frozen by replacing ``django.utils.timezone.now``; nothing sleeps.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from surveys.deadlines import deadline_parse, moment_format
from surveys.errors import DomainError, RatingError
from surveys.models import AuditEvent, Ballot, Panelist, Rating, Round, Study
from surveys.services.ballots import RatingInput, ballot_reopen, ballot_save, ballot_submit
from surveys.services.mail import thank_you_send
from surveys.services.panel import panelist_create
from surveys.services.rounds import round_close_if_due, round_create, round_deadline_set, round_open
from surveys.tasks import send_reminders
from tests.factories import answer_round, consented_panel, small_study
from tests.services import require_postgres
from tests.test_expert_views import enter

pytestmark = pytest.mark.django_db

DECEMBER_DEADLINE = datetime(2099, 12, 16, 17, 0, tzinfo=UTC)  # 18:00 in Paris (CET, +01:00)
LATE = timedelta(minutes=4)  # the late expert of the issue: 4 minutes past the deadline


@pytest.fixture
def freeze(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """Set the clock every service reads (``timezone.now``) to a given instant."""

    def to(instant: datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: instant)

    return to


def _in_zone(study: Study, zone: str) -> Study:
    Study.objects.filter(pk=study.pk).update(time_zone=zone)
    study.refresh_from_db()
    return study


def _open_round(zone: str = "UTC", n_experts: int = 1) -> tuple[Round, list[Panelist]]:
    """Round 1 open until an hour from now (sessions and links stay valid when the clock moves past it)."""
    study = _in_zone(small_study(), zone)
    closes_at = timezone.now().replace(second=0, microsecond=0) + timedelta(hours=1)
    round_ = round_open(round=round_create(study=study), closes_at=closes_at)
    return round_, consented_panel(study, ["A"] * n_experts)


def _shown(round_: Round) -> str:
    """The deadline as the study shows it, checked against the local time and the zone's name."""
    text = moment_format(round_.closes_at, round_.study.time_zone)
    assert round_.closes_at is not None
    assert f"{round_.closes_at.astimezone(ZoneInfo(round_.study.time_zone)):%H:%M}" in text
    assert round_.study.time_zone in text
    return text


def _c1(round_: Round) -> int:
    return round_.round_items.get(item__code="C1").pk


def _events(round_: Round, action: str) -> list[str]:
    return list(AuditEvent.objects.filter(round=round_, action=action).values_list("actor_label", flat=True))


def _status(round_: Round) -> str:
    return Round.objects.get(pk=round_.pk).status


# --- the save service refuses every write after the deadline, whatever closed (or did not close) the round ---


def test_a_save_after_the_deadline_is_refused_though_nothing_has_closed_the_round(freeze) -> None:  # type: ignore[no-untyped-def]
    round_, (expert,) = _open_round("Europe/Paris")
    freeze(round_.closes_at + LATE)
    assert _status(round_) == Round.Status.OPEN  # no beat, no touch: still open in the database
    with pytest.raises(RatingError) as refused:
        ballot_save(panelist=expert, round=round_, entries=[RatingInput(_c1(round_), "agreement", 8)])
    assert (
        str(refused.value)
        == f"Round 1 is closed; answers can no longer change. Its deadline passed on {_shown(round_)}."
    )
    assert not Rating.objects.filter(ballot__panelist=expert).exists()


def test_a_submit_and_a_reopen_after_the_deadline_are_refused(freeze) -> None:  # type: ignore[no-untyped-def]
    round_, (first, second) = _open_round(n_experts=2)
    answer_round(round_, {first: {("C1", "agreement"): 8}}, submit=False)
    answer_round(round_, {second: {("C1", "agreement"): 6}})
    freeze(round_.closes_at + LATE)
    with pytest.raises(RatingError, match=f"Its deadline passed on {_shown(round_)}"):
        ballot_submit(panelist=first, round=round_)
    with pytest.raises(RatingError, match="deadline passed"):
        ballot_reopen(panelist=second, round=round_)
    ballots = dict(Ballot.objects.filter(round=round_).values_list("panelist_id", "status"))
    assert ballots == {first.pk: Ballot.Status.DRAFT, second.pk: Ballot.Status.SUBMITTED}


def test_an_autosave_after_the_deadline_is_refused_and_closes_the_round(
    client: Client,
    freeze,  # type: ignore[no-untyped-def]
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    round_, (expert,) = _open_round("Europe/Paris")
    enter(client, expert)
    ballot_url = client.post("/e/round/")["Location"]
    freeze(round_.closes_at + LATE)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{ballot_url}autosave/", {f"r{_c1(round_)}-agreement": "9"})
    assert response.status_code == 409
    assert f"deadline passed on {_shown(round_)}" in response.json()["message"]
    assert not Rating.objects.filter(ballot__panelist=expert).exists()
    assert _status(round_) == Round.Status.AGGREGATED


def test_the_questionnaire_form_saved_after_the_deadline_is_refused_and_shows_the_round_closed(
    client: Client,
    freeze,  # type: ignore[no-untyped-def]
) -> None:
    round_, (expert,) = _open_round()
    enter(client, expert)
    ballot_url = client.post("/e/round/")["Location"]
    freeze(round_.closes_at + LATE)
    response = client.post(ballot_url, {f"r{_c1(round_)}-agreement": "9", "action": "submit"})
    page = response.content.decode()
    assert response.status_code == 409
    assert "This round is closed." in page and f"Its deadline passed on {_shown(round_)}." in page
    assert "Submit my answers" not in page
    assert not Rating.objects.filter(ballot__panelist=expert).exists()


def _expert_api(study: Study) -> tuple[APIClient, Panelist]:
    expert, raw = panelist_create(study=study, email="late@example.org")
    expert.consent_at = timezone.now()
    expert.save(update_fields=["consent_at"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client, expert


def test_an_api_patch_and_submit_after_the_deadline_are_refused(freeze) -> None:  # type: ignore[no-untyped-def]
    round_, _ = _open_round("Europe/Paris")
    client, expert = _expert_api(round_.study)
    change = {"ratings": [{"item": "C1", "dimension": "agreement", "value": 7}]}
    saved = client.patch("/api/v1/me/ballot/", change, format="json")
    assert saved.status_code == 200, saved.content
    freeze(round_.closes_at + LATE)
    patch = client.patch(
        "/api/v1/me/ballot/", {"ratings": [{"item": "C1", "dimension": "agreement", "value": 2}]}, format="json"
    )
    submit = client.post("/api/v1/me/ballot/submit/")
    for refused in (patch, submit):
        assert refused.status_code == 409
        assert "answers can no longer change" in refused.json()["error"]["message"]
        assert f"Its deadline passed on {_shown(round_)}." in refused.json()["error"]["message"]
    ballot = Ballot.objects.get(panelist=expert)
    assert ballot.status == Ballot.Status.DRAFT and [r.value for r in ballot.ratings.all()] == [7]


# --- the first touch after the deadline closes and aggregates the round, exactly once ----------------------


def test_two_touches_after_the_deadline_close_and_aggregate_the_round_once(
    freeze,  # type: ignore[no-untyped-def]
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    round_, panel = _open_round(n_experts=3)
    answer_round(round_, {p: {("C1", "agreement"): 8} for p in panel})
    freeze(round_.closes_at + LATE)
    # Two requests that both read the round while it was still open, then touch it.
    first, second = Round.objects.get(pk=round_.pk), Round.objects.get(pk=round_.pk)
    with django_capture_on_commit_callbacks(execute=True) as enqueued:
        assert round_close_if_due(round=first) is True
        assert round_close_if_due(round=second) is False  # its conditional update found nothing to claim
    assert len(enqueued) == 1
    assert _events(round_, "round.closed") == ["deadline"]
    assert len(_events(round_, "round.aggregated")) == 1
    first.refresh_from_db()
    assert first.status == Round.Status.AGGREGATED
    assert Round.objects.get(pk=round_.pk).closed_at == round_.closes_at + LATE


def test_a_touch_before_the_deadline_changes_nothing_and_costs_no_query(
    django_assert_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    round_, _ = _open_round()
    with django_assert_num_queries(0):
        assert round_close_if_due(round=round_) is False
    assert _status(round_) == Round.Status.OPEN


def test_the_expert_pages_after_the_deadline_show_the_round_closed_and_it_is_aggregated_once(
    client: Client,
    freeze,  # type: ignore[no-untyped-def]
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    round_, panel = _open_round("Europe/Paris", n_experts=3)
    answer_round(round_, {p: {("C1", "agreement"): 8} for p in panel[1:]})
    enter(client, panel[0])
    ballot_url = client.post("/e/round/")["Location"]
    assert f"This round closes on {_shown(round_)}." in client.get(ballot_url).content.decode()
    freeze(round_.closes_at + LATE)
    with django_capture_on_commit_callbacks(execute=True):
        welcome = client.get("/e/welcome/").content.decode()
        page = client.get(ballot_url).content.decode()
    assert "Round 1 has closed" in welcome and "open until" not in welcome
    assert "This round is closed." in page and f"Its deadline passed on {_shown(round_)}." in page
    assert "until the round closes on" not in page and "data-autosave-url" not in page
    assert _status(round_) == Round.Status.AGGREGATED
    assert _events(round_, "round.closed") == ["deadline"] and len(_events(round_, "round.aggregated")) == 1


def test_the_rounds_api_after_the_deadline_reads_the_round_closed(
    freeze,  # type: ignore[no-untyped-def]
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    round_, _ = _open_round()
    staff = get_user_model().objects.create_user("facilitator", password=None, is_staff=True)
    client = APIClient()
    client.force_authenticate(staff)
    freeze(round_.closes_at + LATE)
    with django_capture_on_commit_callbacks(execute=True):
        listed = client.get(f"/api/v1/studies/{round_.study.slug}/rounds/").json()["results"]
    assert [r["status"] for r in listed] == [Round.Status.CLOSED]  # its aggregation runs once that commits
    assert _status(round_) == Round.Status.AGGREGATED
    assert _events(round_, "round.closed") == ["deadline"]


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_requests_touching_an_overdue_round_at_once_close_it_once_on_postgresql() -> None:
    require_postgres()
    round_, panel = _open_round(n_experts=3)
    answer_round(round_, {p: {("C1", "agreement"): 8} for p in panel})
    Round.objects.filter(pk=round_.pk).update(closes_at=timezone.now() - timedelta(seconds=1))
    start = threading.Barrier(2)
    results: list[object] = []

    def touch() -> None:
        try:
            mine = Round.objects.get(pk=round_.pk)  # each request reads it open
            start.wait(10)
            results.append(round_close_if_due(round=mine))
        except BaseException as exc:  # reported by the assertion below
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=touch) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(results, key=str) == [False, True]
    assert _events(round_, "round.closed") == ["deadline"]
    assert len(_events(round_, "round.aggregated")) == 1
    assert _status(round_) == Round.Status.AGGREGATED


# --- no page or email promises a time in the past ------------------------------------------------------------


def test_a_thank_you_sent_after_the_deadline_does_not_promise_revising_until_then(freeze) -> None:  # type: ignore[no-untyped-def]
    round_, (early, late) = _open_round("Europe/Paris", n_experts=2)
    answer_round(round_, {early: {("C1", "agreement"): 8}, late: {("C1", "agreement"): 6}})
    thank_you_send(ballot=Ballot.objects.get(panelist=early))
    assert f"You can still revise them until {_shown(round_)}." in mail.outbox[-1].body
    freeze(round_.closes_at + LATE)  # e.g. the worker was slow, or the sweep sends a lost thank-you
    thank_you_send(ballot=Ballot.objects.get(panelist=late))
    assert len(mail.outbox) == 2
    assert "revise" not in mail.outbox[-1].body and _shown(round_) not in mail.outbox[-1].body


def test_no_reminder_goes_out_after_the_deadline_and_the_round_closes(
    freeze,  # type: ignore[no-untyped-def]
) -> None:
    round_, _ = _open_round()
    freeze(round_.closes_at + LATE)
    assert send_reminders.delay(round_.pk).get() == 0
    assert mail.outbox == []
    assert _status(round_) in (Round.Status.CLOSED, Round.Status.AGGREGATED)


def test_an_overdue_open_round_cannot_get_a_new_deadline(freeze) -> None:  # type: ignore[no-untyped-def]
    round_, _ = _open_round()
    freeze(round_.closes_at + LATE)
    with pytest.raises(DomainError, match=r"passed its deadline .* its deadline can no longer change"):
        round_deadline_set(round=round_, closes_at=round_.closes_at + timedelta(days=1))
    assert Round.objects.get(pk=round_.pk).closes_at == round_.closes_at


# --- the dashboard -------------------------------------------------------------------------------------------


@pytest.fixture
def staff_client(client: Client) -> Client:
    client.force_login(get_user_model().objects.create_user("facilitator", password="x", is_staff=True))
    return client


def test_the_dashboard_closes_an_overdue_round_and_warns_its_statistics_are_missing(
    staff_client: Client,
    freeze,  # type: ignore[no-untyped-def]
) -> None:
    round_, _ = _open_round("Europe/Paris")
    # Nothing has touched the round; its aggregation waits for a commit that never comes in this test.
    freeze(round_.closes_at + LATE)
    page = staff_client.get(reverse("facilitator:study", args=[round_.study.slug])).content.decode()
    assert f"Round 1 passed its deadline on {_shown(round_)} and was closed just now." in page
    assert "its statistics are not computed yet" in page
    assert _status(round_) == Round.Status.CLOSED
    again = staff_client.get(reverse("facilitator:study", args=[round_.study.slug])).content.decode()
    assert "was closed just now" not in again and "its statistics are not computed yet" in again
    assert _events(round_, "round.closed") == ["deadline"]


# --- deadlines typed with an offset, or in the study's zone ---------------------------------------------------


def _round_open_command(study: Study, closes_at: str) -> str:
    out = io.StringIO()
    call_command("round", "open", study.slug, "--closes-at", closes_at, stdout=out)
    return out.getvalue()


def test_the_command_stores_an_offset_deadline_as_that_instant_and_echoes_it() -> None:
    study = small_study()
    out = _round_open_command(study, "2099-12-16T18:00+01:00")
    assert study.rounds.get().closes_at == datetime(2099, 12, 16, 17, 0, tzinfo=UTC)
    assert "until 16 Dec 2099, 17:00 UTC (2099-12-16 18:00+01:00 as given)" in out


def test_the_command_reads_a_deadline_without_offset_in_the_study_zone() -> None:
    study = _in_zone(small_study(), "Europe/Paris")
    out = _round_open_command(study, "2099-12-16T18:00")
    assert study.rounds.get().closes_at == datetime(2099, 12, 16, 17, 0, tzinfo=UTC)
    assert "until 16 Dec 2099, 18:00 CET (Europe/Paris) with" in out and "as given" not in out


def test_the_dashboard_form_reads_a_deadline_in_the_study_zone(staff_client: Client) -> None:
    study = _in_zone(small_study(), "Europe/Paris")
    round_create(study=study)
    url = reverse("facilitator:round_open", args=[study.slug, 1])
    assert "Closes at (Europe/Paris time, optional)" in staff_client.get(url).content.decode()
    response = staff_client.post(url, {"confirm": "on", "closes_at": "2099-07-01T18:00"}, follow=True)
    assert study.rounds.get().closes_at == datetime(2099, 7, 1, 16, 0, tzinfo=UTC)  # CEST, +02:00
    assert "Round 1 is open until 1 Jul 2099, 18:00 CEST (Europe/Paris)." in response.content.decode()


def test_the_api_reads_a_naive_deadline_in_the_study_zone_and_an_offset_as_given() -> None:
    study = _in_zone(small_study(), "Europe/Paris")
    client = APIClient()
    client.force_authenticate(get_user_model().objects.create_user("facilitator", password=None, is_staff=True))
    base = f"/api/v1/studies/{study.slug}/rounds/"
    created = client.post(base, {"closes_at": "2099-12-16T18:00"}, format="json")
    assert created.status_code == 201 and created.json()["closes_at"] == "2099-12-16T17:00:00Z"
    moved = client.post(f"{base}1/deadline/", {"closes_at": "2099-12-16T18:00-05:00"}, format="json")
    assert moved.json()["closes_at"] == "2099-12-16T23:00:00Z"
    skipped = client.post(f"{base}1/deadline/", {"closes_at": "2099-03-29T02:30"}, format="json")
    assert skipped.status_code == 400 and "closes_at" in skipped.json()["error"]["fields"]
    assert study.rounds.get().closes_at == datetime(2099, 12, 16, 23, 0, tzinfo=UTC)


# --- one format for every time shown ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "shown"),
    [
        ("UTC", "16 Dec 2099, 17:00 UTC"),
        ("Europe/Paris", "16 Dec 2099, 18:00 CET (Europe/Paris)"),
        ("America/New_York", "16 Dec 2099, 12:00 EST (America/New_York)"),
        ("Asia/Kabul", "16 Dec 2099, 21:30 UTC+04:30 (Asia/Kabul)"),
    ],
)
def test_a_time_is_shown_in_the_study_zone_with_the_zone_named(zone: str, shown: str) -> None:
    assert moment_format(DECEMBER_DEADLINE, zone) == shown


def test_a_wall_time_the_clocks_skip_is_refused_not_guessed() -> None:
    with pytest.raises(DomainError, match="happens twice or not at all in Europe/Paris"):
        deadline_parse("2099-03-29T02:30", "Europe/Paris")
    with pytest.raises(DomainError, match="is not a date and time"):
        deadline_parse("next tuesday", "UTC")
