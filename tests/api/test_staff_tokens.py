"""Staff API tokens: stored hashed, refused once revoked or once their user stops being staff, and
managed with ``manage.py api_token``."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from rest_framework.test import APIClient

from surveys.errors import DomainError
from surveys.models import ApiToken
from surveys.services.api_tokens import api_token_create, api_token_revoke

pytestmark = pytest.mark.django_db


@pytest.fixture
def facilitator() -> Any:
    return get_user_model().objects.create_user("fac", password=None, is_staff=True)


def _studies(raw: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    return client.get("/api/v1/studies/").status_code


def test_the_key_is_random_and_only_its_hash_is_stored(facilitator: Any) -> None:
    token, raw = api_token_create(user=facilitator, name="export")
    _, other = api_token_create(user=facilitator, name="export 2")
    assert len(raw) >= 43 and raw != other  # 32 random bytes, url-safe base64
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM " + connection.ops.quote_name(ApiToken._meta.db_table))  # noqa: S608 (a fixed model table)
        stored = repr(cursor.fetchall())
    assert raw not in stored and raw[8:20] not in stored
    assert token.prefix == raw[:8]


def test_a_live_token_authenticates_and_records_its_use(facilitator: Any) -> None:
    token, raw = api_token_create(user=facilitator, name="export")
    assert _studies(raw) == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_revoked_unknown_and_demoted_tokens_are_refused(facilitator: Any) -> None:
    token, raw = api_token_create(user=facilitator, name="export")
    assert _studies(raw + "x") == 401
    api_token_revoke(token=token)
    assert _studies(raw) == 401

    _, second = api_token_create(user=facilitator, name="again")
    facilitator.is_staff = False
    facilitator.save()
    assert _studies(second) == 401


def test_only_active_staff_get_tokens_and_a_token_needs_a_name(facilitator: Any) -> None:
    expert_user = get_user_model().objects.create_user("plain", password=None)
    with pytest.raises(DomainError, match="not active staff"):
        api_token_create(user=expert_user, name="x")
    with pytest.raises(DomainError, match="Name the token"):
        api_token_create(user=facilitator, name="  ")


def test_the_command_prints_the_key_once_lists_prefixes_and_revokes(facilitator: Any) -> None:
    out, err = StringIO(), StringIO()
    call_command("api_token", "create", "fac", "--name", "nightly", stdout=out, stderr=err)
    raw = out.getvalue().strip()
    assert _studies(raw) == 200 and "not stored" in err.getvalue()

    listing = StringIO()
    call_command("api_token", "list", stdout=listing)
    assert raw[:8] in listing.getvalue() and "nightly" in listing.getvalue() and raw not in listing.getvalue()

    call_command("api_token", "revoke", raw[:8], stdout=StringIO())
    assert _studies(raw) == 401


def test_the_command_names_what_was_wrong(facilitator: Any) -> None:
    with pytest.raises(CommandError, match="No user 'nobody'") as missing:
        call_command("api_token", "create", "nobody", "--name", "x")
    assert missing.value.returncode == 2
    with pytest.raises(CommandError, match="No live token starts with 'zzzz'"):
        call_command("api_token", "revoke", "zzzz")
