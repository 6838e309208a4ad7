"""Security as attacks: each test tries one and checks that it fails.

Covered elsewhere, and not repeated here: another expert's ballot and bad ballot input
(tests/test_expert_views.py), formula and PII escaping in every export format
(tests/test_reports_formats.py), staff-only facilitator pages (tests/test_facilitator_dashboard.py).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core import serializers
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from surveys.models import Item, Panelist, Rating
from surveys.services.panel import panelist_create
from surveys.services.panel_roster import panelist_revoke
from tests.test_ballots import two_rounds

pytestmark = pytest.mark.django_db

XSS = '<script>alert("xss")</script><img src=x onerror="alert(1)">'


def fresh_address() -> str:
    """A client address no other test (or earlier run, with Redis) has counted failures for."""
    return f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"


# --- tokens -------------------------------------------------------------------------------------------


def test_tokens_carry_at_least_128_random_bits_and_only_their_hash_is_stored() -> None:
    study = two_rounds().study
    raws = [panelist_create(study=study, email=f"t{i}@example.org")[1] for i in range(50)]
    assert len(set(raws)) == 50
    assert all(len(raw) >= 22 and re.fullmatch(r"[A-Za-z0-9_-]+", raw) for raw in raws)  # 22 base64 chars = 132 bits
    assert min(len(raw) for raw in raws) * 6 >= 128
    dump = serializers.serialize("json", Panelist.objects.all())  # every column of every panelist
    assert not [raw for raw in raws if raw in dump]


def test_guessing_tokens_is_stopped_and_a_guess_that_would_be_right_is_refused_too(settings) -> None:  # type: ignore[no-untyped-def]
    settings.DELPHI_TOKEN_GUESS_LIMIT = 5
    study = two_rounds().study
    _, raw = panelist_create(study=study, email="real@example.org")
    attacker = Client(REMOTE_ADDR=fresh_address())
    for _ in range(5):
        assert attacker.get(f"/e/{uuid.uuid4().hex}{uuid.uuid4().hex}/").status_code == 404
    blocked = attacker.get(f"/e/{uuid.uuid4().hex}/")
    assert blocked.status_code == 429
    assert 0 < int(blocked["Retry-After"]) <= settings.DELPHI_TOKEN_GUESS_WINDOW_S
    assert "Too many attempts" in blocked.content.decode()
    assert attacker.get(f"/e/{raw}/").status_code == 429  # no oracle once blocked
    assert Client(REMOTE_ADDR=fresh_address()).get(f"/e/{raw}/").status_code == 302  # others are not hurt


def test_unknown_revoked_and_malformed_tokens_get_the_identical_page() -> None:
    study = two_rounds().study
    revoked, raw = panelist_create(study=study, email="gone@example.org")
    panelist_revoke(panelist=revoked)
    client = Client(REMOTE_ADDR=fresh_address())
    bodies = {client.get(path).content for path in (f"/e/{raw}/", "/e/not-a-token/", f"/e/{'A' * 43}/")}
    assert len(bodies) == 1
    assert b"small-study" not in bodies.pop()


# --- staff sign-in ------------------------------------------------------------------------------------


def test_staff_sign_in_is_locked_after_repeated_failures_even_for_the_right_password(settings) -> None:  # type: ignore[no-untyped-def]
    get_user_model().objects.create_user("facilitator", password="correct horse", is_staff=True)
    get_user_model().objects.create_user("colleague", password="battery staple", is_staff=True)
    client = Client(REMOTE_ADDR=fresh_address())
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post("/admin/login/", {"username": "facilitator", "password": "guess"})
        assert response.status_code in (200, 429)  # the form again, then the lockout
    locked = client.post("/admin/login/", {"username": "facilitator", "password": "correct horse"})
    assert locked.status_code == 429
    assert "Sign-in temporarily locked" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    other = client.post("/admin/login/", {"username": "colleague", "password": "battery staple"})
    assert other.status_code == 302  # the lock is on that account from that address, not on everyone


# --- CSRF ---------------------------------------------------------------------------------------------


def _patterns(resolver: URLResolver, prefix: str = "") -> list[tuple[str, URLPattern]]:
    found: list[tuple[str, URLPattern]] = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            found += _patterns(entry, prefix + str(entry.pattern))
        else:
            found.append((prefix + str(entry.pattern), entry))
    return found


def _fill(route: str, values: dict[str, Any]) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), route)


def test_every_post_to_our_pages_without_the_csrf_token_is_refused() -> None:
    setup = two_rounds()
    ballot = setup.me.ballots.get(round=setup.second) if setup.me.ballots.filter(round=setup.second).exists() else None
    values = {
        "slug": setup.study.slug,
        "number": setup.second.number,
        "item_id": Item.objects.filter(study=setup.study).first().pk,  # type: ignore[union-attr]
        "panelist_id": setup.me.pk,
        "suggestion_id": 1,
        "job_id": 1,
        "kind": "reminder",
        "action": "revoke",
        "ballot_id": ballot.pk if ballot else 1,
        "token": "x" * 43,
        "state": "0" * 16,
        "name": "headline",
        "layout": "wide",
        "language": "en",
    }
    staff = get_user_model().objects.create_user("staff", password="x", is_staff=True, is_superuser=True)
    client = Client(enforce_csrf_checks=True, REMOTE_ADDR=fresh_address())
    client.force_login(staff)
    routes = [
        route for route, pattern in _patterns(get_resolver()) if pattern.callback.__module__.startswith("surveys.views")
    ]
    assert len(routes) > 30  # the walk found the expert, facilitator and report pages
    accepted = []
    for route in routes:
        status = client.post(_fill(route, values), {"confirm": "on"}).status_code
        if status not in (403, 405):
            accepted.append((route, status))
    assert accepted == []


def test_every_form_that_posts_carries_the_csrf_token(client: Client) -> None:
    setup = two_rounds()
    from tests.test_expert_views import begin

    pages = [begin(client, setup.me, setup.second), "/e/round/", "/e/profile/", "/e/welcome/"]
    staff = Client()
    staff.force_login(get_user_model().objects.create_user("staff", password="x", is_staff=True))
    slug = setup.study.slug
    staff_pages = [
        f"/facilitate/{slug}/",
        f"/facilitate/{slug}/panel/",
        f"/facilitate/{slug}/messages/",
        f"/facilitate/{slug}/messages/invitation/",
        f"/studies/{slug}/report/",
    ]
    forms = 0
    for who, path in [(client, p) for p in pages] + [(staff, p) for p in staff_pages]:
        html = who.get(path).content.decode()
        for form in re.findall(r"<form\b[^>]*method=\"post\"[^>]*>.*?</form>", html, flags=re.S | re.I):
            forms += 1
            assert 'name="csrfmiddlewaretoken"' in form, (path, form[:200])
    assert forms >= 5


# --- XSS ----------------------------------------------------------------------------------------------


def test_script_in_an_item_text_and_a_rationale_is_shown_as_text_everywhere(client: Client) -> None:
    setup = two_rounds()
    Item.objects.filter(study=setup.study, code="C1").update(text=XSS)
    Rating.objects.filter(ballot__round=setup.first, ballot__panelist=setup.panel[1], rationale__gt="").update(
        rationale=XSS
    )
    from tests.test_expert_views import begin

    expert_page = client.get(begin(client, setup.me, setup.second))
    staff = Client()
    staff.force_login(get_user_model().objects.create_user("staff", password="x", is_staff=True))
    pages = {
        "questionnaire with feedback": expert_page,
        "dashboard": staff.get(f"/facilitate/{setup.study.slug}/"),
        "report": staff.get(f"/studies/{setup.study.slug}/report/"),
    }
    escaped = "&lt;script&gt;alert(&quot;xss&quot;)&lt;/script&gt;"
    for name, response in pages.items():
        html = response.content.decode()
        assert response.status_code == 200, name
        assert "<script>alert" not in html and 'onerror="alert' not in html, name
        assert "script-src 'self'" in response["Content-Security-Policy"], name
    assert escaped in pages["questionnaire with feedback"].content.decode()  # the text and the rationale
    assert pages["questionnaire with feedback"].content.decode().count("&lt;img src=x onerror=") >= 2
    assert escaped in pages["report"].content.decode()


# --- oversized input ----------------------------------------------------------------------------------


def test_an_oversized_request_body_is_refused_cleanly_and_saves_nothing(client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    setup = two_rounds()
    from tests.test_expert_views import begin

    url = begin(client, setup.me, setup.second)
    before = list(Rating.objects.filter(ballot__panelist=setup.me).values_list("pk", "value", "rationale"))
    huge = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = client.post(url, {f"r{setup.ri('C1')}-agreement": "5", "rationale": huge})
    assert response.status_code == 400
    assert list(Rating.objects.filter(ballot__panelist=setup.me).values_list("pk", "value", "rationale")) == before
