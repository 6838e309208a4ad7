"""Report downloads: request one (queued as a Celery job) and build it (the job's one run).

The database is the work queue (DESIGN.md, "Background work"): a ``ReportJob`` row is claimed
with a conditional update, ``queued → running``, so two workers never build the same job, and a
finished job is never rebuilt. A job left ``running`` by a worker that died is claimable again
after :data:`STALE_AFTER`.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.files.base import ContentFile
from django.db import connections, transaction
from django.db.models import Q
from django.utils import timezone

from surveys.errors import DomainError
from surveys.models import ReportJob, Study
from surveys.reports.formats import FORMATS, render
from surveys.reports.language import in_language, report_language
from surveys.selectors.reports import report_changed_at, report_data
from surveys.services import queue
from surveys.services.report_progress import BuildProgress, OnStep

logger = logging.getLogger(__name__)

STALE_AFTER = timedelta(minutes=30)
PENDING = (ReportJob.Status.QUEUED, ReportJob.Status.RUNNING)
ERROR_MAX_LENGTH = 2000
BUILD_THREAD_PREFIX = "report-job-"


def report_file(study: Study, format: str, language: str | None = None, *, on_step: OnStep | None = None) -> bytes:
    """The report of ``study`` rendered as ``format`` (a key of ``FORMATS``) in ``language`` (a code of
    ``settings.LANGUAGES``; the active language when None); the raw ratings are read only for the
    formats that list them. ``on_step`` hears of each step finished (see services.report_progress)."""
    with in_language(report_language(language)):
        data = report_data(study, with_ratings=FORMATS[format].needs_ratings)
        if on_step is None:
            return render(data, format)
        on_step("data")
        if format == "pdf":  # the one format with steps of its own: charts, HTML, layout
            from surveys.reports.pdf import render_pdf

            return render_pdf(data, on_step)
        return render(data, format)


def report_request(
    *,
    study: Study,
    format: str,
    user: AbstractBaseUser | AnonymousUser | None = None,
    force: bool = False,
    language: str | None = None,
) -> ReportJob:
    """Ask for a report file in ``format``; the build is enqueued once this transaction commits.

    A job of the same study and format that is still queued or running is returned instead of a
    second one. Unless ``force``, so is a finished one built after the study last changed (its
    last aggregation, audit event or edit): asking again costs nothing. Jobs are per ``language``
    (the active language when None): a Russian file never answers for an English one.
    """
    if format not in FORMATS:
        raise DomainError(f"Unknown report format {format!r}; choose one of {', '.join(FORMATS)}.")
    try:
        language = report_language(language)
    except ValueError as exc:
        raise DomainError(str(exc)) from exc
    jobs = ReportJob.objects.filter(study=study, format=format, language=language).order_by("-created_at", "-id")
    pending = jobs.filter(status__in=PENDING).first()
    if pending is not None:
        return pending
    if not force:
        done = jobs.filter(status=ReportJob.Status.DONE).first()
        if done is not None and done.started_at is not None and done.started_at >= report_changed_at(study):
            return done
    requester: Any = user if user is not None and user.is_authenticated else None  # a User model instance
    with transaction.atomic():
        job = ReportJob.objects.create(study=study, format=format, language=language, requested_by=requester)
        transaction.on_commit(lambda: _send(job.pk))
    return job


def _send(job_id: int) -> None:
    """Have the job built: by a worker on the full stack, or, in the embedded default (tasks run
    inline), by a thread of this process, so that the request that asked returns at once and its page
    shows the job building, then its link. ``DELPHI_REPORT_BUILD_THREAD = False`` builds inline."""
    if queue.runs_inline() and settings.DELPHI_REPORT_BUILD_THREAD:
        name = f"{BUILD_THREAD_PREFIX}{job_id}"
        threading.Thread(target=_build_in_thread, args=(job_id,), name=name, daemon=True).start()
        return
    queue.enqueue(queue.BUILD_REPORT, job_id)  # if the broker is down, the sweep re-sends it


def _build_in_thread(job_id: int) -> None:
    try:
        report_job_run(job_id=job_id)  # records its own failure on the job
    except Exception:  # e.g. the database went away: the job stays queued or stale for a later try
        logger.exception("Report job %s could not be built in the background", job_id)
    finally:
        connections.close_all()  # this thread's connections only


def _claim(job_id: int) -> datetime | None:
    """Move the job to running if it is queued (or stale); the claim's time, or None if taken."""
    now = timezone.now()
    claimable = Q(status=ReportJob.Status.QUEUED) | Q(status=ReportJob.Status.RUNNING, started_at__lt=now - STALE_AFTER)
    claimed = ReportJob.objects.filter(claimable, pk=job_id).update(
        status=ReportJob.Status.RUNNING, started_at=now, error="", stage=ReportJob.Stage.DATA, progress=0
    )
    return now if claimed else None


def report_job_run(*, job_id: int) -> ReportJob | None:
    """Build the job's file and store it; None when the job is gone, finished or being built.

    A failure marks the job failed with the error, for the page to show; it is not retried. On the
    way the job records its progress and stage (:class:`~.report_progress.BuildProgress`); a failed
    job keeps the stage it failed in.
    """
    claimed_at = _claim(job_id)
    if claimed_at is None:
        return None
    job = ReportJob.objects.select_related("study").get(pk=job_id)
    progress = BuildProgress(job.pk, claimed_at, charts=job.format == "pdf")
    try:
        spec = FORMATS[job.format]
        with in_language(job.language):  # report_file renders in the active language
            content = report_file(job.study, job.format, on_step=progress.step)
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        name = f"{job.study.slug}-report-{job.pk}-{job.language}-{stamp}.{spec.extension}"
        job.file.save(name, ContentFile(content), save=False)
        ReportJob.objects.filter(pk=job.pk, started_at=claimed_at).update(
            status=ReportJob.Status.DONE,
            file=job.file.name,
            finished_at=timezone.now(),
            stage=ReportJob.Stage.DONE,
            progress=100,
        )
    except Exception as exc:  # any failure is the job's outcome, shown on the page
        logger.exception("Report job %s (%s, %s) failed", job.pk, job.study.slug, job.format)
        message = f"{type(exc).__name__}: {exc}"[:ERROR_MAX_LENGTH]
        ReportJob.objects.filter(pk=job.pk, started_at=claimed_at).update(
            status=ReportJob.Status.FAILED, error=message, finished_at=timezone.now()
        )
    job.refresh_from_db()
    return job
