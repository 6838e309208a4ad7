"""The report page, who may see it, and its downloads built as Celery jobs."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from surveys.models import Item, ReportJob, Study
from surveys.services.aggregation import round_aggregate
from surveys.services.reports import report_job_run, report_request
from surveys.services.rounds import round_close, round_next, round_open
from surveys.tasks import build_report
from tests.test_reports_data import HEADLINE, TwoRounds, build_two_rounds

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_rounds(db: None) -> TwoRounds:
    return build_two_rounds()


@pytest.fixture
def staff_client(client: Client) -> Client:
    client.force_login(get_user_model().objects.create_user("facilitator", password="x", is_staff=True))
    return client


def _page(study: Study) -> str:
    return reverse("reports:page", args=[study.slug])


def test_staff_see_the_report_with_the_headline_first(two_rounds: TwoRounds, staff_client: Client) -> None:
    response = staff_client.get(_page(two_rounds.study))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index(HEADLINE) < html.index("Every item, its verdict per round")
    assert "C2 → C2r2" in html
    assert "Methods appendix" in html


def test_a_study_without_an_aggregated_round_has_a_report_page_too(db: None, staff_client: Client) -> None:
    from surveys.services.rounds import round_create
    from tests.test_reports_data import study_with_question

    study = study_with_question("fresh-study")
    round_open(round=round_create(study=study))
    html = staff_client.get(_page(study)).content.decode()
    assert HEADLINE in html
    assert "Round 1 is open; its results are not in this report." in html
    assert "No aggregated round yet." in html


def test_anonymous_visitors_are_sent_to_sign_in_unless_the_report_is_public(
    two_rounds: TwoRounds, client: Client
) -> None:
    response = client.get(_page(two_rounds.study))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]
    assert HEADLINE not in response.content.decode()
    Study.objects.filter(pk=two_rounds.study.pk).update(is_report_public=True)
    response = client.get(_page(two_rounds.study))
    assert response.status_code == 200
    assert HEADLINE in response.content.decode()


def test_signed_in_users_without_staff_rights_get_nothing(two_rounds: TwoRounds, client: Client) -> None:
    client.force_login(get_user_model().objects.create_user("expert", password="x"))
    assert client.get(_page(two_rounds.study)).status_code == 404
    assert client.post(reverse("reports:request", args=[two_rounds.study.slug]), {"format": "pdf"}).status_code == 404
    assert not ReportJob.objects.exists()


def test_an_unknown_study_reveals_nothing(db: None, client: Client, staff_client: Client) -> None:
    assert Client().get("/studies/no-such-study/report/").status_code == 302
    assert staff_client.get("/studies/no-such-study/report/").status_code == 404


def test_requesting_a_download_builds_it_through_celery_and_links_it(
    two_rounds: TwoRounds, staff_client: Client, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    slug = two_rounds.study.slug
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(reverse("reports:request", args=[slug]), {"format": "xlsx"})
    assert response.status_code == 302
    job = ReportJob.objects.get()
    assert (job.format, job.status, job.error) == ("xlsx", ReportJob.Status.DONE, "")
    status = staff_client.get(reverse("reports:jobs", args=[slug])).json()
    assert status["pending"] is False
    assert status["jobs"]["xlsx"]["url"] == reverse("reports:download", args=[slug, job.pk])
    download = staff_client.get(status["jobs"]["xlsx"]["url"])
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content).startswith(b"PK")  # a zip: the XLSX container
    page = staff_client.get(_page(two_rounds.study)).content.decode()
    assert status["jobs"]["xlsx"]["url"] in page


def test_the_page_shows_a_queued_job_as_in_progress_and_polls(two_rounds: TwoRounds, staff_client: Client) -> None:
    report_request(study=two_rounds.study, format="pdf")  # on_commit never runs here: the job stays queued
    html = staff_client.get(_page(two_rounds.study)).content.decode()
    assert "queued…" in html
    assert reverse("reports:jobs", args=[two_rounds.study.slug]) in html
    assert staff_client.get(reverse("reports:jobs", args=[two_rounds.study.slug])).json()["pending"] is True


def test_the_page_keeps_the_newest_job_of_each_format_however_many_of_another_follow(
    two_rounds: TwoRounds, staff_client: Client
) -> None:
    study = two_rounds.study
    ReportJob.objects.create(study=study, format="xlsx", status=ReportJob.Status.FAILED, error="disk full")
    xlsx = ReportJob.objects.create(study=study, format="xlsx", status=ReportJob.Status.FAILED, error="later")
    ReportJob.objects.bulk_create(
        ReportJob(study=study, format="csv", status=ReportJob.Status.FAILED, error=f"csv {n}") for n in range(60)
    )
    jobs = staff_client.get(reverse("reports:jobs", args=[study.slug])).json()["jobs"]
    assert (jobs["xlsx"]["status"], jobs["xlsx"]["error"]) == ("failed", xlsx.error)
    assert jobs["csv"]["error"] == "csv 59"
    assert "failed: later" in staff_client.get(_page(study)).content.decode()


def test_a_second_request_while_one_is_pending_returns_the_same_job(two_rounds: TwoRounds) -> None:
    first = report_request(study=two_rounds.study, format="csv")
    assert report_request(study=two_rounds.study, format="csv").pk == first.pk
    assert report_request(study=two_rounds.study, format="json").pk != first.pk


def test_a_finished_job_is_not_rebuilt(two_rounds: TwoRounds) -> None:
    job = report_request(study=two_rounds.study, format="json")
    assert build_report(job.pk) == ReportJob.Status.DONE
    job.refresh_from_db()
    built = (job.file.name, job.finished_at)
    assert build_report(job.pk) is None
    job.refresh_from_db()
    assert (job.file.name, job.finished_at) == built
    assert report_request(study=two_rounds.study, format="json").pk == job.pk  # still current: reused


def test_a_new_aggregation_makes_the_next_request_build_afresh(two_rounds: TwoRounds) -> None:
    job = report_request(study=two_rounds.study, format="csv")
    report_job_run(job_id=job.pk)
    round_3 = round_next(study=two_rounds.study)
    round_open(round=round_3)
    round_close(round=round_3, aggregate=False)
    round_aggregate(round=round_3)
    assert report_request(study=two_rounds.study, format="csv").pk != job.pk


def test_a_failed_build_records_its_error(two_rounds: TwoRounds, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(study, format, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("the renderer broke")

    monkeypatch.setattr("surveys.services.reports.report_file", broken)
    job = report_request(study=two_rounds.study, format="pdf")
    assert build_report(job.pk) == ReportJob.Status.FAILED
    job.refresh_from_db()
    assert "the renderer broke" in job.error
    assert not job.file


def test_an_unknown_format_is_refused_with_a_message(two_rounds: TwoRounds, staff_client: Client) -> None:
    response = staff_client.post(
        reverse("reports:request", args=[two_rounds.study.slug]), {"format": "exe"}, follow=True
    )
    assert "Unknown report format" in response.content.decode()
    assert not ReportJob.objects.exists()


def test_downloads_of_a_private_report_need_staff(two_rounds: TwoRounds, client: Client) -> None:
    job = report_request(study=two_rounds.study, format="json")
    report_job_run(job_id=job.pk)
    url = reverse("reports:download", args=[two_rounds.study.slug, job.pk])
    assert client.get(url).status_code == 302
    client.force_login(get_user_model().objects.create_user("expert", password="x"))
    assert client.get(url).status_code == 404


def test_the_report_page_makes_a_constant_number_of_queries(
    db: None, staff_client: Client, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    small = build_two_rounds("small-report")
    with django_assert_max_num_queries(20) as baseline:
        assert staff_client.get(_page(small.study)).status_code == 200
    bigger = build_two_rounds("bigger-report")
    section = bigger.study.sections.first()
    for number in range(12):
        item = Item.objects.create(
            study=bigger.study,
            code=f"X{number}",
            kind="claim",
            section=section,
            text=f"Extra claim {number}",
            order=100 + number,
        )
        item.dimensions.set(bigger.study.dimensions.all())
    round_3 = round_next(study=bigger.study, add=list(bigger.study.items.filter(code__startswith="X")))
    round_open(round=round_3)
    round_close(round=round_3, aggregate=False)
    round_aggregate(round=round_3)
    with django_assert_max_num_queries(len(baseline)):
        assert staff_client.get(_page(bigger.study)).status_code == 200
