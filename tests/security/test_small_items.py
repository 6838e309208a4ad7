"""The smaller findings of issue "Security hardening" (item 9), one test or two each."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.staticfiles import finders
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from surveys.models import AuditEvent, Panelist, Rating, Round, Study
from surveys.services.api_tokens import api_token_create
from surveys.services.panel import panelist_create
from surveys.services.rounds import round_create, round_open
from tests.factories import small_study

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def expert() -> tuple[Round, Panelist, str]:
    study = small_study()
    round_ = round_open(round=round_create(study=study))
    panelist, raw = panelist_create(study=study, email="a@example.org")
    return round_, panelist, raw


def expert_api(raw: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api


def staff_api() -> APIClient:
    staff = get_user_model().objects.create_user("facilitator", password=None, is_staff=True)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=staff, name='t')[1]}")
    return api


# --- a PATCH naming the same rating twice ------------------------------------------------------------


def test_a_ballot_patch_naming_the_same_rating_twice_is_refused_naming_both_entries(expert) -> None:  # type: ignore[no-untyped-def]
    _, me, raw = expert
    Panelist.objects.filter(pk=me.pk).update(consent_at=timezone.now())
    ratings = [
        {"item": "C1", "dimension": "agreement", "value": 2},
        {"item": "C2", "dimension": "agreement", "value": 5},
        {"item": "C1", "dimension": "agreement", "value": 9},
    ]
    response = expert_api(raw).patch("/api/v1/me/ballot/", {"ratings": ratings}, format="json")
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"ratings[0]", "ratings[2]"}
    assert "C1 on 'agreement' is sent again at ratings[2]" in fields["ratings[0]"][0]
    assert not Rating.objects.exists()


def test_a_ballot_patch_giving_an_item_two_rationales_is_refused_too(expert) -> None:  # type: ignore[no-untyped-def]
    _, me, raw = expert
    Panelist.objects.filter(pk=me.pk).update(consent_at=timezone.now())
    body = {
        "ratings": [{"item": "C1", "dimension": "agreement", "value": 2}],
        "rationales": [{"item": "C1", "text": "one"}, {"item": "C1", "text": "two"}],
    }
    response = expert_api(raw).patch("/api/v1/me/ballot/", body, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"rationales[0]", "rationales[1]"}
    assert not Rating.objects.exists()


# --- is_report_public in a PATCH of a study ----------------------------------------------------------


def test_publishing_the_report_through_the_api_is_honoured_and_audited() -> None:
    study = small_study()
    api = staff_api()
    response = api.patch(f"/api/v1/studies/{study.slug}/", {"is_report_public": True}, format="json")
    assert response.status_code == 200 and response.json()["is_report_public"] is True
    assert Study.objects.get(pk=study.pk).is_report_public
    event = AuditEvent.objects.get(study=study, action="study.report_published")
    assert event.actor_label == "facilitator"
    back = api.patch(f"/api/v1/studies/{study.slug}/", {"is_report_public": False, "title": "Renamed"}, format="json")
    assert (back.json()["is_report_public"], back.json()["title"]) == (False, "Renamed")
    assert AuditEvent.objects.filter(study=study, action="study.report_unpublished").exists()


def test_a_refused_settings_change_does_not_publish_the_report() -> None:
    study = small_study()
    body = {"is_report_public": True, "settings": {"min_group_size": 1}}
    response = staff_api().patch(f"/api/v1/studies/{study.slug}/", body, format="json")
    assert response.status_code == 400
    assert not Study.objects.get(pk=study.pk).is_report_public


def test_is_report_public_must_be_true_or_false() -> None:
    study = small_study()
    response = staff_api().patch(f"/api/v1/studies/{study.slug}/", {"is_report_public": "maybe"}, format="json")
    assert response.status_code == 400 and "is_report_public" in response.json()["error"]["fields"]


# --- the expert's pages without a session, and GET /e/consent/ ---------------------------------------


def test_the_round_page_without_a_session_says_it_ended_and_how_to_get_back_in() -> None:
    response = Client().get("/e/round/")
    page = response.content.decode()
    assert "Your session has ended" in page
    assert "open the personal link in the most recent email" in page
    assert "This link is not valid" not in page


def test_autosave_without_a_session_answers_json_the_page_can_show() -> None:
    response = Client().post("/e/ballots/1/autosave/", {}, HTTP_ACCEPT="application/json")
    assert response.status_code == 404
    assert "Your session has ended" in response.json()["message"]


def test_get_consent_leads_to_the_step_the_expert_is_at(expert) -> None:  # type: ignore[no-untyped-def]
    raw = expert[2]
    client = Client()
    assert client.get(f"/e/{raw}/").status_code == 302
    before = client.get("/e/consent/")
    assert (before.status_code, before["Location"]) == (302, "/e/welcome/")
    assert client.post("/e/consent/").status_code == 302
    after = client.get("/e/consent/")
    assert (after.status_code, after["Location"]) == (302, "/e/round/")


# --- production settings -----------------------------------------------------------------------------


def _production_check(**env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("DELPHI_")}
    environ |= {"DJANGO_SETTINGS_MODULE": "delphi.settings.production", "DELPHI_SECRET_KEY": "k" * 60, **env}
    environ.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120
    )


def test_production_refuses_to_start_without_allowed_hosts() -> None:
    refused = _production_check()
    assert refused.returncode != 0
    assert "DELPHI_ALLOWED_HOSTS must name the host name(s)" in refused.stderr
    started = _production_check(DELPHI_ALLOWED_HOSTS="panel.example.org")
    assert started.returncode == 0, started.stderr


# --- the favicon -------------------------------------------------------------------------------------


def test_pages_link_a_favicon_and_favicon_ico_answers() -> None:
    client = Client()
    assert 'rel="icon" href="/static/surveys/favicon.svg"' in client.get("/").content.decode()
    response = client.get("/favicon.ico")
    assert (response.status_code, response["Location"]) == (301, "/static/surveys/favicon.svg")
    icon = finders.find("surveys/favicon.svg")
    assert icon and Path(icon).read_text().startswith("<svg")
