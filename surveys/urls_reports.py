"""Consensus reports, mounted at ``/studies/`` with the namespace ``reports``."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from surveys.views import reports

urlpatterns: list[URLPattern | URLResolver] = [
    path("<slug:slug>/report/", reports.report_page, name="page"),
    path("<slug:slug>/report/downloads/", reports.report_request_view, name="request"),
    path("<slug:slug>/report/downloads/status/", reports.report_jobs, name="jobs"),
    path("<slug:slug>/report/downloads/<int:job_id>/", reports.report_download, name="download"),
    path(
        "<slug:slug>/report/charts/<str:state>/<slug:name>.<slug:layout>.<slug:language>.png",
        reports.report_chart,
        name="chart",
    ),
    path("<slug:slug>/report/charts/<str:state>/<slug:name>.<str:layout>.png", reports.report_chart, name="chart"),
]
