"""A task through a real Celery worker on Redis, with PostgreSQL. Skips without them; CI requires them."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from surveys.models import AuditEvent, ItemStatistic, Round
from surveys.services.rounds import round_create, round_open
from surveys.tasks import close_due_rounds
from tests.factories import answer_round, consented_panel, small_study

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_a_real_worker_closes_a_due_round_and_then_aggregates_it(celery_worker_process: str) -> None:
    study = small_study()
    round_ = round_open(round=round_create(study=study))
    answer_round(round_, {p: {("C1", "agreement"): 8} for p in consented_panel(study, ["A", "A", "A"])})
    Round.objects.filter(pk=round_.pk).update(closes_at=timezone.now() - timedelta(seconds=1))

    close_due_rounds.delay()

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        round_.refresh_from_db()
        if round_.status == Round.Status.AGGREGATED:
            break
        time.sleep(0.2)
    assert round_.status == Round.Status.AGGREGATED
    assert AuditEvent.objects.filter(round=round_, action="round.closed", actor_label="deadline").count() == 1
    c1 = ItemStatistic.objects.get(round=round_, round_item__item__code="C1", dimension__key="agreement", group="")
    assert (c1.n, c1.median, c1.verdict) == (3, 8.0, "in")
