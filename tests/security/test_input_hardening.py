"""Text the database cannot hold, bytes that are not UTF-8, and posts over the size limits
(issue "Security hardening", items 3 and 8).

A NUL character was a 500 on PostgreSQL and silently stored on SQLite; a field that was not UTF-8
was saved as U+FFFD; an oversized post got Django's bare HTML 400, even on the autosave, which
reads JSON. Each is now a 400 naming the field or the limit, on both databases and on every path.
These tests run on whichever database ``DATABASE_URL`` names; the last ones need PostgreSQL.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DataError, IntegrityError, transaction
from django.test import Client
from django.test.client import MULTIPART_CONTENT, encode_multipart
from django.utils import timezone
from rest_framework.test import APIClient

from surveys.errors import DomainError, StudyFileError
from surveys.models import Ballot, MessageTemplate, Panelist, Rating, Round, Suggestion
from surveys.models.ballots import RATIONALE_MAX_LENGTH
from surveys.services.ballots import BallotRefused, RatingInput, ballot_save, ballot_start
from surveys.services.experts import panelist_profile_update, suggestion_submit
from surveys.services.panel import panelist_create
from surveys.services.panel_import import PanelImportError, PanelRow, panel_import, panel_import_preview
from surveys.services.rounds import round_create, round_open
from surveys.services.study_files import study_import
from tests.factories import small_study, small_study_text
from tests.services import require_postgres
from tests.test_ballots import OPEN_ITEM

pytestmark = pytest.mark.django_db

NUL_TEXT = "because\x00 of this"


@pytest.fixture
def expert() -> tuple[Round, Panelist, str]:
    """An open round, a consented expert and their invitation token."""
    study = small_study()
    round_ = round_open(round=round_create(study=study))
    panelist, raw = panelist_create(study=study, email="a@example.org")
    panelist.consent_at = timezone.now()
    panelist.save(update_fields=["consent_at"])
    return round_, panelist, raw


def ri(round_: Round, code: str) -> int:
    return round_.round_items.get(item__code=code).pk


def ballot_url(client: Client, round_: Round, panelist: Panelist, raw: str) -> str:
    assert client.get(f"/e/{raw}/").status_code == 302
    return f"/e/ballots/{ballot_start(panelist=panelist, round=round_).pk}/"


def autosave(client: Client, url: str, fields: dict[str, str]) -> object:
    """Post as the page's script does: multipart form data (``FormData``), asking for JSON."""
    return client.post(f"{url}autosave/", fields, HTTP_ACCEPT="application/json")


def reasons() -> list[str]:
    return list(Rating.objects.values_list("rationale", flat=True))


# --- NUL characters ---------------------------------------------------------------------------------


def test_autosave_refuses_a_nul_in_a_rationale_with_json_naming_the_field(expert) -> None:  # type: ignore[no-untyped-def]
    round_, me, raw = expert
    client = Client()
    url = ballot_url(client, round_, me, raw)
    c1 = ri(round_, "C1")
    response = autosave(client, url, {f"r{c1}-agreement": "7", f"rationale-{c1}": NUL_TEXT})
    assert response.status_code == 400
    assert "NUL character" in response.json()["errors"][f"rationale-{c1}"]
    assert not Rating.objects.exists()  # nothing half-saved: the rating went with its reason


@pytest.mark.parametrize("action", ["save", "submit"])
def test_save_and_submit_refuse_a_nul_in_a_rationale_and_show_the_page_again(expert, action: str) -> None:  # type: ignore[no-untyped-def]
    round_, me, raw = expert
    client = Client()
    url = ballot_url(client, round_, me, raw)
    c1 = ri(round_, "C1")
    page = client.post(url, {f"r{c1}-agreement": "7", f"rationale-{c1}": NUL_TEXT, "action": action})
    assert page.status_code == 400
    assert "Your reason contains a NUL character" in page.content.decode()
    assert not Rating.objects.exists()
    assert Ballot.objects.get(panelist=me).status == Ballot.Status.DRAFT


def test_the_ballot_service_refuses_a_nul_rationale_whoever_calls_it(expert) -> None:  # type: ignore[no-untyped-def]
    round_, me, _ = expert
    c1 = ri(round_, "C1")
    with pytest.raises(BallotRefused) as refused:
        ballot_save(panelist=me, round=round_, entries=[RatingInput(c1, "agreement", 7)], rationales={c1: NUL_TEXT})
    assert "Item C1: the rationale contains a NUL character" in refused.value.errors[f"rationale-{c1}"]
    with pytest.raises(BallotRefused) as refused:
        ballot_save(panelist=me, round=round_, entries=[RatingInput(c1, "agreement", 7, NUL_TEXT)])
    assert "NUL character" in refused.value.errors[f"r{c1}-agreement"]
    assert not Rating.objects.exists()


def test_the_api_refuses_a_nul_in_a_rationale_naming_its_path(expert) -> None:  # type: ignore[no-untyped-def]
    _, _, raw = expert
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    body = {
        "ratings": [{"item": "C1", "dimension": "agreement", "value": 7}],
        "rationales": [{"item": "C1", "text": NUL_TEXT}],
    }
    response = api.patch("/api/v1/me/ballot/", body, format="json")
    assert response.status_code == 400
    assert "rationales[0].text" in response.json()["error"]["fields"]
    assert not Rating.objects.exists()


def test_an_open_answer_with_a_nul_is_refused_by_the_page_and_the_service() -> None:
    study = study_import(text=small_study_text("open-study") + OPEN_ITEM, filename="open.yaml").study
    round_ = round_open(round=round_create(study=study))
    me, raw = panelist_create(study=study, email="o@example.org")
    me.consent_at = timezone.now()
    me.save(update_fields=["consent_at"])
    client = Client()
    url = ballot_url(client, round_, me, raw)
    o1 = ri(round_, "O1")
    response = autosave(client, url, {f"open-{o1}": NUL_TEXT})
    assert response.status_code == 400
    assert "Your answer contains a NUL character" in response.json()["errors"][f"open-{o1}"]
    with pytest.raises(DomainError, match="Your answer to O1 contains a NUL character"):
        suggestion_submit(panelist=me, round=round_, item=study.items.get(code="O1"), text=NUL_TEXT)
    assert not Suggestion.objects.exists()


def test_the_profile_refuses_a_nul_in_the_background_on_the_page_and_in_the_service(expert) -> None:  # type: ignore[no-untyped-def]
    _, me, raw = expert
    client = Client()
    assert client.get(f"/e/{raw}/").status_code == 302
    page = client.post("/e/profile/", {"background": "Euro\x00pe", "years_experience": "3"})
    assert page.status_code == 400
    assert "Null characters are not allowed" in page.content.decode()
    with pytest.raises(DomainError, match="Your background contains a NUL character"):
        panelist_profile_update(panelist=me, background="Euro\x00pe", years_experience=3, expertise={})
    me.refresh_from_db()
    assert me.background == ""


def staff_client() -> Client:
    client = Client()
    client.force_login(get_user_model().objects.create_user("facilitator", password="x", is_staff=True))
    return client


def test_a_panel_csv_with_a_nul_in_a_name_is_refused_on_preview_and_on_confirmation() -> None:
    study = small_study()
    csv = "email,name\nok@example.org,Olga\nbad@example.org,Bad\x00Name\n"
    preview = panel_import_preview(study=study, text=csv)
    assert not preview.is_valid
    assert [e.render() for e in preview.errors] == [
        "line 3: the name contains a NUL character (\\0, at position 4), which text cannot hold"
    ]
    page = staff_client().post(
        f"/facilitate/{study.slug}/panel/import/", {"file": SimpleUploadedFile("panel.csv", csv.encode())}
    )
    assert "<td>3</td><td>bad@example.org</td><td>the name contains a NUL character" in page.content.decode()
    assert "1 row needs fixing; nobody was added" in page.content.decode()
    # Rows kept in a session between preview and confirmation are checked again.
    rows = [
        PanelRow(line=2, email="ok@example.org", name="Olga"),
        PanelRow(line=3, email="b@example.org", name="B\x00"),
    ]
    with pytest.raises(PanelImportError, match="line 3: the name contains a NUL character"):
        panel_import(study=study, rows=rows)
    assert not study.panelists.exists()


def test_a_study_file_whose_text_holds_a_nul_escape_is_refused_naming_the_field() -> None:
    text = small_study_text().replace("text: The sky is blue.", 'text: "The sky\\0 is blue."')
    with pytest.raises(StudyFileError) as refused:
        study_import(text=text, filename="nul.yaml")
    assert [(e.field, e.message.split(",")[0]) for e in refused.value.errors] == [
        ("items[0].text", "contains a NUL character (\\0")
    ]


def test_a_message_template_with_a_nul_is_refused_by_the_form_the_api_and_the_service() -> None:
    from surveys.services.api_tokens import api_token_create
    from surveys.services.mail import message_template_save

    study = small_study()
    client = staff_client()
    body = "Dear expert,\n\x00{{ link }}"
    page = client.post(f"/facilitate/{study.slug}/messages/reminder/", {"subject": "Reminder", "body": body})
    assert page.status_code == 400 and "Null characters are not allowed" in page.content.decode()
    api = APIClient()
    staff = get_user_model().objects.get(username="facilitator")
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=staff, name='t')[1]}")
    response = api.put(
        f"/api/v1/studies/{study.slug}/messages/reminder/", {"subject": "R", "body": body}, format="json"
    )
    assert response.status_code == 400 and "body" in response.json()["error"]["fields"]
    with pytest.raises(DomainError, match="The body contains a NUL character"):
        message_template_save(study=study, kind="reminder", subject="Reminder", body=body)
    assert not MessageTemplate.objects.exists()


# --- bytes that are not UTF-8 ------------------------------------------------------------------------


def test_a_save_whose_reason_is_not_utf8_is_refused_not_stored_as_replacement_characters(expert) -> None:  # type: ignore[no-untyped-def]
    round_, me, raw = expert
    client = Client()
    url = ballot_url(client, round_, me, raw)
    c1 = ri(round_, "C1")
    body = f"r{c1}-agreement=7&rationale-{c1}=caf%E9&action=save"  # Latin-1 é: not UTF-8
    page = client.post(url, body, content_type="application/x-www-form-urlencoded")
    assert page.status_code == 400
    assert f"the field(s) rationale-{c1} hold bytes that are not UTF-8 text" in page.content.decode()
    assert not Rating.objects.exists()


def test_autosave_refuses_a_multipart_field_that_is_not_utf8_with_json(expert) -> None:  # type: ignore[no-untyped-def]
    round_, me, raw = expert
    client = Client()
    url = ballot_url(client, round_, me, raw)
    c1 = ri(round_, "C1")
    body = encode_multipart("B0UND", {f"r{c1}-agreement": "7", f"rationale-{c1}": "PLACEHOLDER"})
    body = body.replace(b"PLACEHOLDER", b"caf\xe9")
    response = client.post(
        f"{url}autosave/",
        body,
        content_type=MULTIPART_CONTENT.replace("BoUnDaRyStRiNg", "B0UND"),
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 400
    assert "not UTF-8" in response.json()["message"]
    assert list(response.json()["errors"]) == [f"rationale-{c1}"]
    assert not Rating.objects.exists()


def test_a_replacement_character_the_expert_really_typed_is_kept(expert) -> None:  # type: ignore[no-untyped-def]
    round_, me, raw = expert
    client = Client()
    url = ballot_url(client, round_, me, raw)
    c1 = ri(round_, "C1")
    response = autosave(client, url, {f"r{c1}-agreement": "7", f"rationale-{c1}": "the sign \ufffd itself"})
    assert response.status_code == 200
    assert reasons() == ["the sign \ufffd itself"]


def test_an_uploaded_file_that_is_not_utf8_is_not_mistaken_for_a_garbled_field() -> None:
    study = small_study()
    upload = SimpleUploadedFile("panel.csv", "email,name\nz@example.org,Zoë\n".encode("latin-1"))
    page = staff_client().post(f"/facilitate/{study.slug}/panel/import/", {"file": upload})
    assert page.status_code == 400
    assert "The file is not UTF-8 text" in page.content.decode()  # the form's own message, on its field


# --- posts over the limits ---------------------------------------------------------------------------


def test_an_autosave_over_the_size_limit_gets_json_naming_the_limit(expert, settings) -> None:  # type: ignore[no-untyped-def]
    round_, me, raw = expert
    client = Client()
    url = ballot_url(client, round_, me, raw)
    c1 = ri(round_, "C1")
    response = autosave(client, url, {f"r{c1}-agreement": "7", f"rationale-{c1}": "x" * 5 * 1024 * 1024})
    assert response.status_code == 400
    message = response.json()["message"]
    assert f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes" in message
    assert f"at most {RATIONALE_MAX_LENGTH:,} characters" in message
    assert not Rating.objects.exists()


def test_a_page_post_of_fifty_megabytes_gets_a_page_naming_the_limit(expert, settings) -> None:  # type: ignore[no-untyped-def]
    round_, me, raw = expert
    client = Client()
    url = ballot_url(client, round_, me, raw)
    c1 = ri(round_, "C1")
    body = f"r{c1}-agreement=7&action=save&rationale-{c1}=" + "x" * 50 * 1024 * 1024
    page = client.post(url, body, content_type="application/x-www-form-urlencoded")
    assert page.status_code == 400
    assert page["Content-Type"].startswith("text/html")
    assert f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes" in page.content.decode()
    assert "Your last change was not saved" in page.content.decode()


def test_two_thousand_fields_get_json_on_autosave_and_a_page_on_save(expert, settings) -> None:  # type: ignore[no-untyped-def]
    round_, me, raw = expert
    client = Client()
    url = ballot_url(client, round_, me, raw)
    fields = {f"f{n}": "1" for n in range(2000)}
    response = autosave(client, url, fields)
    assert response.status_code == 400
    assert f"more than {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS:,} fields" in response.json()["message"]
    page = client.post(url, {**fields, "action": "save"})
    assert page.status_code == 400 and page["Content-Type"].startswith("text/html")
    assert f"more than {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS:,} fields" in page.content.decode()


def test_an_api_body_over_the_limit_gets_the_apis_json_error(expert, settings) -> None:  # type: ignore[no-untyped-def]
    _, _, raw = expert
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    text = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = api.patch("/api/v1/me/ballot/", {"rationales": [{"item": "C1", "text": text}]}, format="json")
    assert response.status_code == 400
    assert f"larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes" in response.json()["error"]["message"]


# --- the rationale's maximum length ------------------------------------------------------------------


def test_the_rationale_limit_is_shown_on_the_form_and_enforced_by_the_api(expert) -> None:  # type: ignore[no-untyped-def]
    round_, me, raw = expert
    client = Client()
    page = client.get(ballot_url(client, round_, me, raw)).content.decode()
    assert f'maxlength="{RATIONALE_MAX_LENGTH}"' in page and f"Up to {RATIONALE_MAX_LENGTH} characters" in page
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    body = {
        "ratings": [{"item": "C1", "dimension": "agreement", "value": 7}],
        "rationales": [{"item": "C1", "text": "x" * (RATIONALE_MAX_LENGTH + 1)}],
    }
    response = api.patch("/api/v1/me/ballot/", body, format="json")
    assert response.status_code == 400 and "rationales[0].text" in response.json()["error"]["fields"]


def test_the_database_refuses_a_rationale_over_the_limit(expert) -> None:  # type: ignore[no-untyped-def]
    round_, me, _ = expert
    c1 = ri(round_, "C1")
    ballot_save(panelist=me, round=round_, entries=[RatingInput(c1, "agreement", 7)], rationales={c1: "ok"})
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.filter(round_item_id=c1).update(rationale="x" * (RATIONALE_MAX_LENGTH + 1))
    assert reasons() == ["ok"]


# --- on PostgreSQL, where a NUL used to be a 500 -----------------------------------------------------


def test_postgresql_every_path_answers_a_nul_with_a_400_and_stores_nothing(expert) -> None:  # type: ignore[no-untyped-def]
    require_postgres()
    round_, me, raw = expert
    client = Client()
    url = ballot_url(client, round_, me, raw)
    c1 = ri(round_, "C1")
    fields = {f"r{c1}-agreement": "7", f"rationale-{c1}": NUL_TEXT}
    assert autosave(client, url, fields).status_code == 400
    assert client.post(url, {**fields, "action": "submit"}).status_code == 400
    rows = [PanelRow(line=2, email="b@example.org", name="B\x00")]
    with pytest.raises(PanelImportError):
        panel_import(study=round_.study, rows=rows)
    assert not Rating.objects.exists() and round_.study.panelists.count() == 1
    # What the checks stand in front of: PostgreSQL itself cannot take the text.
    with pytest.raises(DataError, match="NUL"), transaction.atomic():
        Panelist.objects.filter(pk=me.pk).update(group=NUL_TEXT)
