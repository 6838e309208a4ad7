"""A report download built by a real Celery worker on Redis, with PostgreSQL. Skips without them;
CI requires them."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction

from surveys.models import ReportJob
from surveys.services.reports import report_request
from tests.test_reports_data import build_two_rounds

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shared_media(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """One media folder for this process and the worker (which reads DELPHI_DATA_DIR at start)."""
    monkeypatch.setenv("DELPHI_DATA_DIR", str(tmp_path))
    settings.MEDIA_ROOT = tmp_path / "media"
    yield tmp_path / "media"


def test_a_real_worker_builds_a_requested_report_once(shared_media: Path, celery_worker_process: str) -> None:
    study = build_two_rounds("worker-report").study
    with transaction.atomic():
        job = report_request(study=study, format="json")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status in (ReportJob.Status.DONE, ReportJob.Status.FAILED):
            break
        time.sleep(0.2)
    assert (job.status, job.error) == (ReportJob.Status.DONE, "")
    assert (shared_media / job.file.name).read_bytes().startswith(b"{")
    assert report_request(study=study, format="json").pk == job.pk  # finished and current: not rebuilt
