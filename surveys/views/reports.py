"""The consensus report page, its downloads (built by Celery) and their status.

Who may see a report: staff, or anyone when the study's ``is_report_public`` is set. Anonymous
visitors of a report that is not public are sent to the sign-in page (whether the study exists or
not, so nothing is revealed); signed-in experts or others without staff rights get a 404.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST

from surveys.errors import DomainError
from surveys.models import ReportJob, Study
from surveys.reports.chart_set import LAYOUTS
from surveys.reports.formats import FORMATS
from surveys.reports.html import report_context
from surveys.selectors.reports import report_data, report_jobs_latest, report_study_by_slug
from surveys.services.report_charts import report_chart_png, report_state
from surveys.services.reports import PENDING, report_request

logger = logging.getLogger(__name__)

#: How long a rendered report body stays in the cache. Its key holds the report's state, so a new
#: aggregation is shown at once; the timeout only bounds the memory of states no one asks for.
BODY_SECONDS = 24 * 3600
CHART_MAX_AGE = 365 * 24 * 3600  # a chart URL names its state: its content never changes

DOWNLOAD_FORMATS = ("pdf", "xlsx", "csv", "ratings", "json", "html")


class _Refused(Exception):
    def __init__(self, response: HttpResponse) -> None:
        self.response = response


def _study_for(request: HttpRequest, slug: str) -> Study:
    """The study whose report ``request`` may read; raises 404, or ``_Refused`` to sign in."""
    study = report_study_by_slug(slug)
    user = request.user
    if study is not None and (study.is_report_public or (user.is_active and user.is_staff)):
        return study
    if not user.is_authenticated:
        raise _Refused(redirect_to_login(request.get_full_path()))
    raise Http404("No such report.")


def _downloads(study: Study) -> tuple[list[dict[str, Any]], bool]:
    latest = report_jobs_latest(study)
    entries = []
    for name in DOWNLOAD_FORMATS:
        job = latest.get(name)
        state = None
        if job is not None:
            state = "pending" if job.status in PENDING else job.status
        entries.append({"format": name, "label": FORMATS[name].label, "job": job, "state": state})
    return entries, any(e["state"] == "pending" for e in entries)


def _report_body(study: Study, state: str) -> str:
    """The report's HTML (``_report.html``) for ``state``: rendered once, then read from the cache.
    Its charts are linked by URL (drawn by the chart view, once per state), never drawn here."""
    key = f"report-body:{study.pk}:{state}"
    try:
        body = cache.get(key)
    except Exception:  # a cache that is down costs a render, never the page
        logger.warning("report body cache unavailable", exc_info=True)
        body = None
    if body is None:

        def chart_src(name: str, layout: str) -> str:
            return reverse("reports:chart", args=[study.slug, state, name, layout])

        body = render_to_string("surveys/reports/_report.html", report_context(report_data(study), chart_src=chart_src))
        try:
            cache.set(key, body, BODY_SECONDS)
        except Exception:
            logger.warning("report body cache unavailable", exc_info=True)
    return body


@require_GET
def report_page(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        study = _study_for(request, slug)
    except _Refused as refused:
        return refused.response
    body = _report_body(study, report_state(study))
    downloads, pending = _downloads(study)
    context = {
        "study": study,
        "report_body": mark_safe(body),  # noqa: S308 -- rendered by our template with autoescape on
        "downloads": downloads,
        "jobs_pending": pending,
        "can_request": True,
    }
    return render(request, "surveys/reports/page.html", context)


@require_GET
def report_chart(request: HttpRequest, slug: str, state: str, name: str, layout: str) -> HttpResponse:
    """One chart of the report as PNG, drawn once per state; an earlier state's URL redirects."""
    try:
        study = _study_for(request, slug)
    except _Refused as refused:
        return refused.response
    if layout not in LAYOUTS:
        raise Http404("No such chart.")
    current = report_state(study)
    if state != current:
        return redirect("reports:chart", study.slug, current, name, layout)
    etag = f'"{state}-{name}-{layout}"'
    cache_control = f"{'public' if study.is_report_public else 'private'}, max-age={CHART_MAX_AGE}, immutable"
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponse(status=304)
    else:
        png = report_chart_png(study=study, state=state, name=name, layout=layout)
        if png is None:
            raise Http404("No such chart.")
        response = HttpResponse(png, content_type="image/png")
    response["ETag"] = etag
    response["Cache-Control"] = cache_control
    return response


@require_POST
def report_request_view(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        study = _study_for(request, slug)
    except _Refused as refused:
        return refused.response
    try:
        report_request(
            study=study,
            format=request.POST.get("format", ""),
            user=request.user,
            force=bool(request.user.is_staff),
        )
    except DomainError as exc:
        messages.error(request, str(exc))
    return redirect(reverse("reports:page", args=[study.slug]) + "#downloads")


@require_GET
def report_jobs(request: HttpRequest, slug: str) -> JsonResponse:
    """The latest job of each format, for the page's polling script."""
    try:
        study = _study_for(request, slug)
    except _Refused:
        return JsonResponse({"detail": "Sign in to see this report."}, status=403)
    downloads, pending = _downloads(study)
    jobs = {}
    for entry in downloads:
        job = entry["job"]
        if isinstance(job, ReportJob):
            done = job.status == ReportJob.Status.DONE
            jobs[job.format] = {
                "status": job.status,
                "url": reverse("reports:download", args=[study.slug, job.pk]) if done else None,
                "error": job.error if job.status == ReportJob.Status.FAILED else "",
            }
    return JsonResponse({"pending": pending, "jobs": jobs})


@require_GET
def report_download(request: HttpRequest, slug: str, job_id: int) -> FileResponse:
    try:
        study = _study_for(request, slug)
    except _Refused as refused:
        return refused.response  # type: ignore[return-value]
    job = ReportJob.objects.filter(pk=job_id, study=study, status=ReportJob.Status.DONE).first()
    if job is None or not job.file:
        raise Http404("No such report file.")
    spec = FORMATS[job.format]
    filename = f"{study.slug}-consensus-report.{spec.extension}"
    response = FileResponse(job.file.open("rb"), as_attachment=True, filename=filename, content_type=spec.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response
