"""The list of studies and each study's dashboard."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from surveys.selectors_facilitator import facilitator_studies, study_dashboard

from .access import staff_required, study_or_404


@require_GET
@staff_required
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "surveys/facilitator/index.html", {"studies": facilitator_studies()})


@require_GET
@staff_required
def study(request: HttpRequest, slug: str) -> HttpResponse:
    dashboard = study_dashboard(study_or_404(slug))
    return render(request, "surveys/facilitator/study.html", {"study": dashboard.study, "d": dashboard})
