"""A whole Delphi round through the API only: import a study file, import the panel, open round 1,
experts answer with their bearer tokens, close the round, read the statistics back; then round 2
shows each expert the group's result next to their own previous rating."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from surveys.services.api_tokens import api_token_create
from tests.factories import small_study_text

pytestmark = pytest.mark.django_db

PANEL_CSV = "email,name,group\n" + "".join(
    f"expert{n}@example.org,Expert Number {n},{'Europe' if n < 3 else 'Asia'}\n" for n in range(5)
)
# C1 agreement by expert 0..4: median 7, Q1 5, Q3 8 (linear interpolation), 3 of 5 in the agree band 7-9.
C1_AGREEMENT = [1, 5, 7, 8, 9]


@pytest.fixture
def staff() -> APIClient:
    user = get_user_model().objects.create_user("facilitator", password=None, is_staff=True)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=user, name='round trip')[1]}")
    return client


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.content[:800]
    return response.json() if response.content else None


def expert_tokens(staff: APIClient, slug: str) -> list[str]:
    """Each expert's token, from a new personal link per expert (the way a facilitator hands them out)."""
    panel = ok(staff.get(f"/api/v1/studies/{slug}/panel/"))["results"]
    by_email = sorted(panel, key=lambda p: p["email"])
    links = [ok(staff.post(f"/api/v1/studies/{slug}/panel/{p['id']}/link/"))["link"] for p in by_email]
    return [link.rstrip("/").rsplit("/", 1)[1] for link in links]


def test_a_study_runs_a_round_end_to_end_through_the_api(
    staff: APIClient,
    django_capture_on_commit_callbacks: Any,
) -> None:
    upload = SimpleUploadedFile("small.yaml", small_study_text("api-study").encode(), content_type="application/yaml")
    imported = ok(staff.post("/api/v1/studies/import/", {"file": upload}, format="multipart"), 201)
    assert imported["is_created"] and imported["items_created"] == ["C1", "C2", "R1"]
    slug = imported["study"]["slug"]

    preview = ok(staff.post(f"/api/v1/studies/{slug}/panel/import/preview/", {"content": PANEL_CSV}, format="json"))
    assert preview["is_valid"] and len(preview["rows"]) == 5
    assert (
        ok(staff.post(f"/api/v1/studies/{slug}/panel/import/", {"content": PANEL_CSV}, format="json"), 201)["added"]
        == 5
    )
    ok(staff.post(f"/api/v1/studies/{slug}/rounds/", {}, format="json"), 201)
    opened = ok(staff.post(f"/api/v1/studies/{slug}/rounds/1/open/", {}, format="json"))
    assert opened["status"] == "open"

    tokens = expert_tokens(staff, slug)
    for token, value in zip(tokens, C1_AGREEMENT, strict=True):
        expert = bearer(token)
        ok(expert.post("/api/v1/me/consent/"))
        ratings = [
            {"item": "C1", "dimension": "agreement", "value": value},
            {"item": "C2", "dimension": "agreement", "value": None},  # can't answer
            {"item": "R1", "dimension": "agreement", "value": 8},
            {"item": "R1", "dimension": "feasibility", "value": 4},
        ]
        saved = ok(
            expert.patch(
                "/api/v1/me/ballot/",
                {"ratings": ratings, "rationales": [{"item": "C1", "text": f"because {value}"}]},
                format="json",
            )
        )
        assert saved["answered"] == 3
        assert ok(expert.post("/api/v1/me/ballot/submit/"))["status"] == "submitted"

    with django_capture_on_commit_callbacks(execute=True):  # the aggregation task runs as the close commits
        closed = ok(staff.post(f"/api/v1/studies/{slug}/rounds/1/close/"))
    round_1 = ok(staff.get(f"/api/v1/studies/{slug}/rounds/1/"))
    assert closed["status"] in ("closed", "aggregated") and round_1["status"] == "aggregated"
    assert round_1["statistic"]["n_submitted"] == 5 and round_1["statistic"]["response_rate"] == 1.0

    c1 = ok(staff.get(f"/api/v1/studies/{slug}/rounds/1/statistics/?item=C1&dimension=agreement&group="))["results"]
    assert len(c1) == 1
    assert (c1[0]["n"], c1[0]["median"], c1[0]["q1"], c1[0]["q3"], c1[0]["iqr"]) == (5, 7.0, 5.0, 8.0, 3.0)
    assert c1[0]["mean"] == pytest.approx(6.0) and c1[0]["pct_agree"] == pytest.approx(0.6)
    assert c1[0]["pct_disagree"] == pytest.approx(0.2) and c1[0]["verdict"] == "none"
    c2 = ok(staff.get(f"/api/v1/studies/{slug}/rounds/1/statistics/?item=C2&group="))["results"][0]
    assert (c2["n"], c2["abstentions"]) == (0, 5)
    groups = ok(staff.get(f"/api/v1/studies/{slug}/rounds/1/statistics/?group=Europe"))["results"]
    assert groups and {row["group"] for row in groups} == {"Europe"}

    ok(staff.post(f"/api/v1/studies/{slug}/rounds/next/", {}, format="json"), 201)
    ok(staff.post(f"/api/v1/studies/{slug}/rounds/2/open/", {}, format="json"))
    feedback = ok(bearer(tokens[1]).get("/api/v1/me/feedback/"))
    cell = next(c for c in feedback["cells"] if (c["item"], c["dimension"]) == ("C1", "agreement"))
    assert feedback["source_round"] == 1 and cell["is_shown"]
    assert (cell["median"], cell["q1"], cell["q3"], cell["own_previous"]) == (7.0, 5.0, 8.0, 5)
    c1_reasons = next(r["texts"] for r in feedback["rationales"] if r["item"] == "C1")
    assert "because 5" not in c1_reasons and "because 9" in c1_reasons  # others' reasons, not one's own
