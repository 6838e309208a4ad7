"""The list of studies and each study's dashboard."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from surveys.deadlines import deadline_notice, is_past
from surveys.models import Study
from surveys.selectors.facilitator import facilitator_studies, study_dashboard
from surveys.selectors.translations import completeness
from surveys.services.rounds import round_close_if_due

from .access import staff_required, study_or_404
from .forms import language_name


@require_GET
@staff_required
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "surveys/facilitator/index.html", {"studies": facilitator_studies()})


@require_GET
@staff_required
def study(request: HttpRequest, slug: str) -> HttpResponse:
    """The dashboard. Looking at it closes the current round if its deadline has passed (beat or not;
    free before the deadline), and says so, or warns of a closed round whose statistics are missing."""
    found = study_or_404(slug)
    dashboard = study_dashboard(found)
    current = dashboard.current
    was_due = current is not None and current.is_open and is_past(current.closes_at)
    closed_now = current is not None and round_close_if_due(round=current)
    if was_due:  # closed now (here or by a request at the same moment): show it as it is
        dashboard = study_dashboard(found)
    notice = deadline_notice(dashboard.current, was_closed_now=closed_now, zone=found.time_zone)
    context = {"study": dashboard.study, "d": dashboard, "deadline_notice": notice, **_translations(found)}
    return render(request, "surveys/facilitator/study.html", context)


def _translations(study: Study) -> dict[str, object]:
    """Translation completeness per declared language, when the study declares more than one."""
    if len(getattr(study, "languages", None) or []) < 2:
        return {"translations": []}
    rows = [{"completeness": c, "name": language_name(c.language)} for c in completeness(study)]
    return {"translations": rows, "default_language_name": language_name(study.default_language)}
