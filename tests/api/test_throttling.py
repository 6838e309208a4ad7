"""Rate limits on the expert endpoints: per expert, 429 with Retry-After, set in settings."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.api.conftest import World, client_for


@pytest.fixture
def two_per_minute(settings: Any) -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"expert": "2/min"}}


def test_an_expert_over_the_rate_gets_429_with_retry_after(
    world: World, expert_a: APIClient, two_per_minute: None
) -> None:
    assert [expert_a.get("/api/v1/me/study/").status_code for _ in range(2)] == [200, 200]
    response = expert_a.get("/api/v1/me/ballot/")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert response.json()["error"]["code"] == "throttled"


def test_each_expert_has_a_bucket_of_their_own(world: World, two_per_minute: None) -> None:
    expert_a, expert_b = client_for(world, "expert_a"), client_for(world, "expert_b")
    for _ in range(2):
        expert_a.get("/api/v1/me/study/")
    assert expert_a.get("/api/v1/me/study/").status_code == 429
    assert expert_b.get("/api/v1/me/study/").status_code == 200


def test_guessed_tokens_are_rate_limited_too(world: World, two_per_minute: None) -> None:
    guesser = APIClient()
    guesser.credentials(HTTP_AUTHORIZATION="Bearer not-a-real-token")
    assert [guesser.get("/api/v1/me/study/").status_code for _ in range(3)] == [401, 401, 429]


def test_the_default_rate_lets_an_expert_work(world: World, expert_a: APIClient) -> None:
    assert all(expert_a.get("/api/v1/me/ballot/").status_code == 200 for _ in range(20))


def test_staff_endpoints_are_not_rate_limited(world: World, staff_api: APIClient, two_per_minute: None) -> None:
    assert all(staff_api.get("/api/v1/studies/").status_code == 200 for _ in range(5))
