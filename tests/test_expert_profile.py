"""The expert's profile: the group is the facilitator's, the background is the expert's own and no analysis uses it."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import yaml
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from openpyxl import load_workbook
from rest_framework.test import APIClient

from surveys.models import Panelist, Study
from surveys.reports.formats import render
from surveys.selectors.reports import report_data
from surveys.services.panel import panelist_create, panelist_token_rotate
from surveys.services.rounds import round_create, round_open
from surveys.services.study_backup import study_backup_yaml
from tests.factories import consented_panel, small_study
from tests.test_reports_data import build_two_rounds

pytestmark = pytest.mark.django_db

MARKER = "Zanzibar-background-marker"


@pytest.fixture
def me() -> Panelist:
    study = small_study()
    round_open(round=round_create(study=study))
    return consented_panel(study, ["Central Asia"])[0]


def _enter(client: Client, panelist: Panelist) -> None:
    assert client.get(f"/e/{panelist_token_rotate(panelist=panelist)}/").status_code == 302


def test_the_profile_page_shows_the_group_but_offers_no_field_for_it(client: Client, me: Panelist) -> None:
    _enter(client, me)
    page = client.get("/e/profile/").content.decode()
    assert '<span id="your-group">Central Asia</span>' in page
    assert 'name="group"' not in page
    assert 'name="background"' in page


def test_posting_a_group_in_the_profile_form_changes_nothing(client: Client, me: Panelist) -> None:
    consented_panel(me.study, ["Central Asia", "Central Asia"])
    _enter(client, me)
    for group in ("central asia", "Self-declared VIP group", ""):
        response = client.post("/e/profile/", {"group": group, "years_experience": "4"})
        assert response["Location"] == "/e/round/"
        me.refresh_from_db()
        assert me.group == "Central Asia"
    groups = set(Panelist.objects.filter(study=me.study).values_list("group", flat=True))
    assert groups == {"Central Asia"}  # no new group beside the facilitator's


def test_the_background_is_saved_and_shown_back_to_the_expert_and_the_facilitator(client: Client, me: Panelist) -> None:
    _enter(client, me)
    client.post("/e/profile/", {"background": "  Former border official  ", "years_experience": "20"})
    me.refresh_from_db()
    assert me.background == "Former border official"
    assert ">Former border official</textarea>" in client.get("/e/profile/").content.decode()
    staff = Client()
    staff.force_login(get_user_model().objects.create_user("facilitator", password=None, is_staff=True))
    panel_page = staff.get(f"/facilitate/{me.study.slug}/panel/").content.decode()
    assert '<td class="background">Former border official</td>' in panel_page


def test_a_background_over_its_limit_is_refused_with_the_limit(client: Client, me: Panelist) -> None:
    _enter(client, me)
    response = client.post("/e/profile/", {"background": "x" * 2001})
    assert response.status_code == 400
    assert "at most 2000 characters" in response.content.decode()
    me.refresh_from_db()
    assert me.background == ""


def _expert_api(panelist: Panelist) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {panelist_token_rotate(panelist=panelist)}")
    return api


def test_the_api_refuses_a_different_group_and_saves_nothing(me: Panelist) -> None:
    api = _expert_api(me)
    body = {"group": "Self-declared VIP group", "background": "Analyst", "years_experience": 3}
    refused = api.put("/api/v1/me/profile/", body, format="json")
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"] == {"group": ["Is set by the facilitator; it cannot change here."]}
    me.refresh_from_db()
    assert (me.group, me.background, me.years_experience) == ("Central Asia", "", None)


def test_the_api_shows_the_group_and_accepts_it_sent_back_unchanged(me: Panelist) -> None:
    api = _expert_api(me)
    profile = api.get("/api/v1/me/profile/").json()
    assert profile["group"] == "Central Asia"
    saved = api.put("/api/v1/me/profile/", profile | {"background": "Analyst"}, format="json")
    assert saved.status_code == 200 and saved.json()["background"] == "Analyst"
    me.refresh_from_db()
    assert (me.group, me.background) == ("Central Asia", "Analyst")


def test_the_background_appears_in_no_report_output() -> None:
    world = build_two_rounds()
    Panelist.objects.filter(study=world.study).update(background=MARKER)
    data = report_data(world.study, with_ratings=True)
    for name in ("csv", "json", "html"):
        assert MARKER not in render(data, name).decode(), name
    book = load_workbook(io.BytesIO(render(data, "xlsx")), read_only=True)
    cells = [str(c) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for c in row]
    assert cells and not any(MARKER in c for c in cells)
    assert MARKER not in json.dumps(json.loads(render(data, "json")))


def test_a_backup_keeps_the_background_and_a_pseudonymised_one_drops_it(tmp_path: Path) -> None:
    study = small_study()
    panelist, _ = panelist_create(study=study, email="a@example.org", group="Europe")
    Panelist.objects.filter(pk=panelist.pk).update(background=MARKER)
    assert yaml.safe_load(study_backup_yaml(study=study))["data"]["panel"][0]["background"] == MARKER
    assert MARKER not in study_backup_yaml(study=study, pseudonymise=True)
    path = tmp_path / "backup.yaml"
    path.write_text(study_backup_yaml(study=study))
    Study.objects.all().delete()
    call_command("import_study", str(path), "--with-data")
    assert Panelist.objects.get().background == MARKER
