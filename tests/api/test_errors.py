"""One error format everywhere, field errors that point into the request, nothing half-saved, and
never a 500 for bad input."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from surveys.models import Ballot, Item, Rating, Study
from tests.api.conftest import World
from tests.factories import small_study_text

BALLOT = "/api/v1/me/ballot/"


def error(response: Any, status: int) -> dict[str, Any]:
    """The error of ``response``, after checking its status and the one format."""
    assert response.status_code == status, response.content[:800]
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["message"]
    return body["error"]


def c2_ratings(world: World, panelist: Any) -> list[int | None]:
    return list(
        Rating.objects.filter(ballot__panelist=panelist, round_item__item__code="C2").values_list("value", flat=True)
    )


def test_malformed_json_is_a_400_in_the_error_format(expert_a: APIClient) -> None:
    response = expert_a.generic("PATCH", BALLOT, '{"ratings": [', content_type="application/json")
    assert error(response, 400)["code"] == "parse_error"


def test_a_body_nested_thousands_deep_is_a_400(expert_a: APIClient) -> None:
    response = expert_a.generic("PATCH", BALLOT, "[" * 100_000 + "]" * 100_000, content_type="application/json")
    assert error(response, 400)["code"] == "parse_error"


def test_a_body_over_the_upload_limit_is_a_400(expert_a: APIClient, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    rating = {"item": "C2", "dimension": "agreement", "value": 5}
    response = expert_a.patch(BALLOT, {"ratings": [rating] * 100}, format="json")
    assert "larger than 1000 bytes" in error(response, 400)["message"]


def test_an_unknown_item_code_names_the_entry_and_saves_nothing(world: World, expert_a: APIClient) -> None:
    ratings = [
        {"item": "C2", "dimension": "agreement", "value": 4},
        {"item": "C99", "dimension": "agreement", "value": 4},
    ]
    found = error(expert_a.patch(BALLOT, {"ratings": ratings}, format="json"), 400)
    assert found["fields"] == {"ratings[1].item": ["There is no item 'C99' in round 1."]}
    assert c2_ratings(world, world.expert_a) == []


def test_a_value_outside_the_scale_names_the_range_and_saves_nothing(world: World, expert_a: APIClient) -> None:
    ratings = [
        {"item": "C2", "dimension": "agreement", "value": 4},
        {"item": "R1", "dimension": "feasibility", "value": 7},
    ]
    found = error(expert_a.patch(BALLOT, {"ratings": ratings}, format="json"), 400)
    assert list(found["fields"]) == ["ratings[1]"]
    assert "choose 1 to 5" in found["fields"]["ratings[1]"][0]
    assert c2_ratings(world, world.expert_a) == []


def test_an_unknown_dimension_is_a_field_error(world: World, expert_a: APIClient) -> None:
    ratings = [{"item": "C2", "dimension": "feasibility", "value": 4}]
    found = error(expert_a.patch(BALLOT, {"ratings": ratings}, format="json"), 400)
    assert found["fields"] == {"ratings[0]": ["Item C2 is not rated on 'feasibility'."]}


@pytest.mark.parametrize(
    ("value", "path"),
    [
        ("seven", "ratings[0].value"),
        (10**12, "ratings[0].value"),
        ([5], "ratings[0].value"),
    ],
)
def test_wrong_types_and_oversized_numbers_are_field_errors(expert_a: APIClient, value: Any, path: str) -> None:
    ratings = [{"item": "C2", "dimension": "agreement", "value": value}]
    assert path in error(expert_a.patch(BALLOT, {"ratings": ratings}, format="json"), 400)["fields"]


def test_a_missing_value_is_required_rather_than_read_as_cant_answer(expert_a: APIClient) -> None:
    found = error(expert_a.patch(BALLOT, {"ratings": [{"item": "C2", "dimension": "agreement"}]}, format="json"), 400)
    assert found["fields"] == {"ratings[0].value": ["This field is required."]}


def test_a_body_that_is_not_an_object_is_a_400(expert_a: APIClient) -> None:
    found = error(expert_a.patch(BALLOT, [1, 2], format="json"), 400)
    assert found["code"] == "invalid" and "Expected a dictionary" in found["message"]


def test_a_too_long_rationale_is_refused_with_its_limit(world: World, expert_a: APIClient) -> None:
    body = {"rationales": [{"item": "C1", "text": "x" * 4001}]}
    found = error(expert_a.patch(BALLOT, body, format="json"), 400)
    assert "4000" in found["fields"]["rationales[0].text"][0]


def test_a_submitted_ballot_refuses_changes_with_a_409(world: World, expert_a: APIClient) -> None:
    assert expert_a.post("/api/v1/me/ballot/submit/").status_code == 200
    ratings = [{"item": "C2", "dimension": "agreement", "value": 4}]
    found = error(expert_a.patch(BALLOT, {"ratings": ratings}, format="json"), 409)
    assert "reopen it" in found["message"]


def test_an_illegal_lifecycle_move_is_a_409_saying_where_the_round_can_go(world: World, staff_api: APIClient) -> None:
    found = error(staff_api.post(f"/api/v1/studies/{world.study.slug}/rounds/1/aggregate/"), 409)
    assert "close it before" in found["message"]
    found = error(staff_api.post(f"/api/v1/studies/{world.study.slug}/rounds/1/open/", {}, format="json"), 409)
    assert found["code"] == "illegal_transition" and "can go to closed" in found["message"]


def test_unknown_objects_and_paths_are_404s_in_the_same_format(world: World, staff_api: APIClient) -> None:
    assert error(staff_api.get("/api/v1/studies/no-such-study/"), 404)["code"] == "not_found"
    assert error(staff_api.get(f"/api/v1/studies/{world.study.slug}/rounds/7/"), 404)["code"] == "not_found"
    assert error(staff_api.get(f"/api/v1/studies/{world.study.slug}/rounds/9999999999/"), 404)["code"] == "not_found"
    assert error(staff_api.get(f"/api/v1/studies/{world.study.slug}/items/C1%00/"), 404)["code"] == "not_found"
    assert "with the slash" in error(staff_api.post("/api/v1/me/ballot/submit"), 404)["message"]


def test_bad_query_parameters_are_400s_naming_the_parameter(world: World, staff_api: APIClient) -> None:
    url = f"/api/v1/studies/{world.study.slug}/"
    assert "status" in error(staff_api.get("/api/v1/studies/?status=paused"), 400)["fields"]
    assert "round" in error(staff_api.get(url + "audit/?round=99999999999999999999"), 400)["fields"]
    assert "item" in error(staff_api.get(url + "rounds/1/statistics/?item=C1%00"), 400)["fields"]


def test_an_invalid_study_names_each_problem_and_creates_nothing(staff_api: APIClient) -> None:
    study = staff_api.get(reverse("api:study-export", args=["small-study"])).json()
    study |= {"slug": "broken-study"}
    study["dimensions"][0]["agree"] = [7, 12]
    study["items"][0]["section"] = "nowhere"
    found = error(staff_api.post("/api/v1/studies/", study, format="json"), 400)
    assert set(found["fields"]) == {"dimensions[0].agree", "items.C1.section"}
    assert not Study.objects.filter(slug="broken-study").exists()


def test_storage_limits_are_checked_in_an_imported_file_too(staff_api: APIClient) -> None:
    text = small_study_text("long-study").replace("title: A small study", f"title: {'T' * 301}")
    found = error(staff_api.post("/api/v1/studies/import/", {"content": text}, format="json"), 400)
    assert found["fields"] == {"title": ["Ensure this field has no more than 300 characters."]}
    text = small_study_text("nul-study").replace("title: A small study", 'title: "A \\0 study"')
    assert "title" in error(staff_api.post("/api/v1/studies/import/", {"content": text}, format="json"), 400)["fields"]


def test_a_yaml_alias_bomb_is_refused_quickly(staff_api: APIClient) -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + n)}: &{chr(98 + n)} [{', '.join([f'*{chr(97 + n)}'] * 9)}]\n" for n in range(9)
    )
    text = small_study_text("bomb-study") + f"extra:\n  {bomb.replace(chr(10), chr(10) + '  ')}"
    found = error(staff_api.post("/api/v1/studies/import/", {"content": text}, format="json"), 400)
    assert list(found["fields"]) == ["yaml"] and "aliases are not allowed" in found["fields"]["yaml"][0]


def test_nul_characters_in_a_free_form_rule_are_refused(world: World, staff_api: APIClient) -> None:
    body = {"stopping_rule": {"max_rounds": 3, "note": "a\x00b"}}
    found = error(staff_api.patch(f"/api/v1/studies/{world.study.slug}/", body, format="json"), 400)
    assert "stopping_rule" in found["fields"]


def test_a_frozen_consensus_rule_cannot_change(world: World, staff_api: APIClient) -> None:
    body = {"consensus_rule": {"preset": "percent"}}
    found = error(staff_api.patch(f"/api/v1/studies/{world.study.slug}/", body, format="json"), 400)
    assert found["fields"] == {"consensus_rule": ["is frozen since round 1 opened and cannot change"]}
    assert Study.objects.get(pk=world.study.pk).consensus_rule == {"preset": "cos"}


def test_an_answered_item_cannot_be_reworded_in_place(world: World, staff_api: APIClient) -> None:
    body = {"text": "The sky is green."}
    found = error(staff_api.patch(f"/api/v1/studies/{world.study.slug}/items/C1/", body, format="json"), 400)
    assert "replaces" in found["fields"]["items.C1.text"][0]
    assert Item.objects.get(study=world.study, code="C1").text == "The sky is blue."


def test_an_unknown_code_in_a_round_plan_is_a_field_error(world: World, staff_api: APIClient) -> None:
    url = f"/api/v1/studies/{world.study.slug}/rounds/"
    found = error(staff_api.post(url, {"items": ["C1", "Q77"]}, format="json"), 400)
    assert found["fields"] == {"items[1]": ["There is no item 'Q77' in this study."]}


def test_a_refused_panel_file_names_each_bad_line_and_adds_nobody(world: World, staff_api: APIClient) -> None:
    csv = "email,group\nnew@example.org,Asia\nnot-an-email,Asia\nalice@example.org,Europe\n"
    found = error(
        staff_api.post(f"/api/v1/studies/{world.study.slug}/panel/import/", {"content": csv}, format="json"), 400
    )
    assert set(found["fields"]) == {"line 3", "line 4"}
    assert not world.study.panelists.filter(email="new@example.org").exists()


def test_a_report_still_being_built_is_not_downloadable_yet(world: World, staff_api: APIClient) -> None:
    job = staff_api.post(f"/api/v1/studies/{world.study.slug}/reports/", {"format": "pdf"}, format="json").json()
    found = error(staff_api.get(f"/api/v1/studies/{world.study.slug}/reports/{job['id']}/download/"), 409)
    assert found["code"] == "not_ready"


def test_the_ballot_is_untouched_by_every_refused_patch(world: World, expert_a: APIClient) -> None:
    before = list(Rating.objects.filter(ballot__panelist=world.expert_a).values_list("value", "rationale"))
    change = {"item": "C1", "dimension": "agreement", "value": 1}
    for body in (
        {"ratings": [change, {"item": "C1", "dimension": "x", "value": 1}]},  # an unknown dimension
        {"ratings": [change], "open_answers": [{"item": "C1", "text": "t"}]},  # C1 is not an open question
    ):
        assert expert_a.patch(BALLOT, body, format="json").status_code == 400
    after = list(Rating.objects.filter(ballot__panelist=world.expert_a).values_list("value", "rationale"))
    assert after == before and Ballot.objects.filter(panelist=world.expert_a).count() == 1


def test_a_yaml_date_that_does_not_exist_is_a_400_not_a_crash(staff_api: APIClient) -> None:
    text = small_study_text("dated-study").replace("description: Two", "created: 2001-02-30\ndescription: Two")
    found = error(staff_api.post("/api/v1/studies/import/", {"content": text}, format="json"), 400)
    assert "day is out of range" in found["fields"]["yaml"][0]


@pytest.mark.parametrize("content", [",,,", " ;; \n;", '"', ""])
def test_a_panel_file_without_a_single_cell_is_a_400(world: World, staff_api: APIClient, content: str) -> None:
    target = f"/api/v1/studies/{world.study.slug}/panel/import/preview/"
    assert "content" in error(staff_api.post(target, {"content": content}, format="json"), 400)["fields"]
