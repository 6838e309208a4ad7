"""Mail never hangs and the delivery log never lies (issue "Security hardening", item 5).

A real SMTP conversation with a fake server on loopback: one that stalls at DATA must fail the send
after ``DELPHI_EMAIL_TIMEOUT_S`` instead of hanging the batch; the log says *claimed* while a send is in
progress, *sent* only once the server took the message, *failed* with the error otherwise; a send
abandoned mid-way (its worker died) is claimed again after the lease, by a retry or by the sweep,
with a fresh link; and the expert's link changes only when the email carrying the new one is sent.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from typing import ClassVar

import pytest
from django.core import mail
from django.core.mail.backends import locmem
from django.utils import timezone

from surveys.models import DeliveryLog, Panelist
from surveys.models.panel import hash_token
from surveys.services.mail import claim_lease, reminders_send
from surveys.services.rounds import round_create, round_open
from surveys.tasks import send_reminders, sweep_pending
from tests.factories import consented_panel, small_study
from tests.fake_smtp import fake_smtp

pytestmark = pytest.mark.django_db


@pytest.fixture
def open_round():  # type: ignore[no-untyped-def]
    study = small_study()
    round_ = round_open(round=round_create(study=study))
    return round_, consented_panel(study, ["A", "A", "B"])


def _smtp(settings, port: int, timeout: int = 1) -> None:  # type: ignore[no-untyped-def]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, timeout
    settings.EMAIL_USE_TLS = False


def _hashes(panel: list[Panelist]) -> list[str]:
    return [Panelist.objects.get(pk=p.pk).token_hash for p in panel]


def _link_token(body: str) -> str:
    line = next(line for line in body.splitlines() if "/e/" in line)
    return line[line.index("/e/") + 3 :].strip().strip("/")


def test_a_stalled_smtp_server_fails_the_batch_after_the_timeout_instead_of_hanging(open_round, settings) -> None:  # type: ignore[no-untyped-def]
    round_, panel = open_round
    before = _hashes(panel)
    with fake_smtp(stall=True) as server:
        _smtp(settings, server.port, timeout=1)
        # Without a timeout this waits until the server gives up (two minutes) and fails otherwise.
        outcome = reminders_send(round=round_)
    assert outcome.sent == [] and len(outcome.failed) == 3
    rows = DeliveryLog.objects.filter(round=round_, kind="reminder")
    assert {r.status for r in rows} == {DeliveryLog.Status.FAILED}
    assert all(r.sent_at is None and r.error for r in rows)
    assert "timed out" in rows.get(panelist=panel[0]).error
    assert _hashes(panel) == before  # nobody's link was retired for an email they never got


class InspectingBackend(locmem.EmailBackend):
    """Records, at the moment each message is handed to the backend, what the log and the link say."""

    seen: ClassVar[list[tuple[str, bool]]] = []

    def send_messages(self, messages):  # type: ignore[no-untyped-def]
        for message in messages:
            panelist = Panelist.objects.get(email=message.to[0])
            row = DeliveryLog.objects.get(panelist=panelist, kind="reminder")
            mailed = hash_token(_link_token(message.body))
            InspectingBackend.seen.append((row.status, panelist.token_hash == mailed))
        return super().send_messages(messages)


def test_while_a_send_is_in_progress_the_log_says_claimed_and_the_old_link_still_works(open_round, settings) -> None:  # type: ignore[no-untyped-def]
    round_, _ = open_round
    settings.EMAIL_BACKEND = "tests.test_mail_delivery.InspectingBackend"
    InspectingBackend.seen = []
    reminders_send(round=round_)
    # While sending: claimed, and the expert's live link is still the previous one, not the mailed one.
    assert InspectingBackend.seen == [(DeliveryLog.Status.CLAIMED, False)] * 3
    assert set(DeliveryLog.objects.filter(round=round_).values_list("status", flat=True)) == {"sent"}


def test_the_log_says_sent_once_the_server_took_it_and_the_mailed_link_is_the_live_one(open_round, settings) -> None:  # type: ignore[no-untyped-def]
    round_, panel = open_round
    with fake_smtp() as server:
        _smtp(settings, server.port, timeout=5)
        outcome = reminders_send(round=round_)
    assert len(outcome.sent) == 3 and len(server.received) == 3
    rows = DeliveryLog.objects.filter(round=round_, kind="reminder")
    assert {r.status for r in rows} == {DeliveryLog.Status.SENT} and all(r.sent_at for r in rows)
    live = set(_hashes(panel))
    assert {hash_token(_link_token(text)) for text in server.received} == live


def _abandoned(panelist: Panelist, round_, minutes_ago: float) -> DeliveryLog:  # type: ignore[no-untyped-def]
    """The row a worker leaves when it is killed between claiming an email and sending it."""
    at = timezone.now() - timedelta(minutes=minutes_ago)
    return DeliveryLog.objects.create(panelist=panelist, round=round_, kind="reminder", claimed_at=at)


def test_a_send_abandoned_mid_way_is_claimed_again_after_the_lease_with_a_fresh_working_link(open_round) -> None:  # type: ignore[no-untyped-def]
    round_, panel = open_round
    dead = _abandoned(panel[0], round_, minutes_ago=claim_lease().total_seconds() / 60 + 1)
    assert send_reminders.apply(args=(round_.pk,)).get() == 3  # the redelivered task skips nobody
    message = next(m for m in mail.outbox if m.to == [panel[0].email])
    assert Panelist.objects.get(pk=panel[0].pk).token_hash == hash_token(_link_token(message.body))
    dead.refresh_from_db()
    assert (dead.status, dead.attempts) == (DeliveryLog.Status.SENT, 2)


def test_a_claim_within_its_lease_is_left_to_the_sender_that_holds_it(open_round) -> None:  # type: ignore[no-untyped-def]
    round_, panel = open_round
    _abandoned(panel[0], round_, minutes_ago=0)
    assert send_reminders.apply(args=(round_.pk,)).get() == 2
    assert panel[0].email not in [m.to[0] for m in mail.outbox]


def test_the_sweep_sends_failed_and_abandoned_mail_again(open_round) -> None:  # type: ignore[no-untyped-def]
    round_, panel = open_round
    _abandoned(panel[0], round_, minutes_ago=claim_lease().total_seconds() / 60 + 1)
    DeliveryLog.objects.create(panelist=panel[1], round=round_, kind="reminder", status="failed", error="boom")
    DeliveryLog.objects.create(panelist=panel[2], round=round_, kind="reminder", status="sent", sent_at=timezone.now())
    swept = sweep_pending()
    assert len(swept["mail"]) == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([panel[0].email, panel[1].email])
    assert set(DeliveryLog.objects.filter(round=round_).values_list("status", flat=True)) == {"sent"}


def _email_timeout_with(value: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DELPHI_EMAIL_TIMEOUT_S"}
    if value is not None:
        env["DELPHI_EMAIL_TIMEOUT_S"] = value
    code = "from django.conf import settings; print(settings.EMAIL_TIMEOUT)"
    env["DJANGO_SETTINGS_MODULE"] = "delphi.settings"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)  # noqa: S603


@pytest.mark.django_db(databases=[])
def test_smtp_has_a_timeout_of_30_s_by_default_set_by_delphi_email_timeout_s() -> None:
    assert _email_timeout_with(None).stdout.strip() == "30"
    assert _email_timeout_with("7").stdout.strip() == "7"
    refused = _email_timeout_with("0")
    assert refused.returncode != 0 and "DELPHI_EMAIL_TIMEOUT_S=0 must be at least 1" in refused.stderr
