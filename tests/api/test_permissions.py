"""The permission matrix: every endpoint under /api/v1/ × {anonymous, expert A, expert B, staff}.

The endpoints are read from the URL patterns, so a new endpoint without a row here fails
``test_every_endpoint_has_a_row``. Staff reach the study tree and nothing of ``/me/``; experts reach
``/me/`` only, each their own ballot, and no answer to an expert holds a name, an email or the other
expert's rating or rationale.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.urls import URLPattern, reverse

from surveys.api import urls as api_urls
from surveys.models import Ballot
from tests.api.conftest import ALPHA_REASON, BRAVO_REASON, World, client_for
from tests.factories import small_study_text

ROLES = ("anonymous", "expert_a", "expert_b", "staff")
METHODS = ("get", "post", "put", "patch", "delete")
NEW_ITEM = {"code": "C3", "kind": "claim", "section": "claims", "text": "Grass is green.", "dimensions": ["agreement"]}
NEW_DIMENSION = {
    "key": "desirability",
    "label": "Desirability",
    "scale": {"min": 1, "max": 5},
    "agree": [4, 5],
    "disagree": [1, 2],
}


@dataclass(frozen=True)
class Row:
    """One endpoint: the body sent, and the status its intended caller gets in the test world.

    Staff endpoints answer 401 to anonymous callers and experts (an expert's token is no staff
    credential); expert endpoints answer 401 to anonymous callers and staff.
    """

    status: int
    body: Any = None
    is_expert: bool = False
    format: str = "json"
    others: dict[str, int] = field(default_factory=dict)  # a different status for one role

    def expected(self, role: str) -> int:
        if role in self.others:
            return self.others[role]
        intended = role.startswith("expert") if self.is_expert else role == "staff"
        return self.status if intended else 401


def expert(status: int, body: Any = None) -> Row:
    return Row(status, body, is_expert=True)


MATRIX: dict[str, Row] = {
    "GET api:study-list": Row(200),
    "POST api:study-list": Row(201, "new-study"),
    "GET api:study-detail": Row(200),
    "PUT api:study-detail": Row(200, "export"),
    "PATCH api:study-detail": Row(200, {"title": "A renamed study"}),
    "DELETE api:study-detail": Row(409),  # it has answers
    "POST api:study-import-file": Row(201, {"content": small_study_text("imported-study")}),
    "GET api:study-export": Row(200),
    "GET api:item-list": Row(200),
    "POST api:item-list": Row(201, NEW_ITEM),
    "GET api:item-detail": Row(200),
    "PATCH api:item-detail": Row(200, {"text": "Water is quite wet."}),
    "DELETE api:item-detail": Row(400),  # in an opened round
    "GET api:dimension-list": Row(200),
    "POST api:dimension-list": Row(201, NEW_DIMENSION),
    "GET api:dimension-detail": Row(200),
    "PATCH api:dimension-detail": Row(200, {"label": "Feasible?"}),
    "DELETE api:dimension-detail": Row(400),  # R1 is rated on it
    "GET api:section-list": Row(200),
    "GET api:round-list": Row(200),
    "POST api:round-list": Row(409, {}),  # round 1 is still open
    "POST api:round-next": Row(409, {}),
    "GET api:round-detail": Row(200),
    "POST api:round-open": Row(409, {}),  # open already
    "POST api:round-close": Row(200),
    "POST api:round-aggregate": Row(409),  # not closed
    "POST api:round-deadline": Row(200, {"closes_at": "2999-01-01T12:00:00Z"}),
    "POST api:round-invitations": Row(202),
    "POST api:round-reminders": Row(202),
    "GET api:round-item-list": Row(200),
    "POST api:round-item-list": Row(409, {"item": "C2"}),  # not a draft
    "DELETE api:round-item-detail": Row(409),
    "POST api:round-item-reword": Row(409, {"text": "Water is damp."}),
    "GET api:statistic-list": Row(200),
    "GET api:panelist-list": Row(200),
    "POST api:panelist-list": Row(201, {"email": "carol@example.org", "name": "Carol"}),
    "GET api:panelist-detail": Row(200),
    "PATCH api:panelist-detail": Row(200, {"name": "Alice B."}),
    "DELETE api:panelist-detail": Row(409),  # has answered
    "POST api:panelist-revoke": Row(200),
    "POST api:panelist-link": Row(200),
    "POST api:panelist-import-preview": Row(200, {"content": "email,group\ncarol@example.org,Africa\n"}),
    "POST api:panelist-import-file": Row(201, {"content": "email,group\ncarol@example.org,Africa\n"}),
    "GET api:suggestion-list": Row(200),
    "POST api:suggestion-accept": Row(409, {"round": 1, "code": "C9", "kind": "claim", "section": "claims"}),
    "POST api:suggestion-reject": Row(200),
    "GET api:report-list": Row(200),
    "POST api:report-list": Row(202, {"format": "json"}),
    "GET api:report-detail": Row(200),
    "GET api:report-download": Row(200),
    "GET api:message-list": Row(200),
    "GET api:message-detail": Row(200),
    "PUT api:message-detail": Row(200, {"subject": "Round {{ round.number }}", "body": "Answer here: {{ link }}"}),
    "DELETE api:message-detail": Row(204),
    "GET api:audit-list": Row(200),
    "GET api:me-study": expert(200),
    "POST api:me-consent": expert(200),
    "GET api:me-profile": expert(200),
    "PUT api:me-profile": expert(200, {"years_experience": 12, "expertise": {"claims": 4}}),
    "GET api:me-ballot": expert(200),
    "PATCH api:me-ballot": expert(200, {"ratings": [{"item": "C2", "dimension": "agreement", "value": 5}]}),
    "POST api:me-ballot-submit": expert(200),
    "POST api:me-ballot-reopen": expert(409),  # a draft is open already
    "GET api:me-feedback": expert(200),
    "GET api:not-found": Row(404, others={role: 404 for role in ROLES}),
}


def _methods(pattern: URLPattern) -> list[str]:
    callback = pattern.callback
    if hasattr(callback, "actions"):  # a router's view set (HEAD mirrors GET)
        return sorted(m for m in callback.actions if m != "head")
    view_class = getattr(callback, "view_class", None)
    if view_class is None:  # a plain function: the catch-all 404
        return ["get"]
    return [m for m in METHODS if hasattr(view_class, m)]


def endpoints() -> list[str]:
    """``METHOD api:name`` of every endpoint, read from the API's URL patterns."""
    found = []
    for pattern in api_urls.urlpatterns:
        assert isinstance(pattern, URLPattern), pattern
        found += [f"{method.upper()} api:{pattern.name}" for method in _methods(pattern)]
    return sorted(found)


def test_every_endpoint_has_a_row() -> None:
    assert set(endpoints()) == set(MATRIX), "add a row for each new endpoint (or remove a stale one)"


def _kwargs(world: World, name: str) -> dict[str, object]:
    values: dict[str, object] = {
        "study_slug": world.study.slug,
        "round_number": 1,
        "code": "C2",
        "key": "feasibility",
        "panelist_id": world.expert_a.pk,
        "job_id": world.report.pk,
        "suggestion_id": world.suggestion.pk,
        "kind": "invitation",
        "item_code": "C2",
    }
    pattern = next(p for p in api_urls.urlpatterns if isinstance(p, URLPattern) and p.name == name)
    return {key: values[key] for key in pattern.pattern.regex.groupindex}


def _url(world: World, name: str) -> str:
    if name == "not-found":
        return "/api/v1/no/such/endpoint/"
    return reverse(f"api:{name}", kwargs=_kwargs(world, name))


def _body(world: World, row: Row, client: Any) -> Any:
    if row.body == "new-study":
        return client_for(world, "staff").get(reverse("api:study-export", args=[world.study.slug])).json() | {
            "slug": "new-study"
        }
    if row.body == "export":
        return client_for(world, "staff").get(reverse("api:study-export", args=[world.study.slug])).json()
    return row.body


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", endpoints())
def test_permission_matrix(world: World, endpoint: str, role: str) -> None:
    method, name = endpoint.split(" ")
    row = MATRIX[endpoint]
    client = client_for(world, role)
    body = _body(world, row, client)
    response = getattr(client, method.lower())(_url(world, name.removeprefix("api:")), body, format=row.format)
    assert response.status_code == row.expected(role), response.content[:500]
    if role.startswith("expert"):
        text = response.content.decode()
        for identity in world.identities:
            assert identity not in text, f"{identity} leaked to an expert"
        other_reason = BRAVO_REASON if role == "expert_a" else ALPHA_REASON
        assert other_reason not in text, "another expert's rationale leaked"
    if response.status_code >= 400:
        assert set(response.json()) == {"error"} and set(response.json()["error"]) == {"code", "message", "fields"}


def test_each_expert_reads_only_their_own_ballot(world: World) -> None:
    for role, own, other in (("expert_a", 9, 2), ("expert_b", 2, 9)):
        body = client_for(world, role).get(reverse("api:me-ballot")).json()
        assert body["ratings"] == [{"item": "C1", "dimension": "agreement", "value": own}]
        assert other not in [r["value"] for r in body["ratings"]]


def test_expert_b_cannot_change_expert_a_ballot(world: World) -> None:
    response = client_for(world, "expert_b").patch(
        reverse("api:me-ballot"), {"ratings": [{"item": "C1", "dimension": "agreement", "value": 5}]}, format="json"
    )
    assert response.status_code == 200
    ratings = {
        b.panelist_id: list(b.ratings.values_list("value", flat=True)) for b in Ballot.objects.filter(round=world.round)
    }
    assert ratings == {world.expert_a.pk: [9], world.expert_b.pk: [5]}


def test_an_expert_token_opens_no_staff_endpoint_and_a_staff_token_no_expert_one(world: World) -> None:
    assert client_for(world, "expert_a").get(reverse("api:panelist-list", args=[world.study.slug])).status_code == 401
    assert client_for(world, "staff").get(reverse("api:me-ballot")).status_code == 401


def test_a_session_without_staff_rights_is_refused(world: World, django_user_model: Any) -> None:
    client = client_for(world, "anonymous")
    client.force_login(django_user_model.objects.create_user("reader", password=None))
    response = client.get(reverse("api:study-list"))
    assert response.status_code == 403
    assert json.loads(response.content)["error"]["code"] == "permission_denied"


def test_a_revoked_expert_token_is_refused(world: World, staff_api: Any) -> None:
    staff_api.post(reverse("api:panelist-revoke", args=[world.study.slug, world.expert_a.pk]))
    response = client_for(world, "expert_a").get(reverse("api:me-study"))
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
