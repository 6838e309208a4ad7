"""A session never outlives the link that opened it (issue "Security hardening", item 1).

Re-issuing a leaked link, from the dashboard or the API, must end every session and API credential opened
with the old one; so must the link's expiry and the expert's revocation.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from surveys.models import Panelist, Round
from surveys.services.panel import panelist_create
from surveys.services.panel_roster import panelist_link_issue, panelist_revoke
from surveys.services.rounds import round_create, round_open
from tests.factories import small_study

pytestmark = pytest.mark.django_db

INVALID = "This link is not valid"


@pytest.fixture
def expert() -> tuple[Panelist, str, Round]:
    study = small_study()
    panelist, raw = panelist_create(study=study, email="leaked@example.org")
    return panelist, raw, round_open(round=round_create(study=study))


@pytest.fixture
def facilitator():  # type: ignore[no-untyped-def]
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user("issuer", password=None, is_staff=True)


def _open_session(client: Client, raw: str) -> None:
    assert client.get(f"/e/{raw}/").status_code == 302
    assert client.get("/e/welcome/").status_code == 200


def _session_is_over(client: Client) -> bool:
    welcome = client.get("/e/welcome/")
    begin = client.post("/e/round/")
    return welcome.status_code == 404 and INVALID in welcome.content.decode() and begin.status_code == 404


def test_a_new_link_from_the_service_ends_the_session_the_old_link_opened(expert, facilitator) -> None:  # type: ignore[no-untyped-def]
    panelist, old, _ = expert
    client = Client()
    _open_session(client, old)
    panelist_link_issue(panelist=panelist, actor=facilitator)
    assert _session_is_over(client)


def test_a_new_link_from_the_api_ends_the_old_session_and_the_old_bearer_credential(expert) -> None:  # type: ignore[no-untyped-def]
    from django.contrib.auth import get_user_model

    from surveys.services.api_tokens import api_token_create

    panelist, old, _ = expert
    browser = Client()
    _open_session(browser, old)
    old_api = APIClient()
    old_api.credentials(HTTP_AUTHORIZATION=f"Bearer {old}")
    assert old_api.get("/api/v1/me/study/").status_code == 200

    staff = get_user_model().objects.create_user("facilitator", password=None, is_staff=True)
    staff_api = APIClient()
    staff_api.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=staff, name='tests')[1]}")
    issued = staff_api.post(f"/api/v1/studies/{panelist.study.slug}/panel/{panelist.pk}/link/")
    assert issued.status_code == 200

    assert _session_is_over(browser)
    assert old_api.get("/api/v1/me/study/").status_code == 401
    new_raw = issued.json()["link"].rstrip("/").rsplit("/", 1)[-1]
    fresh = Client()
    _open_session(fresh, new_raw)  # the new link works, and opens a session that lasts


def test_an_autosave_from_a_session_of_an_old_link_saves_nothing(expert, facilitator) -> None:  # type: ignore[no-untyped-def]
    panelist, old, round_ = expert
    client = Client()
    _open_session(client, old)
    client.post("/e/consent/")
    begin = client.post("/e/round/")
    if begin["Location"].endswith("/e/profile/"):
        client.post("/e/profile/", {"years_experience": "5"})
        begin = client.post("/e/round/")
    ballot_url = begin["Location"]
    assert "/e/ballots/" in ballot_url
    panelist_link_issue(panelist=panelist, actor=facilitator)
    c1 = round_.round_items.get(item__code="C1")
    response = client.post(f"{ballot_url}autosave/", {f"r{c1.pk}-agreement": "7"})
    assert response.status_code in (403, 404)
    assert not panelist.ballots.filter(ratings__isnull=False).exists()


def test_an_expired_link_ends_the_session_it_opened(expert) -> None:  # type: ignore[no-untyped-def]
    panelist, old, _ = expert
    client = Client()
    _open_session(client, old)
    Panelist.objects.filter(pk=panelist.pk).update(
        token_issued_at=timezone.now() - timedelta(days=settings.DELPHI_TOKEN_MAX_AGE_DAYS, seconds=1)
    )
    assert _session_is_over(client)


def test_revoking_the_expert_ends_the_session(expert) -> None:  # type: ignore[no-untyped-def]
    panelist, old, _ = expert
    client = Client()
    _open_session(client, old)
    panelist_revoke(panelist=panelist, actor_label="test")
    assert _session_is_over(client)


def test_a_session_holds_the_link_fingerprint_not_the_token(expert) -> None:  # type: ignore[no-untyped-def]
    _, raw, _ = expert
    client = Client()
    _open_session(client, raw)
    stored = str(dict(client.session.items()))
    assert raw not in stored
