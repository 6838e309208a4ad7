"""The cache (Redis) is down: the expert API keeps working as the pages do (issue 13, item 2).

The cache holds only rate-limit counters. With it pointed at a closed port, every ``/api/v1/me/``
call answers as it normally would, throttling degraded and logged as a warning, never a 500; the
invitation link and its guess limit behave the same way.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.test import Client
from django.test.utils import override_settings
from rest_framework.test import APIClient

from tests.api.conftest import World

CLOSED_PORT_CACHE = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"},
    "sessions": settings.CACHES["sessions"],  # on local disk, not Redis: sessions do not depend on it
}


@pytest.fixture
def cache_down() -> Iterator[None]:
    # Not the ``settings`` fixture: this must be undone before the conftest clears the cache.
    with override_settings(CACHES=CLOSED_PORT_CACHE):
        yield


def api(token: str) -> APIClient:
    client = APIClient(raise_request_exception=False)  # a 500 is an answer to assert on, not an exception
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_every_expert_call_answers_as_usual_while_the_cache_is_down(
    world: World, cache_down: None, caplog: pytest.LogCaptureFixture
) -> None:
    client = api(world.token_a)
    rating = {"ratings": [{"item": "C1", "dimension": "agreement", "value": 7}]}
    profile = {"group": "Europe", "years_experience": 3, "expertise": {}}
    calls = [
        ("get", "/api/v1/me/study/", None, 200),
        ("post", "/api/v1/me/consent/", None, 200),
        ("get", "/api/v1/me/profile/", None, 200),
        ("put", "/api/v1/me/profile/", profile, 200),
        ("get", "/api/v1/me/ballot/", None, 200),
        ("patch", "/api/v1/me/ballot/", rating, 200),
        ("post", "/api/v1/me/ballot/submit/", None, 200),
        ("post", "/api/v1/me/ballot/reopen/", None, 200),
        ("get", "/api/v1/me/feedback/", None, 200),
    ]
    with caplog.at_level(logging.WARNING):
        answered = [
            (path, getattr(client, method)(path, body, format="json").status_code) for method, path, body, _ in calls
        ]

    assert answered == [(path, status) for _, path, _, status in calls]
    degraded = [r for r in caplog.records if r.name == "surveys.api.throttling"]
    assert len(degraded) == len(calls)  # one warning per request that could not be counted
    assert {r.levelno for r in degraded} == {logging.WARNING}
    assert "cache unavailable" in degraded[0].getMessage()


def test_a_wrong_token_is_still_a_401_while_the_cache_is_down(world: World, cache_down: None) -> None:
    response = api("not-a-real-token").get("/api/v1/me/study/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_the_invitation_link_works_while_the_cache_is_down(world: World, cache_down: None, settings) -> None:  # type: ignore[no-untyped-def]
    settings.DELPHI_TOKEN_GUESS_LIMIT = 2
    client = Client(raise_request_exception=False)
    wrong = [client.get(f"/e/{uuid.uuid4().hex}{uuid.uuid4().hex}/").status_code for _ in range(4)]
    assert wrong == [404] * 4  # not counted, so not blocked: the limiter fails open, as the API's does
    assert client.get(f"/e/{world.token_a}/").status_code == 302
