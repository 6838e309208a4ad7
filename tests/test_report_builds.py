"""In the embedded default (tasks inline, no broker) a requested report is built in a thread of the web
process: the request returns at once, the page shows the job building, and then its link."""

from __future__ import annotations

import re
import threading
import time

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from surveys.models import ReportJob
from surveys.services import reports
from tests.test_reports_data import build_two_rounds


def _build_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(reports.BUILD_THREAD_PREFIX)]


def test_build_pdf_returns_at_once_shows_it_building_then_links_it(
    transactional_db: None,
    settings,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    settings.DELPHI_REPORT_BUILD_THREAD = True
    study = build_two_rounds("background-build").study
    release = threading.Event()
    real_file = reports.report_file

    def slow_file(study_, format_, *args, **kwargs):  # type: ignore[no-untyped-def]
        assert release.wait(30), "the test never released the build"
        return real_file(study_, format_, *args, **kwargs)

    monkeypatch.setattr(reports, "report_file", slow_file)
    client = Client()
    client.force_login(get_user_model().objects.create_user("facilitator", password="x", is_staff=True))
    started = time.perf_counter()
    response = client.post(reverse("reports:request", args=[study.slug]), {"format": "pdf"})
    assert response.status_code == 302
    assert time.perf_counter() - started < 5  # the build waits for `release`: the request did not
    page = client.get(reverse("reports:page", args=[study.slug])).content.decode()
    assert re.search(r"building: (queued|gathering the data \(0 %\))…", page)  # the thread may have claimed it
    assert 'data-pending="1"' in page and "report.js" in page
    assert client.get(reverse("reports:jobs", args=[study.slug])).json()["pending"] is True

    release.set()
    for thread in _build_threads():
        thread.join(timeout=60)
    job = ReportJob.objects.get(study=study, format="pdf")
    assert (job.status, job.error, job.stage, job.progress) == (ReportJob.Status.DONE, "", "done", 100)
    status = client.get(reverse("reports:jobs", args=[study.slug])).json()
    assert status["pending"] is False
    assert status["jobs"]["pdf"]["url"] == reverse("reports:download", args=[study.slug, job.pk])
    assert status["jobs"]["pdf"]["url"] in client.get(reverse("reports:page", args=[study.slug])).content.decode()


def test_tests_and_the_full_stack_build_without_a_thread(db: None) -> None:
    """Under the tests' setting (and with a broker) the build is sent as a task, not threaded."""
    study = build_two_rounds("inline-build").study
    job = reports.report_request(study=study, format="json")
    reports._send(job.pk)
    assert _build_threads() == []
    job.refresh_from_db()
    assert job.status == ReportJob.Status.DONE
