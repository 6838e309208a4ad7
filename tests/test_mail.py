"""Email through Celery: invitations, reminders and thank-yous, each once, with editable wording."""

from __future__ import annotations

import io
import threading
from smtplib import SMTPException
from typing import ClassVar

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from surveys.errors import DomainError
from surveys.models import Ballot, DeliveryLog, Panelist
from surveys.models.panel import hash_token
from surveys.services.ballots import ballot_reopen, ballot_submit
from surveys.services.mail import (
    invitations_request,
    invitations_send,
    message_render,
    message_template_reset,
    message_template_save,
    reminders_send,
    thank_you_send,
)
from surveys.services.panel_roster import panelist_revoke
from surveys.services.rounds import round_close, round_create, round_open
from surveys.tasks import send_invitations, send_reminders, send_thank_you
from tests.factories import answer_round, consented_panel, small_study
from tests.services import require_postgres

pytestmark = pytest.mark.django_db


class FlakyBackend(EmailBackend):
    """The in-memory backend, refusing mail to the addresses in ``failing`` (like an SMTP error)."""

    failing: ClassVar[set[str]] = set()

    def send_messages(self, messages):  # type: ignore[no-untyped-def]
        for message in messages:
            if set(message.to) & self.failing:
                raise SMTPException(f"refused {message.to}")
        return super().send_messages(messages)


@pytest.fixture
def flaky(settings):  # type: ignore[no-untyped-def]
    settings.EMAIL_BACKEND = "tests.test_mail.FlakyBackend"
    FlakyBackend.failing = set()
    yield FlakyBackend.failing
    FlakyBackend.failing = set()


@pytest.fixture
def open_round():  # type: ignore[no-untyped-def]
    study = small_study()
    round_ = round_open(round=round_create(study=study))
    panel = consented_panel(study, ["A", "A", "B", "B"])
    return round_, panel


def _to(kind_subject: str) -> list[str]:
    return sorted(m.to[0] for m in mail.outbox if m.subject.startswith(kind_subject))


def _link_path(body: str) -> str:
    line = next(line for line in body.splitlines() if "/e/" in line)
    return line[line.index("/e/") :].strip()


def _opens(path: str) -> bool:
    """Whether an invitation link ``/e/<token>/`` belongs to an expert still on the panel.

    Checked against the stored hash rather than through the expert pages, which change elsewhere.
    """
    token = path.removeprefix("/e/").strip("/")
    return Panelist.objects.filter(token_hash=hash_token(token)).exclude(status=Panelist.Status.REVOKED).exists()


# --- invitations ------------------------------------------------------------------------------------------


def test_every_reachable_expert_gets_one_invitation_with_a_working_link(open_round) -> None:  # type: ignore[no-untyped-def]
    round_, panel = open_round
    panelist_revoke(panelist=panel[3])
    outcome = invitations_send(round=round_)
    assert len(outcome.sent) == 3
    assert _to("Invitation") == sorted(p.email for p in panel[:3])
    message = mail.outbox[0]
    assert 'round 1 of the expert panel "A small study"' in message.body
    assert _opens(_link_path(message.body))
    assert DeliveryLog.objects.filter(kind="invitation").count() == 3


def test_the_link_in_the_newest_email_is_the_valid_one(open_round) -> None:  # type: ignore[no-untyped-def]
    round_, (first, *_) = open_round
    invitations_send(round=round_)
    invitation = next(m for m in mail.outbox if m.to == [first.email])
    reminders_send(round=round_)
    reminder = next(m for m in mail.outbox if m.to == [first.email] and m.subject.startswith("Reminder"))
    assert not _opens(_link_path(invitation.body))
    assert _opens(_link_path(reminder.body))


def test_a_retried_invitation_task_sends_no_duplicate(open_round) -> None:  # type: ignore[no-untyped-def]
    round_, _ = open_round
    assert send_invitations.delay(round_.pk).get() == 4
    assert send_invitations.delay(round_.pk).get() == 0  # a redelivery or a second click
    assert len(mail.outbox) == 4
    assert len(set(_to("Invitation"))) == 4


def test_an_expert_added_later_is_invited_by_the_next_run_alone(open_round) -> None:  # type: ignore[no-untyped-def]
    round_, _ = open_round
    invitations_send(round=round_)
    (late,) = consented_panel(round_.study, ["C"])
    outcome = invitations_send(round=round_)
    assert (outcome.sent, outcome.skipped) == ([late.pseudonym], 4)


def test_invitations_go_out_only_while_the_round_is_open() -> None:
    round_ = round_create(study=small_study())
    with pytest.raises(DomainError, match="Round 1 is draft; invitations go out only while a round is open"):
        invitations_send(round=round_)
    with pytest.raises(DomainError, match="only while a round is open"):
        invitations_request(round=round_)


def test_the_invitation_task_for_a_round_closed_meanwhile_sends_nothing(open_round) -> None:  # type: ignore[no-untyped-def]
    round_, _ = open_round
    round_close(round=round_, aggregate=False)
    assert send_invitations.delay(round_.pk).get() == 0
    assert mail.outbox == []


def test_an_invitation_request_sends_once_the_transaction_commits(
    open_round, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    round_, _ = open_round
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        invitations_request(round=round_)
        assert mail.outbox == []
    assert len(callbacks) == 1
    assert len(mail.outbox) == 4


# --- reminders ---------------------------------------------------------------------------------------------


def test_reminders_skip_panelists_who_submitted_and_revoked_ones(open_round) -> None:  # type: ignore[no-untyped-def]
    round_, (done, revoked, withdrawn, waiting) = open_round
    answer_round(round_, {done: {("C1", "agreement"): 8}})
    answer_round(round_, {waiting: {("C1", "agreement"): 5}}, submit=False)  # a draft is not an answer
    panelist_revoke(panelist=revoked)
    Panelist.objects.filter(pk=withdrawn.pk).update(status=Panelist.Status.WITHDRAWN)
    outcome = reminders_send(round=round_)
    assert outcome.sent == [waiting.pseudonym]
    assert _to("Reminder") == [waiting.email]


def test_reminders_are_sent_once_when_the_task_is_retried(open_round) -> None:  # type: ignore[no-untyped-def]
    round_, panel = open_round
    assert send_reminders.delay(round_.pk).get() == 4
    assert send_reminders.delay(round_.pk).get() == 0
    assert send_reminders.apply(args=(round_.pk,), retries=1).get() == 0  # an explicit retry of the task
    assert _to("Reminder") == sorted(p.email for p in panel)


def test_a_failed_send_is_logged_failed_and_the_retry_sends_it_and_only_it(open_round, flaky) -> None:  # type: ignore[no-untyped-def]
    round_, (ok, failing, *_) = open_round
    invitations_send(round=round_)
    old_link = _link_path(next(m for m in mail.outbox if m.to == [failing.email]).body)
    mail.outbox.clear()
    flaky.add(failing.email)

    with pytest.raises(Retry, match=r"1 failed \(Expert 002\)"):  # the task asks Celery to retry it
        send_reminders.apply(args=(round_.pk,))
    assert failing.email not in _to("Reminder") and len(_to("Reminder")) == 3
    row = DeliveryLog.objects.get(panelist=failing, kind="reminder")
    assert row.status == DeliveryLog.Status.FAILED and row.sent_at is None
    assert "SMTPException: refused" in row.error
    assert _opens(old_link)  # the failed email's link never replaced the one the expert has

    flaky.clear()
    assert send_reminders.apply(args=(round_.pk,), retries=1).get() == 1
    assert _to("Reminder").count(failing.email) == 1
    assert _to("Reminder").count(ok.email) == 1
    assert len(mail.outbox) == 4
    row.refresh_from_db()
    assert (row.status, row.attempts) == (DeliveryLog.Status.SENT, 2) and row.sent_at is not None


def test_reminders_go_out_only_while_the_round_is_open(open_round) -> None:  # type: ignore[no-untyped-def]
    round_, _ = open_round
    round_close(round=round_, aggregate=False)
    with pytest.raises(DomainError, match="reminders go out only while a round is open"):
        reminders_send(round=round_)


def test_the_send_reminders_command_reminds_and_reports(open_round) -> None:  # type: ignore[no-untyped-def]
    round_, (done, *_) = open_round
    answer_round(round_, {done: {("C1", "agreement"): 8}})
    out = io.StringIO()
    call_command("send_reminders", "small-study", stdout=out)
    assert "Reminders for round 1 of 'small-study': 3 sent, 0 already sent." in out.getvalue()
    call_command("send_reminders", "small-study", stdout=out)
    assert "0 sent, 3 already sent" in out.getvalue()
    assert len(_to("Reminder")) == 3


def test_the_send_reminders_command_exits_2_without_an_open_round() -> None:
    small_study()
    with pytest.raises(CommandError, match="has no open round") as refused:
        call_command("send_reminders", "small-study", stdout=io.StringIO())
    assert refused.value.returncode == 2


# --- thank-you -----------------------------------------------------------------------------------------------


def test_a_submission_is_thanked_once_after_it_commits(open_round, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    round_, (expert, *_) = open_round
    answer_round(round_, {expert: {("C1", "agreement"): 8}}, submit=False)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        ballot = ballot_submit(panelist=expert, round=round_)
        assert mail.outbox == []  # nothing leaves before the submission commits
    assert _to("Thank you") == [expert.email]
    assert "/e/" not in mail.outbox[0].body  # a thank-you carries no link

    ballot_reopen(panelist=expert, round=round_)
    with django_capture_on_commit_callbacks(execute=True):
        ballot = ballot_submit(panelist=expert, round=round_)
    assert send_thank_you.delay(ballot.pk).get() == 0  # resubmitting is not thanked twice
    assert len(mail.outbox) == 1


def test_the_demo_panel_submits_without_thank_you_mail(open_round, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    round_, (expert, *_) = open_round
    answer_round(round_, {expert: {("C1", "agreement"): 8}}, submit=False)
    with django_capture_on_commit_callbacks(execute=True):
        ballot_submit(panelist=expert, round=round_, notify=False)
    assert mail.outbox == []


def test_a_ballot_reopened_before_the_thank_you_runs_is_not_thanked(open_round) -> None:  # type: ignore[no-untyped-def]
    round_, (expert, *_) = open_round
    answer_round(round_, {expert: {("C1", "agreement"): 8}})
    ballot = ballot_reopen(panelist=expert, round=round_)
    assert ballot.status == Ballot.Status.DRAFT
    assert thank_you_send(ballot=ballot).sent == []
    assert mail.outbox == []


# --- templates ------------------------------------------------------------------------------------------------


def test_a_study_can_word_its_own_invitation(open_round) -> None:  # type: ignore[no-untyped-def]
    round_, _ = open_round
    message_template_save(
        study=round_.study,
        kind="invitation",
        subject="Round {{ round.number }} & more: {{ study.title }}",
        body="Hello {{ name }}, answer at {{ link }}{% if closes_at %} by {{ closes_at }}{% endif %}.",
    )
    invitations_send(round=round_)
    message = mail.outbox[0]
    assert message.subject == "Round 1 & more: A small study"  # plain text: nothing is HTML-escaped
    assert message.body.startswith("Hello , answer at http://")
    message_template_reset(study=round_.study, kind="invitation")
    subject, _ = message_render(study=round_.study, round=round_, kind="invitation")
    assert subject == "Invitation: A small study, round 1"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("Hello {% if %}", "The body is not a valid template"),
        ("Hello, answer soon.", "The body must contain {{ link }}"),
        ('{{ link }} {% include "base.html" %}', "uses {% include %}, which is not allowed"),
        ("{{ link }} {% debug %}", "uses {% debug %}, which is not allowed"),
        ("{% load static %}{{ link }}", "The body is not a valid template"),
    ],
)
def test_a_template_that_would_break_or_leak_is_refused_when_saved(body: str, error: str) -> None:
    study = small_study()
    with pytest.raises(DomainError, match=error.replace("{", r"\{").replace("}", r"\}")):
        message_template_save(study=study, kind="invitation", subject="Hi", body=body)
    assert not study.message_templates.exists()


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_reminder_runs_at_once_on_postgresql_send_each_reminder_once() -> None:
    require_postgres()
    study = small_study()
    round_ = round_open(round=round_create(study=study))
    panel = consented_panel(study, ["A"] * 6)
    start = threading.Barrier(2)
    outcomes: list[object] = []

    def run() -> None:
        try:
            start.wait(10)
            outcomes.append(reminders_send(round=round_))
        except BaseException as exc:
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert all(not isinstance(o, BaseException) for o in outcomes), outcomes
    assert sum(len(o.sent) for o in outcomes) == 6  # type: ignore[attr-defined]
    assert _to("Reminder") == sorted(p.email for p in panel)
