"""Open the round and invite: one service, ``round_open(..., invite=True)``, that the dashboard, the API
and the ``round`` command all call. The invitations go out once the opening commits, never for an
opening that failed; the command says what became of them."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from delphi.celery import app as celery_app
from surveys.errors import DomainError
from surveys.models import DeliveryLog, Round
from surveys.services.queue import SEND_INVITATIONS
from surveys.services.rounds import round_create, round_open
from tests.conftest import tasks_sent_to
from tests.factories import consented_panel, small_study
from tests.test_mail import FlakyBackend


@pytest.fixture
def refusing(settings):  # type: ignore[no-untyped-def]
    """Addresses the mail server refuses (tests.test_mail.FlakyBackend)."""
    settings.EMAIL_BACKEND = "tests.test_mail.FlakyBackend"
    FlakyBackend.failing = set()
    yield FlakyBackend.failing
    FlakyBackend.failing = set()


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("round", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_opening_with_invite_sends_the_invitations_once_the_opening_commits(
    django_capture_on_commit_callbacks,
) -> None:  # type: ignore[no-untyped-def]
    study = small_study()
    panel = consented_panel(study, ["A", "B"])
    with django_capture_on_commit_callbacks(execute=True):
        round_open(round=round_create(study=study), invite=True, actor_label="test")
        assert mail.outbox == []  # not before the commit
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in panel)
    sent = DeliveryLog.objects.filter(kind=DeliveryLog.Kind.INVITATION, status=DeliveryLog.Status.SENT)
    assert sent.count() == 2


@pytest.mark.django_db
def test_an_opening_that_fails_invites_nobody(django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    study = small_study()
    consented_panel(study, ["A", "B"])
    draft = round_create(study=study)
    with django_capture_on_commit_callbacks(execute=True) as queued, pytest.raises(DomainError, match="in the past"):
        round_open(round=draft, invite=True, closes_at=timezone.now() - timedelta(days=1))
    assert queued == [] and mail.outbox == []
    assert Round.objects.get(pk=draft.pk).status == Round.Status.DRAFT


@pytest.mark.django_db
def test_opening_without_invite_sends_nothing(django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    study = small_study()
    consented_panel(study, ["A", "B"])
    with django_capture_on_commit_callbacks(execute=True):
        round_open(round=round_create(study=study))
    assert mail.outbox == [] and not DeliveryLog.objects.exists()


# The command runs in autocommit, as from a shell, so the invitations go out as the opening commits.


@pytest.mark.django_db(transaction=True)
def test_the_round_command_invites_as_it_opens_and_says_how_many_were_sent() -> None:
    study = small_study()
    consented_panel(study, ["A", "A", "B"])
    out = _run("open", "small-study", "--invite")
    assert "Round 1 of 'small-study' is open" in out
    assert "Invitations for round 1: 3 sent, 0 already sent." in out
    assert len(mail.outbox) == 3
    assert study.audit_events.get(action="round.opened").actor_label == "command"


@pytest.mark.django_db(transaction=True)
def test_the_round_command_exits_1_naming_the_experts_whose_invitation_failed(refusing) -> None:  # type: ignore[no-untyped-def]
    study = small_study()
    _, refused = consented_panel(study, ["A", "B"])
    refusing.add(refused.email)
    out = io.StringIO()
    with pytest.raises(CommandError, match="Some invitations failed") as failed:
        call_command("round", "open", "small-study", "--invite", stdout=out)
    assert failed.value.returncode == 1
    assert f"Invitations for round 1: 1 sent, 0 already sent, 1 failed ({refused.pseudonym})." in out.getvalue()
    assert Round.objects.get(study=study).status == Round.Status.OPEN  # the round is open all the same
    assert [m.to for m in mail.outbox] == [[p.email] for p in study.panelists.exclude(pk=refused.pk)]


@pytest.mark.django_db(transaction=True)
def test_with_a_broker_the_round_command_says_the_invitations_are_queued_for_a_worker() -> None:
    study = small_study()
    consented_panel(study, ["A"])
    queue = f"test-{uuid.uuid4().hex[:8]}"  # a queue no worker consumes
    with tasks_sent_to(queue):
        out = _run("open", "small-study", "--invite")
    assert "Invitations for round 1 are queued; a worker sends them." in out
    assert mail.outbox == []
    with celery_app.connection_for_write() as connection, connection.SimpleQueue(queue) as waiting:
        message = waiting.get(timeout=5)
        message.ack()  # and so off the broker
    assert message.headers["task"] == SEND_INVITATIONS
    assert message.headers["argsrepr"] == f"({Round.objects.get(study=study).pk},)"
