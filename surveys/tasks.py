"""Celery tasks: thin, take ids, idempotent. Each loads by id and calls one service.

The tasks import the services and models only. The services send these tasks by name, through
``surveys.services.queue``, so no other module of the app imports this one: Celery autodiscovers it.
"""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from surveys.models import Ballot, DeliveryLog, ReportJob, Round
from surveys.services import queue
from surveys.services.aggregation import round_aggregate
from surveys.services.mail import (
    deliveries_unfinished,
    invitations_send,
    reminders_send,
    thank_you_missing,
    thank_you_send,
)
from surveys.services.reports import report_job_run
from surveys.services.rounds import round_close_if_due, rounds_close_due

# A round closed longer ago than this and still not aggregated lost its task (e.g. Redis was down).
SWEEP_GRACE = timedelta(minutes=1)
# Thank-you mails lost the same way are still sent if the submission is at most this old.
THANK_YOU_SWEEP_WINDOW = timedelta(days=2)


@shared_task(name="surveys.tasks.close_due_rounds")
def close_due_rounds() -> list[int]:
    """Periodic (celery beat): close every open round whose deadline has passed; each close enqueues
    its aggregation once it commits. The first page or API call after a deadline closes a round the
    same way (``round_close_if_due``), so deadlines hold without beat; this sweeps up the rest."""
    return [r.pk for r in rounds_close_due()]


@shared_task(name="surveys.tasks.sweep_pending")
def sweep_pending() -> dict[str, list[int]]:
    """Periodic: re-send work whose task was lost, e.g. while the broker was down.

    Rounds closed a while ago but not aggregated get their aggregation; open live rounds still
    marked stale get their recomputation; report jobs still queued get built; experts who submitted
    in the last two days (not synthetic ones) and were not thanked get their thank-you. Every one of
    these tasks is idempotent (mail is sent once per expert, round and kind), so a duplicate does no
    harm.
    """
    due = timezone.now() - SWEEP_GRACE
    closed = list(Round.objects.filter(status=Round.Status.CLOSED, closed_at__lte=due).values_list("pk", flat=True))
    stale = list(
        Round.objects.filter(status=Round.Status.OPEN, is_live_feedback=True, is_live_stale=True).values_list(
            "pk", flat=True
        )
    )
    for round_id in closed:
        queue.enqueue(queue.AGGREGATE_ROUND, round_id)
    for round_id in stale:
        queue.enqueue(queue.AGGREGATE_ROUND_LIVE, round_id)
    reports = list(
        ReportJob.objects.filter(status=ReportJob.Status.QUEUED, created_at__lte=due).values_list("pk", flat=True)
    )
    for job_id in reports:
        queue.enqueue(queue.BUILD_REPORT, job_id)
    thanks = thank_you_missing(submitted_after=timezone.now() - THANK_YOU_SWEEP_WINDOW, submitted_before=due)
    for ballot_id in thanks:
        queue.enqueue(queue.SEND_THANK_YOU, ballot_id)
    mail = _retry_unfinished_mail()
    return {"aggregate": closed, "live": stale, "reports": reports, "thanks": thanks, "mail": mail}


def _retry_unfinished_mail() -> list[int]:
    """Send again every email logged failed or abandoned mid-send (``deliveries_unfinished``): one batch
    task per round and kind, or the ballot's thank-you; each claims only rows still unsent."""
    retried = []
    batches: set[tuple[str, int]] = set()
    for row in deliveries_unfinished(max_attempts=MAIL_MAX_RETRIES + 1):
        retried.append(row.pk)
        if row.kind == DeliveryLog.Kind.THANK_YOU:
            ballot = Ballot.objects.filter(panelist_id=row.panelist_id, round_id=row.round_id).first()
            if ballot is not None:
                queue.enqueue(queue.SEND_THANK_YOU, ballot.pk)
        else:
            batches.add((row.kind, row.round_id))
    for kind, round_id in sorted(batches):
        name = queue.SEND_INVITATIONS if kind == DeliveryLog.Kind.INVITATION else queue.SEND_REMINDERS
        queue.enqueue(name, round_id)
    return retried


@shared_task(name=queue.AGGREGATE_ROUND, acks_late=True)
def aggregate_round(round_id: int) -> int | None:
    """Final aggregation of a closed round; running it again replaces the same set."""
    round_ = Round.objects.filter(pk=round_id).first()
    if round_ is None or round_.status not in (Round.Status.CLOSED, Round.Status.AGGREGATED):
        return None
    return round_aggregate(round=round_).pk


@shared_task(name=queue.AGGREGATE_ROUND_LIVE)
def aggregate_round_live(round_id: int) -> bool:
    """Live feedback, debounced: a burst of submissions leads to one recomputation.

    Each submission marks the round stale and enqueues this task with a countdown. The first run
    claims the mark with a conditional update and recomputes; later runs find nothing to claim.
    """
    claimed = Round.objects.filter(pk=round_id, status=Round.Status.OPEN, is_live_stale=True).update(
        is_live_stale=False
    )
    if not claimed:
        return False
    round_aggregate(round=Round.objects.get(pk=round_id), live=True)
    return True


@shared_task(name=queue.BUILD_REPORT, acks_late=True)
def build_report(job_id: int) -> str | None:
    """Build a requested report file. Claims the job (queued → running) first, so a finished or
    running job is left alone; returns the job's final status, or None when it was not claimed."""
    job = report_job_run(job_id=job_id)
    return job.status if job is not None else None


# --- Email to the panel (surveys/services/mail.py). Each send claims a DeliveryLog row first, so a
# retried or duplicated task sends nothing twice; a failed send releases its claim and the task
# retries for just those experts.
MAIL_RETRY_SECONDS = 60
MAIL_MAX_RETRIES = 5


class MailNotSent(Exception):
    """Some emails of a batch failed; the retry sends only those (the rest are logged as sent)."""


def _mail_task(task, outcome) -> int:  # type: ignore[no-untyped-def]
    if outcome.failed:
        raise task.retry(exc=MailNotSent(outcome.describe()), countdown=MAIL_RETRY_SECONDS)
    return len(outcome.sent)


@shared_task(name=queue.SEND_INVITATIONS, bind=True, acks_late=True, max_retries=MAIL_MAX_RETRIES)
def send_invitations(self, round_id: int) -> int:  # type: ignore[no-untyped-def]
    """Invite the panel to an open round; returns how many were sent now."""
    round_ = Round.objects.filter(pk=round_id, status=Round.Status.OPEN).first()
    if round_ is not None:
        round_close_if_due(round=round_)  # past its deadline: closed now
    if round_ is None or not round_.is_open:  # closed (or deleted) meanwhile: nothing to invite to
        return 0
    return _mail_task(self, invitations_send(round=round_))


@shared_task(name=queue.SEND_REMINDERS, bind=True, acks_late=True, max_retries=MAIL_MAX_RETRIES)
def send_reminders(self, round_id: int) -> int:  # type: ignore[no-untyped-def]
    """Remind those who have not submitted in an open round; returns how many were sent now."""
    round_ = Round.objects.filter(pk=round_id, status=Round.Status.OPEN).first()
    if round_ is not None:
        round_close_if_due(round=round_)
    if round_ is None or not round_.is_open:
        return 0
    return _mail_task(self, reminders_send(round=round_))


@shared_task(name=queue.SEND_THANK_YOU, bind=True, acks_late=True, max_retries=MAIL_MAX_RETRIES)
def send_thank_you(self, ballot_id: int) -> int:  # type: ignore[no-untyped-def]
    """Thank an expert for a submitted ballot."""
    ballot = Ballot.objects.filter(pk=ballot_id).first()
    if ballot is None:
        return 0
    return _mail_task(self, thank_you_send(ballot=ballot))
