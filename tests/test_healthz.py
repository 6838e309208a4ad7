"""The health check reports the database and the broker."""

from __future__ import annotations

import pytest

from tests.services import require_redis

pytestmark = pytest.mark.django_db


def test_healthz_is_ok_on_the_embedded_default(client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.REDIS_URL = ""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "eager"}


def test_healthz_fails_when_the_broker_is_unreachable(client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"] == "error"


@pytest.mark.services
def test_healthz_pings_a_real_redis(client, settings) -> None:  # type: ignore[no-untyped-def]
    require_redis()
    import os

    settings.REDIS_URL = os.environ["REDIS_URL"]
    assert client.get("/healthz").json() == {"database": "ok", "broker": "ok"}
