"""Forwarded headers are believed only from trusted proxies (issue 13, item 7).

``DELPHI_TRUSTED_PROXIES`` (a count, or proxy addresses; default none) decides, in one function
(``surveys.ratelimit.client_address``), who the client is for every limiter: the invitation link's and
the API's wrong-token limit (20 per 10 minutes per client, both ways together), the API's rate limit
and staff sign-in (django-axes). Production believes ``X-Forwarded-Proto`` only behind such a proxy.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.test import Client, RequestFactory
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from delphi.settings.env import env_trusted_proxies
from surveys.ratelimit import client_address
from surveys.services.panel import panelist_create
from tests.factories import small_study

ROOT = Path(__file__).resolve().parent.parent


def fresh_address() -> str:
    """An address no other test (or earlier run, with Redis) has counted failures for."""
    return f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"


@pytest.fixture
def real_limit(settings: Any) -> None:
    """The shipped limit (tests/conftest.py raises it out of the way for the rest of the suite)."""
    settings.DELPHI_TOKEN_GUESS_LIMIT = 20
    settings.DELPHI_TOKEN_GUESS_WINDOW_S = 600


def bad_token() -> str:
    return f"Bearer {uuid.uuid4().hex}{uuid.uuid4().hex}"


# --- the API's wrong-token limit --------------------------------------------------------------------


@pytest.mark.django_db
def test_200_bad_tokens_with_varying_forwarded_for_are_refused_after_20_without_a_trusted_proxy(
    real_limit: None,
) -> None:
    client = APIClient(REMOTE_ADDR=fresh_address())
    statuses = [
        client.get("/api/v1/me/study/", HTTP_AUTHORIZATION=bad_token(), HTTP_X_FORWARDED_FOR=fresh_address())
        for _ in range(200)
    ]
    assert [r.status_code for r in statuses] == [401] * 20 + [429] * 180
    assert 0 < int(statuses[-1]["Retry-After"]) <= 600
    assert statuses[-1].json()["error"]["code"] == "throttled"


@pytest.mark.django_db
def test_once_refused_even_the_right_token_is_refused_from_that_client(real_limit: None) -> None:
    _, raw = panelist_create(study=small_study(), email="real@example.org")
    guesser = APIClient(REMOTE_ADDR=fresh_address())
    for _ in range(20):
        assert guesser.get("/api/v1/me/study/", HTTP_AUTHORIZATION=bad_token()).status_code == 401
    assert guesser.get("/api/v1/me/study/", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 429  # no oracle
    other = APIClient(REMOTE_ADDR=fresh_address())
    assert other.get("/api/v1/me/study/", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200


@pytest.mark.django_db
def test_wrong_links_and_wrong_api_tokens_count_against_one_limit(real_limit: None) -> None:
    address = fresh_address()
    for _ in range(10):
        assert Client(REMOTE_ADDR=address).get(f"/e/{uuid.uuid4().hex}{uuid.uuid4().hex}/").status_code == 404
    api = APIClient(REMOTE_ADDR=address)
    assert [api.get("/api/v1/me/study/", HTTP_AUTHORIZATION=bad_token()).status_code for _ in range(11)] == (
        [401] * 10 + [429]
    )


@pytest.mark.django_db
def test_with_one_trusted_proxy_the_forwarded_address_is_the_client(real_limit: None, settings: Any) -> None:
    settings.DELPHI_TRUSTED_PROXIES = 1
    proxy, guesser, colleague = fresh_address(), fresh_address(), fresh_address()
    client = APIClient(REMOTE_ADDR=proxy)
    for _ in range(20):
        response = client.get("/api/v1/me/study/", HTTP_AUTHORIZATION=bad_token(), HTTP_X_FORWARDED_FOR=guesser)
        assert response.status_code == 401
    # A forged entry to the left of what the proxy appended changes nothing: the proxy's entry counts.
    forged = f"{fresh_address()}, {guesser}"
    assert client.get("/api/v1/me/study/", HTTP_AUTHORIZATION=bad_token(), HTTP_X_FORWARDED_FOR=forged).status_code == (
        429
    )
    # Someone else behind the same proxy is not hurt.
    assert client.get(
        "/api/v1/me/study/", HTTP_AUTHORIZATION=bad_token(), HTTP_X_FORWARDED_FOR=colleague
    ).status_code == (401)


@pytest.mark.django_db
def test_the_link_guess_limit_ignores_forwarded_for_without_a_trusted_proxy(real_limit: None) -> None:
    client = Client(REMOTE_ADDR=fresh_address())
    statuses = [
        client.get(f"/e/{uuid.uuid4().hex}{uuid.uuid4().hex}/", HTTP_X_FORWARDED_FOR=fresh_address()).status_code
        for _ in range(25)
    ]
    assert statuses == [404] * 20 + [429] * 5


# --- staff sign-in (django-axes) ---------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("trusted", [0, 1])
def test_staff_sign_in_lockout_follows_the_trusted_proxies(settings: Any, trusted: int) -> None:
    settings.DELPHI_TRUSTED_PROXIES = trusted
    get_user_model().objects.create_user("facilitator", password="correct horse", is_staff=True)
    client = Client(REMOTE_ADDR=fresh_address())
    attacker = fresh_address()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/admin/login/", {"username": "facilitator", "password": "guess"}, HTTP_X_FORWARDED_FOR=attacker)
    signed_in = client.post(
        "/admin/login/", {"username": "facilitator", "password": "correct horse"}, HTTP_X_FORWARDED_FOR=fresh_address()
    )
    # No trusted proxy: a new X-Forwarded-For does not escape the lock. Behind one: it is another client.
    assert signed_in.status_code == (429 if trusted == 0 else 302)


# --- the one definition of the client's address ---------------------------------------------------------


@pytest.mark.parametrize(
    ("trusted", "remote", "forwarded", "client"),
    [
        (0, "203.0.113.9", "198.51.100.1", "203.0.113.9"),  # none trusted: the header is ignored
        (1, "10.0.0.2", "198.51.100.1", "198.51.100.1"),
        (1, "10.0.0.2", "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # the proxy appended the last entry
        (2, "10.0.0.3", "198.51.100.1, 10.0.0.2", "198.51.100.1"),
        (1, "10.0.0.2", "not-an-address", "10.0.0.2"),  # garbage is not believed
        (("10.0.0.0/24",), "10.0.0.2", "6.6.6.6, 198.51.100.1, 10.0.0.7", "198.51.100.1"),
        (("10.0.0.0/24",), "203.0.113.9", "198.51.100.1", "203.0.113.9"),  # not from a trusted proxy
    ],
)
def test_the_client_address_believes_only_trusted_proxies(
    settings: Any, trusted: Any, remote: str, forwarded: str, client: str
) -> None:
    settings.DELPHI_TRUSTED_PROXIES = trusted
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == client


def test_a_request_built_in_code_has_no_client_address_rather_than_a_made_up_one() -> None:
    # django-axes stores the address in an IP column: a sign-in made in code (force_login) has none.
    assert client_address(HttpRequest()) is None


def test_drf_itself_does_not_believe_forwarded_for_by_default() -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert SimpleRateThrottle.get_ident(SimpleRateThrottle.__new__(SimpleRateThrottle), request) == "203.0.113.9"


# --- the setting --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [("", 0), ("0", 0), ("2", 2), ("10.0.0.2, 172.18.0.0/16", ("10.0.0.2/32", "172.18.0.0/16")), ("::1", ("::1/128",))],
)
def test_the_setting_reads_a_count_or_addresses(monkeypatch: pytest.MonkeyPatch, raw: str, parsed: Any) -> None:
    monkeypatch.setenv("DELPHI_TRUSTED_PROXIES", raw)
    assert env_trusted_proxies("DELPHI_TRUSTED_PROXIES") == parsed


@pytest.mark.parametrize("raw", ["yes", "-1", "10.0.0.2,,10.0.0.3", "10.0.0.300"])
def test_a_bad_setting_is_refused_naming_the_variable_and_the_value(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("DELPHI_TRUSTED_PROXIES", raw)
    with pytest.raises(ImproperlyConfigured, match=r"DELPHI_TRUSTED_PROXIES=.*is not a proxy address or network"):
        env_trusted_proxies("DELPHI_TRUSTED_PROXIES")


def _production(code: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("DELPHI_") and k != "DATABASE_URL"}
    environ |= {
        "DJANGO_SETTINGS_MODULE": "delphi.settings.production",
        "DELPHI_SECRET_KEY": "k" * 60,
        "DELPHI_ALLOWED_HOSTS": "panel.example.org",
        "DELPHI_DATA_DIR": str(tmp_path),
        **env,
    }
    script = f"import django\ndjango.setup()\n{code}"
    return subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120
    )


IS_SECURE = (
    "from django.test import RequestFactory\n"
    "print(RequestFactory().get('/', HTTP_X_FORWARDED_PROTO='https', SERVER_NAME='panel.example.org').is_secure())"
)


@pytest.mark.parametrize(("trusted", "is_secure"), [("", "False"), ("1", "True")])
def test_production_believes_forwarded_proto_only_behind_a_trusted_proxy(
    tmp_path: Path, trusted: str, is_secure: str
) -> None:
    run = _production(IS_SECURE, tmp_path, DELPHI_TRUSTED_PROXIES=trusted)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == is_secure


def test_production_refuses_to_start_with_a_bad_trusted_proxies_value(tmp_path: Path) -> None:
    run = _production("print('started')", tmp_path, DELPHI_TRUSTED_PROXIES="the load balancer")
    assert run.returncode != 0
    assert "DELPHI_TRUSTED_PROXIES='the load balancer'" in run.stderr


REDIRECTS = (
    "from django.test import Client\n"
    "client = Client(HTTP_HOST='panel.example.org')\n"
    "print(client.get('/', HTTP_X_FORWARDED_PROTO='https').status_code, client.get('/healthz').status_code)"
)


def test_production_without_a_proxy_redirects_a_claimed_https_request_but_not_the_health_probe(tmp_path: Path) -> None:
    run = _production(REDIRECTS, tmp_path)
    assert run.returncode == 0, run.stderr
    page, health = run.stdout.split()
    assert page == "301"  # the forged X-Forwarded-Proto does not make plain HTTP count as HTTPS
    assert health == "200"  # docker-compose's healthcheck speaks plain HTTP to gunicorn
