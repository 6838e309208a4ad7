"""A real Celery worker is killed (SIGKILL) while an SMTP server holds its reminder at DATA.

Before: the log said "sent" from the moment of claiming and the expert's link had already been
replaced, so the redelivered task skipped them and they were left with a dead link and no email.
Now the row stays *claimed*, the link is unchanged, and once the claim's lease has passed the
redelivered task claims it again and sends a fresh, working link. Needs PostgreSQL and Redis.
"""

from __future__ import annotations

import time
import uuid

import pytest

from surveys.models import DeliveryLog, Panelist
from surveys.models.panel import hash_token
from surveys.services.queue import SEND_REMINDERS, enqueue
from surveys.services.rounds import round_create, round_open
from tests.conftest import start_celery_worker, stop_celery_worker, tasks_sent_to
from tests.factories import consented_panel, small_study
from tests.fake_smtp import fake_smtp
from tests.services import require_postgres, require_redis
from tests.test_worker_faults import wait_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _smtp_env(port: int, timeout_s: int) -> dict[str, str]:
    return {
        "DELPHI_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "DELPHI_EMAIL_HOST": "127.0.0.1",
        "DELPHI_EMAIL_PORT": str(port),
        "DELPHI_EMAIL_TIMEOUT_S": str(timeout_s),
        "DELPHI_BROKER_VISIBILITY_TIMEOUT_S": "3",
    }


def _token_in(message: str) -> str:
    line = next(line for line in message.splitlines() if "/e/" in line)
    return line[line.index("/e/") + 3 :].strip().strip("/")


def test_a_worker_killed_mid_send_leaves_a_claim_that_the_redelivered_task_sends_with_a_live_link() -> None:
    require_postgres()
    require_redis()
    study = small_study()
    round_ = round_open(round=round_create(study=study))
    consented_panel(study, ["A", "B"])
    before = {p.pk: p.token_hash for p in Panelist.objects.filter(study=study)}
    queue = f"test-{uuid.uuid4().hex[:8]}"
    with tasks_sent_to(queue), fake_smtp(stall=True) as stalling, fake_smtp() as working:
        doomed = start_celery_worker(queue, **_smtp_env(stalling.port, timeout_s=60))
        try:
            enqueue(SEND_REMINDERS, round_.pk)
            assert stalling.data_seen.wait(60), "the worker never reached DATA"
            doomed.kill()
            doomed.wait(timeout=10)
        finally:
            if doomed.poll() is None:
                doomed.kill()

        claim = DeliveryLog.objects.get(round=round_, kind="reminder")
        assert (claim.status, claim.sent_at) == (DeliveryLog.Status.CLAIMED, None)  # not "sent"
        assert {p.pk: p.token_hash for p in Panelist.objects.filter(study=study)} == before

        time.sleep(4.5)  # the rescuer's lease is 4 × its 1 s SMTP timeout
        rescuer = start_celery_worker(queue, **_smtp_env(working.port, timeout_s=1))
        try:
            wait_for(
                lambda: DeliveryLog.objects.filter(round=round_, kind="reminder", status="sent").count() == 2,
                60,
                "the redelivered reminders to be sent",
            )
        finally:
            stop_celery_worker(rescuer)

    assert len(working.received) == 2
    live = {p.token_hash for p in Panelist.objects.filter(study=study)}
    assert {hash_token(_token_in(m)) for m in working.received} == live
    assert live.isdisjoint(before.values())
    claim.refresh_from_db()
    assert claim.attempts == 2
