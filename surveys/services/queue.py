"""The work queue, seen from the services: send a Celery task by its name, after the caller commits.

Services never import ``surveys.tasks`` (the tasks import the services), so they name the task they
want instead. A task is sent through its signature, which resolves to the registered task: in the
embedded default (``CELERY_TASK_ALWAYS_EAGER``) it runs right here, in-process, as ``apply_async``
does there; ``send_task`` would ignore that setting and leave the task on the in-memory broker.

The database is the source of truth: what a task does is derivable from it, so a broker that is down
fails no caller. The send is logged and dropped, and the periodic ``sweep_pending`` sends it again.
"""

from __future__ import annotations

import logging

from celery import current_app
from celery.canvas import Signature
from django.db import transaction
from kombu.exceptions import OperationalError as BrokerError

from surveys.models import Round

log = logging.getLogger(__name__)

# The names under which surveys/tasks.py registers its tasks.
AGGREGATE_ROUND = "surveys.tasks.aggregate_round"
AGGREGATE_ROUND_LIVE = "surveys.tasks.aggregate_round_live"
BUILD_REPORT = "surveys.tasks.build_report"
SEND_INVITATIONS = "surveys.tasks.send_invitations"
SEND_REMINDERS = "surveys.tasks.send_reminders"
SEND_THANK_YOU = "surveys.tasks.send_thank_you"

# A burst of submissions in a live round leads to one recomputation, this long after the first.
LIVE_DEBOUNCE_SECONDS = 5


def task_signature(name: str) -> Signature:
    """The signature of the task registered as ``name``.

    The web process imports no task module itself, so the first send asks Celery's loader to import
    the autodiscovered ones (``surveys.tasks``), as a worker does when it starts. Only a registered
    task honours the eager setting.
    """
    app = current_app
    if name not in app.tasks:
        app.loader.import_default_modules()
    if name not in app.tasks:
        raise LookupError(f"No Celery task is registered as '{name}'.")
    return app.signature(name)


def enqueue(name: str, *args: object, countdown: float | None = None) -> bool:
    """Send the task ``name``; if the broker is down, log it and return False instead of failing the caller."""
    try:
        task_signature(name).apply_async(args, countdown=countdown)
    except (BrokerError, ConnectionError, OSError) as exc:
        log.warning("broker unavailable; %s%s left for the sweep: %s", name, args, exc)
        return False
    return True


def enqueue_on_commit(name: str, *args: object, countdown: float | None = None, robust: bool = False) -> None:
    """Send the task once the caller's transaction commits (at once outside a transaction).

    ``robust``: in the embedded default the task runs right then, on whatever request committed; a
    failure of that task is logged instead of failing the request (Django's ``on_commit(robust=True)``).
    """
    transaction.on_commit(lambda: enqueue(name, *args, countdown=countdown), robust=robust)


def run_here(name: str, *args: object) -> object:
    """Run the task ``name`` in this process now, whatever the broker: it sees the caller's
    uncommitted writes. Its errors propagate (``CELERY_TASK_EAGER_PROPAGATES``). Returns its result."""
    return task_signature(name).apply(args).get()


def runs_inline() -> bool:
    """True in the embedded default: a task sent is run before the send returns."""
    return bool(current_app.conf.task_always_eager)


def schedule_aggregation(round_: Round) -> None:
    """Enqueue the final aggregation once the closing transaction commits.

    Robust: in the embedded default it runs right there, on whatever request closed the round (an
    expert's page at the deadline); a failure is logged and leaves the round closed, which the
    dashboard shows with its "Compute the statistics" action, rather than failing that request.
    """
    enqueue_on_commit(AGGREGATE_ROUND, round_.pk, robust=True)


def schedule_live_feedback(round_: Round) -> None:
    """Call inside a submission's (or deletion's) transaction: mark the live round stale, and enqueue
    its debounced recomputation once that commits. A round without live feedback is left alone.

    The stale mark is the database's record of the pending work: ``aggregate_round_live`` claims it,
    and the sweep re-sends the task for a round still marked after a lost send.
    """
    if not round_.is_live_feedback:
        return
    Round.objects.filter(pk=round_.pk).update(is_live_stale=True)
    enqueue_on_commit(AGGREGATE_ROUND_LIVE, round_.pk, countdown=LIVE_DEBOUNCE_SECONDS)
