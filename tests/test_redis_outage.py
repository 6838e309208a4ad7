"""Redis (the broker and the cache) is stopped while experts submit.

A Redis of the test's own is started on a free port, so that stopping it leaves the shared one
alone; the app in this process and a real Celery worker both use it as broker and cache. While it is
down, experts open their links, save and submit through the real pages: every ballot is saved,
nothing answers 500, and the round's close leaves its aggregation pending. Once Redis is back, the
periodic sweep (sent through the broker, as celery beat sends it) hands the aggregation and the lost
thank-you mails to the worker, which aggregates the round and sends them. Needs PostgreSQL, Redis
and the redis-server program: skipped with a reason without them, required in CI.
"""

from __future__ import annotations

import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from delphi.celery import app as celery_app
from surveys.models import Ballot, DeliveryLog, ItemStatistic, Rating, Round
from surveys.services.rounds import round_close, round_create, round_open
from surveys.tasks import SWEEP_GRACE, sweep_pending
from tests.conftest import start_celery_worker, stop_celery_worker, tasks_sent_to
from tests.factories import consented_panel, small_study
from tests.services import require_postgres, require_redis, require_redis_server
from tests.test_expert_views import begin, enter, ri
from tests.test_worker_faults import wait_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


class ScratchRedis:
    """A redis-server on a free loopback port, keeping nothing on disk, that can be stopped and restarted."""

    def __init__(self, program: str) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.program = program
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        argv = [self.program, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
        wait_for(self.answers, 15, f"redis-server on port {self.port} to start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=15)
            self.process = None
        assert not self.answers()

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False


def _use_broker(url: str) -> None:
    celery_app.conf.broker_url = url
    celery_app._pool = None  # drop pooled connections to the previous broker
    celery_app.amqp._producer_pool = None


@pytest.fixture
def scratch_redis(settings: Any) -> Iterator[ScratchRedis]:
    require_postgres()
    require_redis()
    redis = ScratchRedis(require_redis_server())
    redis.start()
    previous = celery_app.conf.broker_url
    settings.CACHES = {
        **settings.CACHES,  # sessions stay on local disk (delphi.settings): they do not depend on Redis
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis.url},
    }
    _use_broker(redis.url)
    try:
        yield redis
    finally:
        _use_broker(previous)
        redis.stop()


def _submit(client: Client, url: str, round_: Round, value: int) -> str:
    form = {f"r{ri(round_, 'C1')}-agreement": str(value), "action": "submit-anyway"}  # C2 and R1 left unanswered
    response = client.post(url, form, follow=True)
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def test_ballots_submitted_while_redis_is_down_are_kept_and_aggregated_once_it_is_back(
    scratch_redis: ScratchRedis,
) -> None:
    study = small_study()
    round_ = round_open(round=round_create(study=study))
    early, late, last = consented_panel(study, ["A", "A", "B"])
    queue = f"test-{uuid.uuid4().hex[:8]}"
    with tasks_sent_to(queue):
        worker = start_celery_worker(queue, REDIS_URL=scratch_redis.url)
        try:
            clients = {p.pk: Client() for p in (early, late, last)}
            urls = {p.pk: begin(clients[p.pk], p, round_) for p in (early, late)}

            scratch_redis.stop()
            urls[last.pk] = begin(clients[last.pk], last, round_)  # the link and the session work without it
            for value, panelist in zip((8, 7, 2), (early, late, last), strict=True):
                page = _submit(clients[panelist.pk], urls[panelist.pk], round_, value)
                assert "Your answers are submitted." in page
            enter(Client(), early)  # a new link opens too: the guess limiter fails open, not shut
            round_close(round=round_)  # its aggregation cannot be sent
            assert not DeliveryLog.objects.filter(round=round_).exists()  # nor the thank-you mails

            assert Ballot.objects.filter(round=round_, status=Ballot.Status.SUBMITTED).count() == 3
            assert sorted(Rating.objects.filter(ballot__round=round_).values_list("value", flat=True)) == [2, 7, 8]
            round_.refresh_from_db()
            assert round_.status == Round.Status.CLOSED and not ItemStatistic.objects.filter(round=round_).exists()

            scratch_redis.start()
            a_while_ago = timezone.now() - SWEEP_GRACE - timedelta(seconds=1)
            Round.objects.filter(pk=round_.pk).update(closed_at=a_while_ago)
            Ballot.objects.filter(round=round_).update(submitted_at=a_while_ago)
            sent = time.monotonic()
            sweep_pending.apply_async()  # as celery beat sends it every minute
            wait_for(
                lambda: Round.objects.get(pk=round_.pk).status == Round.Status.AGGREGATED,
                120,
                "the worker to reconnect, run the sweep and aggregate the round",
            )
            assert time.monotonic() - sent < 120
            wait_for(
                lambda: DeliveryLog.objects.filter(round=round_, kind=DeliveryLog.Kind.THANK_YOU).count() == 3,
                60,
                "the sweep to send the three thank-you mails lost while Redis was down",
            )
        finally:
            stop_celery_worker(worker)
    whole_panel = ItemStatistic.objects.get(
        round=round_, round_item__item__code="C1", dimension__key="agreement", group=""
    )
    assert (whole_panel.n, whole_panel.median) == (3, 7)
