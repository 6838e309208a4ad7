"""The consensus report page, its downloads (built by Celery) and their status.

Who may see a report: staff, or anyone when the study's ``is_report_public`` is set. Anonymous
visitors of a report that is not public are sent to the sign-in page (whether the study exists or
not, so nothing is revealed); signed-in experts or others without staff rights get a 404.

Language: the page, its charts and its downloads are in the request's language (``LocaleMiddleware``),
or in the one ``?language=`` names (a code of ``settings.LANGUAGES``); any other code is refused with a
400 that names the codes. Every URL the page links (charts, downloads, status) carries its language.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from surveys.errors import DomainError
from surveys.models import ReportJob, Study
from surveys.reports.chart_set import LAYOUTS
from surveys.reports.formats import FORMATS
from surveys.reports.html import report_context
from surveys.reports.language import report_language, report_languages, supported
from surveys.selectors.reports import report_data, report_jobs_latest, report_study_by_slug
from surveys.services.report_charts import report_chart_png, report_state
from surveys.services.report_progress import build_status
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
    raise Http404(_("No such report."))


def _language(request: HttpRequest, asked: str | None) -> str:
    """The report's language: ``asked`` (from ``?language=`` or the form) if given, else the request's
    (``LocaleMiddleware``); raises ``_Refused`` with a 400 naming the codes for an unknown one."""
    if asked is None or asked == "":
        return supported(getattr(request, "LANGUAGE_CODE", None) or translation.get_language())
    try:
        return report_language(asked)
    except ValueError as exc:
        raise _Refused(HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")) from exc


def _downloads(study: Study, language: str) -> tuple[list[dict[str, Any]], bool]:
    latest = report_jobs_latest(study, language)
    entries = []
    for name in DOWNLOAD_FORMATS:
        job = latest.get(name)
        state = None
        if job is not None:
            state = "pending" if job.status in PENDING else job.status
        entries.append({"format": name, "label": FORMATS[name].label, "job": job, "state": state})
    return entries, any(e["state"] == "pending" for e in entries)


def _report_body(study: Study, state: str, language: str) -> str:
    """The report's HTML (``_report.html``) for ``state`` in ``language``: rendered once, then read from
    the cache. Its charts are linked by URL (drawn by the chart view, once per state and language)."""
    key = f"report-body:{study.pk}:{state}:{language}"
    try:
        body = cache.get(key)
    except Exception:  # a cache that is down costs a render, never the page
        logger.warning("report body cache unavailable", exc_info=True)
        body = None
    if body is None:

        def chart_src(name: str, layout: str) -> str:
            return reverse("reports:chart", args=[study.slug, state, name, layout, language])

        with translation.override(language):
            context = report_context(report_data(study), chart_src=chart_src)
            body = render_to_string("surveys/reports/_report.html", context)
        try:
            cache.set(key, body, BODY_SECONDS)
        except Exception:
            logger.warning("report body cache unavailable", exc_info=True)
    return body


@require_GET
def report_page(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        study = _study_for(request, slug)
        language = _language(request, request.GET.get("language"))
    except _Refused as refused:
        return refused.response
    body = _report_body(study, report_state(study), language)
    downloads, pending = _downloads(study, language)
    context = {
        "study": study,
        "report_body": mark_safe(body),  # noqa: S308 -- rendered by our template with autoescape on
        "downloads": downloads,
        "jobs_pending": pending,
        "can_request": True,
        "report_language": language,
        "report_languages": [(code, name) for code, name in settings.LANGUAGES if code in report_languages()],
    }
    with translation.override(language):
        return render(request, "surveys/reports/page.html", context)


@require_GET
def report_chart(
    request: HttpRequest, slug: str, state: str, name: str, layout: str, language: str | None = None
) -> HttpResponse:
    """One chart of the report as PNG, drawn once per state and language; an earlier state's URL
    redirects. A URL without a language (the form before issue 15) is the default language's."""
    try:
        study = _study_for(request, slug)
        language = _language(request, language or settings.LANGUAGE_CODE)
    except _Refused as refused:
        return refused.response
    if layout not in LAYOUTS:
        raise Http404(_("No such chart."))
    current = report_state(study)
    if state != current:
        return redirect("reports:chart", study.slug, current, name, layout, language)
    etag = f'"{state}-{language}-{name}-{layout}"'
    cache_control = f"{'public' if study.is_report_public else 'private'}, max-age={CHART_MAX_AGE}, immutable"
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponse(status=304)
    else:
        png = report_chart_png(study=study, state=state, name=name, layout=layout, language=language)
        if png is None:
            raise Http404(_("No such chart."))
        response = HttpResponse(png, content_type="image/png")
    response["ETag"] = etag
    response["Cache-Control"] = cache_control
    return response


@require_POST
def report_request_view(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        study = _study_for(request, slug)
        language = _language(request, request.POST.get("language"))
    except _Refused as refused:
        return refused.response
    try:
        with translation.override(language):
            report_request(
                study=study,
                format=request.POST.get("format", ""),
                user=request.user,
                force=bool(request.user.is_staff),
                language=language,
            )
    except DomainError as exc:
        messages.error(request, str(exc))
    return redirect(reverse("reports:page", args=[study.slug]) + f"?language={language}#downloads")


@require_GET
def report_jobs(request: HttpRequest, slug: str) -> JsonResponse:
    """The latest job of each format, for the page's polling script."""
    try:
        study = _study_for(request, slug)
        language = _language(request, request.GET.get("language"))
    except _Refused as refused:
        if refused.response.status_code == 400:
            return JsonResponse({"detail": refused.response.content.decode()}, status=400)
        return JsonResponse({"detail": _("Sign in to see this report.")}, status=403)
    downloads, pending = _downloads(study, language)
    jobs = {}
    for entry in downloads:
        job = entry["job"]
        if isinstance(job, ReportJob):
            done = job.status == ReportJob.Status.DONE
            jobs[job.format] = {
                "status": job.status,
                "url": reverse("reports:download", args=[study.slug, job.pk]) if done else None,
                "error": job.error if job.status == ReportJob.Status.FAILED else "",
                "progress": job.progress,
                "stage": job.stage,
                "stage_label": str(job.get_stage_display()),
                "message": build_status(job) if job.is_pending else "",
            }
    return JsonResponse({"pending": pending, "language": language, "jobs": jobs})


@require_GET
def report_download(request: HttpRequest, slug: str, job_id: int) -> FileResponse:
    try:
        study = _study_for(request, slug)
    except _Refused as refused:
        return refused.response  # type: ignore[return-value]
    job = ReportJob.objects.filter(pk=job_id, study=study, status=ReportJob.Status.DONE).first()
    if job is None or not job.file:
        raise Http404(_("No such report file."))
    spec = FORMATS[job.format]
    suffix = "" if job.language == supported(settings.LANGUAGE_CODE) else f"-{job.language}"
    filename = f"{study.slug}-consensus-report{suffix}.{spec.extension}"
    response = FileResponse(job.file.open("rb"), as_attachment=True, filename=filename, content_type=spec.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response
