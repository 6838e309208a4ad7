"""Report builds stream progress: the job records its stage and percent done at the builder's real
milestones (few writes), the page and its JSON status show them, and a failure keeps the stage."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from surveys.models import ReportJob
from surveys.services import report_progress
from surveys.services.api_tokens import api_token_create
from surveys.services.report_progress import BuildProgress
from surveys.services.reports import report_job_run, report_request
from tests.test_reports_data import TwoRounds, build_two_rounds

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_rounds(db: None) -> TwoRounds:
    return build_two_rounds()


@pytest.fixture
def staff(db: None) -> Any:
    return get_user_model().objects.create_user("facilitator", password="x", is_staff=True)


@pytest.fixture
def staff_client(client: Client, staff: Any) -> Client:
    client.force_login(staff)
    return client


def _recorded(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int, str]]:
    """Each (stage, progress, status) the job's row holds right after a progress write."""
    seen: list[tuple[str, int, str]] = []
    reach = BuildProgress.reach

    def spy(self: BuildProgress, stage: str, progress: int) -> None:
        before = self.updates
        reach(self, stage, progress)
        if self.updates > before:
            row = ReportJob.objects.values_list("stage", "progress", "status").get(pk=self.job_id)
            seen.append(row)

    monkeypatch.setattr(BuildProgress, "reach", spy)
    return seen


def test_a_pdf_build_records_increasing_progress_ending_at_100_with_the_file(
    two_rounds: TwoRounds, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report_progress, "MIN_INTERVAL", 0.0)  # every milestone written
    seen = _recorded(monkeypatch)
    job = report_request(study=two_rounds.study, format="pdf")
    done = report_job_run(job_id=job.pk)
    assert done is not None and done.status == ReportJob.Status.DONE
    stages = [stage for stage, _, _ in seen]
    assert stages == ["charts", "layout", "layout", "writing"]  # data read, charts drawn, HTML, laid out
    percents = [progress for _, progress, _ in seen]
    assert percents == sorted(percents) and len(set(percents)) == len(percents) and percents[0] > 0
    assert all(status == ReportJob.Status.RUNNING for _, _, status in seen)
    assert (done.stage, done.progress) == (ReportJob.Stage.DONE, 100)
    assert done.file and done.file.read(5) == b"%PDF-"


def test_progress_writes_are_throttled_within_a_stage(two_rounds: TwoRounds, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _recorded(monkeypatch)
    monkeypatch.setattr(report_progress.time, "monotonic", lambda: 1000.0)  # no time passes
    job = report_request(study=two_rounds.study, format="pdf")
    report_job_run(job_id=job.pk)
    assert [stage for stage, _, _ in seen] == ["charts", "layout", "writing"]  # the HTML step waits


def test_a_plain_format_goes_from_data_to_writing_to_done(
    two_rounds: TwoRounds, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _recorded(monkeypatch)
    job = report_request(study=two_rounds.study, format="xlsx")
    done = report_job_run(job_id=job.pk)
    assert seen == [("writing", report_progress.PLAIN_DATA_DONE, "running")]
    assert done is not None and (done.status, done.stage, done.progress) == ("done", "done", 100)


def test_the_status_endpoint_and_the_page_show_a_running_builds_stage_and_progress(
    two_rounds: TwoRounds, staff_client: Client
) -> None:
    study = two_rounds.study
    job = report_request(study=study, format="pdf")  # on_commit never runs here: nobody builds it
    ReportJob.objects.filter(pk=job.pk).update(status=ReportJob.Status.RUNNING, stage="layout", progress=45)
    status = staff_client.get(reverse("reports:jobs", args=[study.slug]))
    assert status.status_code == 200
    entry = status.json()["jobs"]["pdf"]
    assert (entry["status"], entry["stage"], entry["progress"]) == ("running", "layout", 45)
    assert entry["message"].startswith("building: laying out the pages (45 %)")
    page = staff_client.get(reverse("reports:page", args=[study.slug])).content.decode()
    assert "building: laying out the pages (45 %)" in page
    assert '<progress class="build-progress" max="100" value="45"' in page
    assert '<meta http-equiv="refresh"' in page  # without JavaScript the page reloads itself
    assert "surveys/report.js" in page


def test_the_status_endpoint_needs_the_same_rights_as_the_download(two_rounds: TwoRounds, client: Client) -> None:
    study = two_rounds.study
    job = report_request(study=study, format="json")
    report_job_run(job_id=job.pk)
    status_url = reverse("reports:jobs", args=[study.slug])
    download_url = reverse("reports:download", args=[study.slug, job.pk])
    assert client.get(download_url).status_code == 302  # anonymous: sign in first
    refused = client.get(status_url)
    assert refused.status_code == 403 and "progress" not in refused.content.decode()
    client.force_login(get_user_model().objects.create_user("expert", password="x"))
    assert client.get(download_url).status_code == 404
    assert client.get(status_url).status_code == 404
    study.is_report_public = True
    study.save(update_fields=["is_report_public"])
    assert client.get(status_url).json()["jobs"]["json"]["progress"] == 100
    assert client.get(download_url).status_code == 200


def test_a_failing_build_keeps_the_stage_it_failed_in_and_the_page_says_so(
    two_rounds: TwoRounds, staff_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(data: Any) -> Any:
        raise RuntimeError("matplotlib ran out of memory")

    monkeypatch.setattr("surveys.reports.pdf.chart_images", broken)
    job = report_request(study=two_rounds.study, format="pdf")
    failed = report_job_run(job_id=job.pk)
    assert failed is not None and failed.status == ReportJob.Status.FAILED
    assert (failed.stage, failed.progress) == (ReportJob.Stage.CHARTS, report_progress.STEPS["data"][1])
    assert "RuntimeError: matplotlib ran out of memory" in failed.error and not failed.file
    page = staff_client.get(reverse("reports:page", args=[two_rounds.study.slug]))
    assert page.status_code == 200
    assert "failed while drawing the charts: RuntimeError: matplotlib ran out of memory" in page.content.decode()
    entry = staff_client.get(reverse("reports:jobs", args=[two_rounds.study.slug])).json()["jobs"]["pdf"]
    assert (entry["status"], entry["stage"], entry["message"]) == ("failed", "charts", "")
    assert "matplotlib ran out of memory" in entry["error"]


def test_the_api_job_status_includes_progress_and_stage(two_rounds: TwoRounds, staff: Any) -> None:
    job = report_request(study=two_rounds.study, format="pdf")
    ReportJob.objects.filter(pk=job.pk).update(status=ReportJob.Status.RUNNING, stage="charts", progress=5)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=staff, name='tests')[1]}")
    body = api.get(f"/api/v1/studies/{two_rounds.study.slug}/reports/{job.pk}/").json()
    assert (body["status"], body["stage"], body["progress"]) == ("running", "charts", 5)
