"""PATCH /api/v1/studies/<slug>/panel/<id>/: a facilitator changes an expert's name, group or language,
checked as the CSV import checks them, audited, and refused with a 400 naming the field."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from surveys.models import AuditEvent
from tests.api.conftest import World

pytestmark = pytest.mark.django_db


def _patch(client: APIClient, world: World, body: object, **headers: str) -> tuple[int, dict]:
    answer = client.patch(
        f"/api/v1/studies/{world.study.slug}/panel/{world.expert_a.pk}/", body, format="json", headers=headers
    )
    return answer.status_code, answer.json()


def _bilingual(world: World) -> None:
    world.study.languages = ["en", "ru"]
    world.study.save(update_fields=["languages"])


def test_a_patch_changes_language_name_and_group_and_is_audited(world: World, staff_api: APIClient) -> None:
    _bilingual(world)
    status, body = _patch(staff_api, world, {"language": " RU ", "name": "Alisa Andreeva", "group": "Central Asia"})
    assert status == 200
    assert (body["language"], body["name"], body["group"]) == ("ru", "Alisa Andreeva", "Central Asia")
    world.expert_a.refresh_from_db()
    assert (world.expert_a.language, world.expert_a.group) == ("ru", "Central Asia")
    event = AuditEvent.objects.get(study=world.study, action="panelist.updated")
    assert event.actor_label == "facilitator"
    assert event.detail == {
        "pseudonym": world.expert_a.pseudonym,
        "fields": ["group", "language", "name"],
        "language": "ru",
    }


def test_a_patch_that_changes_nothing_records_no_event(world: World, staff_api: APIClient) -> None:
    status, _ = _patch(staff_api, world, {"group": world.expert_a.group})
    assert status == 200
    assert not AuditEvent.objects.filter(action="panelist.updated").exists()


def test_a_language_the_study_does_not_declare_is_a_400_naming_the_accepted_codes(
    world: World, staff_api: APIClient
) -> None:
    status, body = _patch(staff_api, world, {"language": "ru"})  # the study declares English only
    assert status == 400
    assert body["error"]["fields"] == {"language": ["The language 'ru' is not one of this study's languages: en."]}
    _bilingual(world)
    status, body = _patch(staff_api, world, {"language": "fr"})
    assert body["error"]["fields"]["language"] == ["The language 'fr' is not one of this study's languages: en, ru."]
    world.expert_a.refresh_from_db()
    assert world.expert_a.language == "en"


def test_a_name_or_group_over_the_import_limit_is_a_400_naming_the_field(world: World, staff_api: APIClient) -> None:
    status, body = _patch(staff_api, world, {"group": "G" * 81})
    assert status == 400 and list(body["error"]["fields"]) == ["group"]
    status, body = _patch(staff_api, world, {"name": "bad\x00name"})
    assert status == 400 and list(body["error"]["fields"]) == ["name"]
    world.expert_a.refresh_from_db()
    assert world.expert_a.name == "Alice Anders"


def test_unknown_fields_and_an_empty_body_are_refused(world: World, staff_api: APIClient) -> None:
    status, body = _patch(staff_api, world, {"email": "new@example.org", "status": "revoked"})
    assert status == 400 and sorted(body["error"]["fields"]) == ["email", "status"]
    assert "only name, group and language" in body["error"]["fields"]["email"][0]
    status, body = _patch(staff_api, world, {})
    assert status == 400 and "at least one of name, group and language" in body["error"]["message"]
    world.expert_a.refresh_from_db()
    assert world.expert_a.email == "alice@example.org" and world.expert_a.status != "revoked"


def test_experts_cannot_patch_the_panel(world: World, expert_a: APIClient) -> None:
    status, _ = _patch(expert_a, world, {"language": "en"})
    assert status in (401, 403)


def test_the_error_prose_is_russian_when_the_client_asks_for_it(world: World, staff_api: APIClient) -> None:
    status, body = _patch(staff_api, world, {"language": "fr"}, **{"Accept-Language": "ru"})
    assert status == 400
    message = body["error"]["fields"]["language"][0]
    assert "fr" in message and "en" in message
    assert any("а" <= ch <= "я" for ch in message.lower()), message
    status, body = _patch(staff_api, world, {"colour": "red"}, **{"Accept-Language": "ru"})
    assert any("а" <= ch <= "я" for ch in body["error"]["fields"]["colour"][0].lower())


def test_the_schema_documents_the_patch(world: World, staff_api: APIClient) -> None:
    schema = staff_api.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/studies/{study_slug}/panel/{panelist_id}/"]["patch"]
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(schema["components"]["schemas"][ref]["properties"]) == {"name", "group", "language"}
    assert "400" in operation["responses"] or "panelist.updated" in operation["description"]
