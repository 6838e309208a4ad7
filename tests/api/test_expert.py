"""The expert's endpoints: their study, consent and profile, the ballot (read, save, submit, reopen),
and feedback that is anonymous."""

from __future__ import annotations

from typing import Any

from rest_framework.test import APIClient

from surveys.models import Panelist, Rating
from surveys.services.panel import panelist_create
from tests.api.conftest import World, client_for
from tests.factories import small_study

BALLOT = "/api/v1/me/ballot/"


def test_the_study_shows_scales_and_the_current_round_but_no_panel(world: World, expert_a: APIClient) -> None:
    body = expert_a.get("/api/v1/me/study/").json()
    assert body["slug"] == world.study.slug and body["round"]["number"] == 1 and body["has_consented"]
    assert [d["key"] for d in body["dimensions"]] == ["agreement", "feasibility"]
    assert body["dimensions"][0]["scale"] == {
        "min": 1,
        "max": 9,
        "labels": {"1": "Strongly disagree", "9": "Strongly agree"},
    }
    assert "panelists" not in body and "email" not in str(body)


def test_consent_is_recorded_once(world: World) -> None:
    newcomer, raw = panelist_create(study=world.study, email="new@example.org")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    refused = client.patch(BALLOT, {"ratings": [{"item": "C1", "dimension": "agreement", "value": 5}]}, format="json")
    assert refused.status_code == 409 and "consent" in refused.json()["error"]["message"]
    first = client.post("/api/v1/me/consent/").json()["consent_at"]
    assert client.post("/api/v1/me/consent/").json()["consent_at"] == first
    assert Panelist.objects.get(pk=newcomer.pk).consent_at is not None


def test_the_profile_is_saved_and_unknown_sections_are_refused(world: World, expert_a: APIClient) -> None:
    body = {"background": "Analyst", "years_experience": 12, "expertise": {"claims": 4}}
    saved = expert_a.put("/api/v1/me/profile/", body, format="json")
    assert saved.json() == {
        "group": "Europe",
        "background": "Analyst",
        "years_experience": 12,
        "expertise": {"claims": 4},
    }
    refused = expert_a.put("/api/v1/me/profile/", {"expertise": {"nowhere": 3}}, format="json")
    assert refused.status_code == 400 and list(refused.json()["error"]["fields"]) == ["expertise.nowhere"]
    assert Panelist.objects.get(pk=world.expert_a.pk).expertise == {"claims": 4}


def test_a_patch_changes_only_what_it_sends_and_keeps_the_rationale(world: World, expert_a: APIClient) -> None:
    body = expert_a.patch(
        BALLOT, {"ratings": [{"item": "C1", "dimension": "agreement", "value": 8}]}, format="json"
    ).json()
    assert body["ratings"] == [{"item": "C1", "dimension": "agreement", "value": 8}]
    assert body["rationales"] == [{"item": "C1", "text": "alpha's private reason"}]
    rating = Rating.objects.get(ballot__panelist=world.expert_a)
    assert [r.value for r in rating.revisions.all()] == [9, 8]  # every change is kept


def test_cant_answer_is_null_and_counts_as_answered(world: World, expert_b: APIClient) -> None:
    body = expert_b.patch(
        BALLOT, {"ratings": [{"item": "C2", "dimension": "agreement", "value": None}]}, format="json"
    ).json()
    assert {"item": "C2", "dimension": "agreement", "value": None} in body["ratings"]
    assert (body["answered"], body["total"]) == (2, 3)


def test_submit_then_reopen_then_submit_again(world: World, expert_a: APIClient) -> None:
    submitted = expert_a.post(f"{BALLOT}submit/").json()
    assert (submitted["status"], submitted["is_editable"]) == ("submitted", False)
    reopened = expert_a.post(f"{BALLOT}reopen/").json()
    assert (reopened["status"], reopened["is_editable"]) == ("draft", True)
    assert expert_a.post(f"{BALLOT}submit/").json()["status"] == "submitted"


def test_nothing_to_submit_is_a_409(world: World) -> None:
    _, raw = panelist_create(study=world.study, email="new@example.org")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    client.post("/api/v1/me/consent/")
    assert client.get(BALLOT).json()["status"] == "not_started"
    response = client.post(f"{BALLOT}submit/")
    assert response.status_code == 409 and "Rate at least one item" in response.json()["error"]["message"]


def test_a_closed_round_is_read_only(world: World, expert_a: APIClient, staff_api: APIClient) -> None:
    staff_api.post(f"/api/v1/studies/{world.study.slug}/rounds/1/close/")
    body = expert_a.get(BALLOT).json()
    assert body["round"]["status"] in ("closed", "aggregated") and not body["is_editable"]
    response = expert_a.patch(
        BALLOT, {"ratings": [{"item": "C1", "dimension": "agreement", "value": 1}]}, format="json"
    )
    assert response.status_code == 409


def test_before_any_round_opens_the_ballot_is_a_404(world: World) -> None:
    other = small_study("other-study")
    _, raw = panelist_create(study=other, email="x@example.org")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get(BALLOT).status_code == 404
    assert client.get("/api/v1/me/study/").json()["round"] is None


def test_feedback_withholds_statistics_of_too_few_experts(
    world: World, staff_api: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    for role in ("expert_a", "expert_b"):
        assert client_for(world, role).post(f"{BALLOT}submit/").status_code == 200
    slug = world.study.slug
    with django_capture_on_commit_callbacks(execute=True):
        staff_api.post(f"/api/v1/studies/{slug}/rounds/1/close/")
    assert staff_api.post(f"/api/v1/studies/{slug}/rounds/next/", {}, format="json").status_code == 201
    assert staff_api.post(f"/api/v1/studies/{slug}/rounds/2/open/", {}, format="json").status_code == 200
    body = client_for(world, "expert_a").get("/api/v1/me/feedback/").json()
    assert body["source_round"] == 1
    cell = next(c for c in body["cells"] if c["item"] == "C1")
    assert not cell["is_shown"] and cell["median"] is None and cell["n"] is None and cell["distribution"] == []
    assert cell["own_previous"] == 9  # the expert's own rating is theirs to see
    assert body["rationales"] == []  # two experts are below the minimum group of three
