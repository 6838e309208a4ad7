"""The facilitator's endpoints: studies (create, replace, change, delete, import, export), items and
dimensions, rounds and their items, the panel, suggestions, reports, email wording, the audit trail,
pagination and filters, and list endpoints whose query count does not grow with the data."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from django.core import mail
from rest_framework.test import APIClient

from surveys.models import AuditEvent, Item, Panelist, ReportJob, Round, Study, Suggestion
from surveys.services.rounds import round_create
from tests.api.conftest import World
from tests.factories import answer_round, consented_panel, small_study, small_study_text


@pytest.fixture
def draft_study(db: None) -> Study:
    return small_study("draft-study")


def url(study: Study | str, tail: str = "") -> str:
    slug = study if isinstance(study, str) else study.slug
    return f"/api/v1/studies/{slug}/{tail}"


# --- studies --------------------------------------------------------------------------------------


def test_a_study_is_created_from_study_file_data_and_listed(world: World, staff_api: APIClient) -> None:
    data = staff_api.get(url(world.study, "export/")).json() | {"slug": "second-study", "title": "Second"}
    created = staff_api.post("/api/v1/studies/", data, format="json")
    assert created.status_code == 201 and created.json()["n_items"] == 3 and created.json()["status"] == "draft"
    listed = staff_api.get("/api/v1/studies/?status=draft").json()
    assert [s["slug"] for s in listed["results"]] == ["second-study"]
    assert staff_api.post("/api/v1/studies/", data, format="json").status_code == 409  # the slug is taken


def test_an_exported_yaml_file_imports_back_unchanged(world: World, staff_api: APIClient) -> None:
    exported = staff_api.get(url(world.study, "export/"), HTTP_ACCEPT="application/yaml")
    assert exported["Content-Type"].startswith("application/yaml")
    assert yaml.safe_load(exported.content)["items"][0]["code"] == "C1"
    again = staff_api.post("/api/v1/studies/import/", {"content": exported.content.decode()}, format="json")
    assert again.status_code == 200
    assert (again.json()["is_created"], again.json()["items_updated"]) == (False, [])


def test_settings_change_through_the_importer_and_are_audited(draft_study: Study, staff_api: APIClient) -> None:
    body = {"title": "Renamed", "settings": {"min_group_size": 4}, "consensus_rule": {"preset": "percent"}}
    changed = staff_api.patch(url(draft_study), body, format="json").json()
    assert (changed["title"], changed["min_group_size"], changed["consensus_rule"]) == (
        "Renamed",
        4,
        {"preset": "percent"},
    )
    assert changed["outside_iqr_reason"] == "optional"  # the other settings are kept
    event = AuditEvent.objects.filter(study=draft_study, action="study.updated").get()
    assert event.actor_label == "facilitator"


def test_put_replaces_the_definition_but_never_the_slug(draft_study: Study, staff_api: APIClient) -> None:
    data = staff_api.get(url(draft_study, "export/")).json()
    data["items"] = data["items"][:2]
    assert staff_api.put(url(draft_study), data, format="json").json()["n_items"] == 2
    refused = staff_api.put(url(draft_study), data | {"slug": "other-slug"}, format="json")
    assert refused.status_code == 409 and "slugs never change" in refused.json()["error"]["message"]


def test_a_study_that_never_ran_can_be_deleted(draft_study: Study, staff_api: APIClient) -> None:
    round_create(study=draft_study)  # a draft round holds no answers
    assert staff_api.delete(url(draft_study)).status_code == 204
    assert not Study.objects.filter(slug="draft-study").exists()


def test_a_study_file_can_be_uploaded_as_multipart(staff_api: APIClient, db: None) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("s.yaml", small_study_text("uploaded").encode())
    response = staff_api.post("/api/v1/studies/import/", {"file": upload}, format="multipart")
    assert response.status_code == 201 and response.json()["study"]["slug"] == "uploaded"
    broken = SimpleUploadedFile("b.yaml", b"title: [unclosed")
    refused = staff_api.post("/api/v1/studies/import/", {"file": broken}, format="multipart")
    assert refused.status_code == 400 and "yaml" in refused.json()["error"]["fields"]


# --- items and dimensions -------------------------------------------------------------------------


def test_items_are_added_changed_and_removed_while_unanswered(draft_study: Study, staff_api: APIClient) -> None:
    new = {"code": "C3", "kind": "claim", "section": "claims", "text": "Grass is green.", "dimensions": ["agreement"]}
    assert staff_api.post(url(draft_study, "items/"), new, format="json").status_code == 201
    changed = staff_api.patch(url(draft_study, "items/C3/"), {"text": "Grass is very green."}, format="json").json()
    assert (changed["code"], changed["text"], changed["dimensions"]) == ("C3", "Grass is very green.", ["agreement"])
    assert staff_api.delete(url(draft_study, "items/C3/")).status_code == 204
    assert not Item.objects.filter(study=draft_study, code="C3").exists()
    assert staff_api.post(url(draft_study, "items/"), new | {"code": "C1"}, format="json").status_code == 409


def test_items_filter_by_kind_section_and_dimension(world: World, staff_api: APIClient) -> None:
    def codes(query: str) -> list[str]:
        return [i["code"] for i in staff_api.get(url(world.study, f"items/?{query}")).json()["results"]]

    assert codes("kind=recommendation") == ["R1"]
    assert codes("section=claims") == ["C1", "C2"]
    assert codes("dimension=feasibility") == ["R1"]


def test_a_dimension_is_added_and_its_scale_changed_before_anyone_answers(
    draft_study: Study, staff_api: APIClient
) -> None:
    new = {
        "key": "confidence",
        "label": "Confidence",
        "scale": {"min": 1, "max": 5, "labels": {"1": "Low"}},
        "agree": [4, 5],
        "disagree": [1, 2],
        "consensus": False,
    }
    created = staff_api.post(url(draft_study, "dimensions/"), new, format="json").json()
    assert (created["scale"], created["consensus"]) == ({"min": 1, "max": 5, "labels": {"1": "Low"}}, False)
    changed = staff_api.patch(
        url(draft_study, "dimensions/confidence/"), {"scale": {"max": 7}, "agree": [6, 7]}, format="json"
    )
    assert changed.json()["scale"]["max"] == 7 and changed.json()["scale"]["labels"] == {"1": "Low"}


# --- rounds ---------------------------------------------------------------------------------------


def test_a_round_holds_the_chosen_items_and_can_be_prepared(draft_study: Study, staff_api: APIClient) -> None:
    created = staff_api.post(url(draft_study, "rounds/"), {"items": ["R1", "C1"]}, format="json").json()
    assert (created["number"], created["status"], created["n_items"]) == (1, "draft", 2)
    assert [i["code"] for i in staff_api.get(url(draft_study, "rounds/1/items/")).json()["results"]] == ["R1", "C1"]
    assert staff_api.post(url(draft_study, "rounds/1/items/"), {"item": "C2"}, format="json").status_code == 201
    assert staff_api.delete(url(draft_study, "rounds/1/items/R1/")).status_code == 204
    reworded = staff_api.post(
        url(draft_study, "rounds/1/items/C1/reword/"), {"text": "The sky is azure."}, format="json"
    )
    assert reworded.json()["text"] == "The sky is azure."
    assert [i["code"] for i in staff_api.get(url(draft_study, "rounds/1/items/")).json()["results"]] == ["C1", "C2"]


def test_opening_can_send_the_invitations(
    draft_study: Study, staff_api: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    consented_panel(draft_study, ["A", "B"])
    staff_api.post(url(draft_study, "rounds/"), {}, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        opened = staff_api.post(url(draft_study, "rounds/1/open/"), {"send_invitations": True}, format="json")
    assert opened.json()["status"] == "open"
    assert len(mail.outbox) == 2 and Study.objects.get(pk=draft_study.pk).is_rule_frozen


def test_a_deadline_in_the_past_is_refused(world: World, staff_api: APIClient) -> None:
    response = staff_api.post(
        url(world.study, "rounds/1/deadline/"), {"closes_at": "2001-01-01T00:00:00Z"}, format="json"
    )
    assert response.status_code == 409 and "in the past" in response.json()["error"]["message"]
    cleared = staff_api.post(url(world.study, "rounds/1/deadline/"), {"closes_at": None}, format="json")
    assert cleared.json()["closes_at"] is None


def _aggregated(study: Study, values: list[int]) -> Round:
    from surveys.services.aggregation import round_aggregate
    from surveys.services.rounds import round_close, round_open

    round_ = round_open(round=round_create(study=study))
    panel = consented_panel(study, ["Europe", "Europe", "Asia", "Asia", "Asia"][: len(values)])
    answer_round(
        round_,
        {
            p: {("C1", "agreement"): v, ("C2", "agreement"): 9, ("R1", "agreement"): 9, ("R1", "feasibility"): 5}
            for p, v in zip(panel, values, strict=True)
        },
    )
    round_close(round=round_, aggregate=False)
    round_aggregate(round=round_)
    return round_


def test_the_next_round_carries_the_undecided_items(draft_study: Study, staff_api: APIClient) -> None:
    _aggregated(draft_study, [1, 5, 9, 9, 2])
    created = staff_api.post(url(draft_study, "rounds/next/"), {"add": ["C2"]}, format="json").json()
    items = [i["code"] for i in staff_api.get(url(draft_study, f"rounds/{created['number']}/items/")).json()["results"]]
    assert created["number"] == 2 and items == ["C1", "C2"]


def test_statistics_filter_by_item_dimension_and_group(draft_study: Study, staff_api: APIClient) -> None:
    _aggregated(draft_study, [1, 5, 9, 9, 2])
    base = url(draft_study, "rounds/1/statistics/")
    whole = staff_api.get(f"{base}?group=").json()
    assert whole["count"] == 4 and {r["group"] for r in whole["results"]} == {""}
    r1 = staff_api.get(f"{base}?item=R1&dimension=feasibility&group=").json()["results"]
    assert [(r["item"], r["dimension"], r["median"], r["verdict"]) for r in r1] == [("R1", "feasibility", 5.0, "in")]
    asia = staff_api.get(f"{base}?item=C1&dimension=agreement&group=Asia").json()["results"]
    assert [(r["group"], r["n"], r["median"]) for r in asia] == [("Asia", 3, 9.0)]
    assert staff_api.get(f"{base}?page_size=2").json()["next"] is not None


# --- panel ----------------------------------------------------------------------------------------


def test_an_added_expert_gets_a_link_whose_token_opens_the_expert_api(world: World, staff_api: APIClient) -> None:
    added = staff_api.post(url(world.study, "panel/"), {"email": "Carol@Example.org", "group": "Africa"}, format="json")
    body = added.json()
    assert added.status_code == 201 and body["email"] == "carol@example.org" and body["link"].startswith("http")
    expert = APIClient()
    expert.credentials(HTTP_AUTHORIZATION=f"Bearer {body['link'].rstrip('/').rsplit('/', 1)[1]}")
    assert expert.get("/api/v1/me/study/").status_code == 200
    invalid = staff_api.post(url(world.study, "panel/"), {"email": "not-an-email"}, format="json")
    assert list(invalid.json()["error"]["fields"]) == ["email"]


def test_a_new_link_retires_the_old_token_and_revoking_retires_any(world: World, staff_api: APIClient) -> None:
    old = APIClient()
    old.credentials(HTTP_AUTHORIZATION=f"Bearer {world.token_b}")
    link = staff_api.post(url(world.study, f"panel/{world.expert_b.pk}/link/")).json()["link"]
    assert old.get("/api/v1/me/study/").status_code == 401
    new = APIClient()
    new.credentials(HTTP_AUTHORIZATION=f"Bearer {link.rstrip('/').rsplit('/', 1)[1]}")
    assert new.get("/api/v1/me/study/").status_code == 200
    revoked = staff_api.post(url(world.study, f"panel/{world.expert_b.pk}/revoke/")).json()
    assert revoked["status"] == "revoked" and new.get("/api/v1/me/study/").status_code == 401


def test_the_panel_preview_writes_nothing_and_lists_each_bad_row(world: World, staff_api: APIClient) -> None:
    csv = "email;group\nnew@example.org;Asia\nbob@example.org;Asia\n"
    preview = staff_api.post(url(world.study, "panel/import/preview/"), {"content": csv}, format="json").json()
    assert not preview["is_valid"] and [r["email"] for r in preview["rows"]] == ["new@example.org"]
    assert preview["errors"] == [
        {"line": 3, "message": "bob@example.org is already on the panel", "email": "bob@example.org"}
    ]
    assert not Panelist.objects.filter(email="new@example.org").exists()


def test_the_panel_lists_with_filters(world: World, staff_api: APIClient) -> None:
    asia = staff_api.get(url(world.study, "panel/?group=Asia")).json()["results"]
    assert [(p["email"], p["n_ballots"]) for p in asia] == [("bob@example.org", 1)]
    assert staff_api.get(url(world.study, "panel/?status=revoked")).json()["count"] == 0


def test_an_expert_who_never_answered_can_be_removed(world: World, staff_api: APIClient) -> None:
    added = staff_api.post(url(world.study, "panel/"), {"email": "carol@example.org"}, format="json").json()
    assert staff_api.delete(url(world.study, f"panel/{added['id']}/")).status_code == 204
    assert staff_api.get(url(world.study, f"panel/{added['id']}/")).status_code == 404
    assert not Panelist.objects.filter(pk=added["id"]).exists()
    assert "carol@example.org" not in [p["email"] for p in staff_api.get(url(world.study, "panel/")).json()["results"]]


# --- suggestions, reports, email wording, audit ---------------------------------------------------------


def test_a_suggestion_becomes_an_item_of_a_draft_round(draft_study: Study, staff_api: APIClient) -> None:
    round_ = round_create(study=draft_study)
    suggestion = Suggestion.objects.create(study=draft_study, text="Trade grows.")
    listed = staff_api.get(url(draft_study, "suggestions/?status=new")).json()["results"]
    assert listed[0]["text"] == "Trade grows." and "panelist" not in listed[0]
    body = {"round": round_.number, "code": "C9", "kind": "claim", "section": "claims", "dimensions": ["agreement"]}
    item = staff_api.post(url(draft_study, f"suggestions/{suggestion.pk}/accept/"), body, format="json").json()
    assert (item["code"], item["text"]) == ("C9", "Trade grows.")
    refused = staff_api.post(
        url(draft_study, f"suggestions/{suggestion.pk}/accept/"), body | {"section": "x"}, format="json"
    )
    assert list(refused.json()["error"]["fields"]) == ["section"]


def test_a_report_is_requested_built_and_downloaded(
    world: World, staff_api: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        job = staff_api.post(url(world.study, "reports/"), {"format": "json"}, format="json")
    assert job.status_code == 202
    status = staff_api.get(url(world.study, f"reports/{job.json()['id']}/")).json()
    assert status["status"] == "done" and status["download"].endswith("/download/")
    download = staff_api.get(status["download"])
    assert download.status_code == 200 and download["Content-Type"] == "application/json"
    assert b"small-study" in b"".join(download.streaming_content)
    assert ReportJob.objects.filter(study=world.study, format="json").count() == 1


def test_email_wording_is_saved_checked_and_reset(world: World, staff_api: APIClient) -> None:
    target = url(world.study, "messages/reminder/")
    saved = staff_api.put(target, {"subject": "Reminder", "body": "Please answer: {{ link }}"}, format="json").json()
    assert saved["is_custom"] and saved["body"].startswith("Please answer")
    refused = staff_api.put(target, {"subject": "Reminder", "body": "No link here"}, format="json")
    assert refused.status_code == 400 and "{{ link }}" in refused.json()["error"]["message"]
    assert staff_api.delete(target).status_code == 204
    assert not staff_api.get(target).json()["is_custom"]


def test_the_audit_trail_lists_what_happened(world: World, staff_api: APIClient) -> None:
    staff_api.post(url(world.study, "rounds/1/close/"))
    events = staff_api.get(url(world.study, "audit/?round=1")).json()["results"]
    assert [e["action"] for e in events][:2] == ["round.closed", "round.opened"]
    assert events[0]["actor_label"] == "facilitator"


# --- query budgets --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tail", "budget"),
    [("items/", 5), ("panel/", 4), ("rounds/1/statistics/", 5), ("rounds/", 4), ("rounds/1/items/", 5), ("audit/", 4)],
)
def test_lists_cost_a_fixed_number_of_queries(
    draft_study: Study, staff_api: APIClient, django_assert_max_num_queries: Any, tail: str, budget: int
) -> None:
    data = staff_api.get(url(draft_study, "export/")).json()
    data["items"] += [
        {"code": f"C{n}", "kind": "claim", "section": "claims", "text": f"Claim {n}.", "dimensions": ["agreement"]}
        for n in range(3, 30)
    ]
    assert staff_api.put(url(draft_study), data, format="json").status_code == 200
    _aggregated(draft_study, [1, 5, 9, 9, 2])  # its round holds every item, so every item has statistics
    consented_panel(draft_study, ["X"] * 20)
    with django_assert_max_num_queries(budget):
        assert staff_api.get(url(draft_study, tail)).status_code == 200


def test_the_studies_list_costs_a_fixed_number_of_queries(
    world: World, staff_api: APIClient, django_assert_max_num_queries: Any
) -> None:
    for n in range(5):
        small_study(f"study-{n}")
    with django_assert_max_num_queries(4):
        assert staff_api.get("/api/v1/studies/").json()["count"] == 6
