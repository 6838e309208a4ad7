"""With the broker down, ballots are still saved and the lost work is re-sent by the sweep."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from delphi.celery import app as celery_app
from surveys.models import Ballot, DeliveryLog, Panelist, Round
from surveys.services import queue
from surveys.services.rounds import round_close, round_create, round_open
from surveys.tasks import SWEEP_GRACE, sweep_pending
from tests.factories import answer_round, consented_panel, small_study

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker_down() -> Iterator[None]:
    """A real Celery producer pointed at a port where no broker listens."""
    conf = celery_app.conf
    saved = (conf.broker_url, conf.task_always_eager)
    conf.broker_url, conf.task_always_eager = "redis://127.0.0.1:1/0", False
    celery_app._pool = None  # drop pooled connections to the previous broker
    celery_app.amqp._producer_pool = None
    yield
    conf.broker_url, conf.task_always_eager = saved
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def test_enqueue_reports_a_missing_broker_instead_of_raising(broker_down: None) -> None:
    assert queue.enqueue(queue.AGGREGATE_ROUND, 1) is False


def test_closing_a_round_with_the_broker_down_keeps_every_ballot(
    broker_down: None, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    study = small_study()
    round_ = round_open(round=round_create(study=study))
    answer_round(round_, {p: {("C1", "agreement"): 8} for p in consented_panel(study, ["A", "A", "A"])})
    with django_capture_on_commit_callbacks(execute=True):
        round_close(round=round_)
    round_.refresh_from_db()
    assert round_.status == Round.Status.CLOSED  # the aggregation task could not be sent
    assert Ballot.objects.filter(round=round_, status=Ballot.Status.SUBMITTED).count() == 3


def test_the_sweep_aggregates_a_round_whose_task_was_lost() -> None:
    study = small_study()
    round_ = round_open(round=round_create(study=study))
    answer_round(round_, {p: {("C1", "agreement"): 8} for p in consented_panel(study, ["A", "A", "A"])})
    round_close(round=round_, aggregate=False)  # as if the enqueue had failed
    assert sweep_pending()["aggregate"] == []  # too recent: its own task may still be on the way
    Round.objects.filter(pk=round_.pk).update(closed_at=timezone.now() - timedelta(minutes=5))
    assert sweep_pending()["aggregate"] == [round_.pk]
    round_.refresh_from_db()
    assert round_.status == Round.Status.AGGREGATED


def test_the_sweep_sends_the_thank_you_a_lost_task_did_not_once(mailoutbox) -> None:  # type: ignore[no-untyped-def]
    study = small_study()
    round_ = round_open(round=round_create(study=study))
    real, synthetic, recent = consented_panel(study, ["A", "A", "A"])
    Panelist.objects.filter(pk=synthetic.pk).update(is_synthetic=True)
    answer_round(round_, {p: {("C1", "agreement"): 8} for p in (real, synthetic, recent)})  # submits, unthanked
    a_while_ago = timezone.now() - SWEEP_GRACE - timedelta(seconds=1)
    Ballot.objects.filter(round=round_).exclude(panelist=recent).update(submitted_at=a_while_ago)

    assert sweep_pending()["thanks"] == [Ballot.objects.get(panelist=real).pk]
    assert [m.to for m in mailoutbox] == [[real.email]]
    assert DeliveryLog.objects.filter(panelist=real, round=round_, kind=DeliveryLog.Kind.THANK_YOU).count() == 1
    assert sweep_pending()["thanks"] == []  # thanked: never twice
