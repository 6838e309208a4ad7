"""Staff API tokens: issue (the raw key is returned once and never stored), check, and revoke."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from surveys.errors import DomainError
from surveys.models import ApiToken
from surveys.models.panel import hash_token

KEY_BYTES = 32  # 256 random bits
LAST_USED_RESOLUTION = timedelta(minutes=1)  # write last_used_at at most once a minute per token


def api_token_create(*, user: AbstractBaseUser, name: str) -> tuple[ApiToken, str]:
    """Issue a token for a staff user. Returns the record and the raw key, which only the caller sees."""
    if not (user.is_active and getattr(user, "is_staff", False)):
        raise DomainError(f"User '{user.get_username()}' is not active staff; only facilitators get API tokens.")
    name = name.strip()
    if not name:
        raise DomainError("Name the token (what it is for), so that it can be recognised and revoked later.")
    raw = secrets.token_urlsafe(KEY_BYTES)
    # By id: any configured user model, not only auth.User.
    token = ApiToken.objects.create(user_id=user.pk, name=name[:100], prefix=raw[:8], key_hash=hash_token(raw))
    return token, raw


def api_token_check(raw: str) -> ApiToken | None:
    """The live token for a raw key, with its user, or None (unknown, revoked, or its user no longer staff)."""
    token = ApiToken.objects.select_related("user").filter(key_hash=hash_token(raw), revoked_at=None).first()
    if token is None or not (token.user.is_active and token.user.is_staff):
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """Revoke a token for good; revoking twice is harmless."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token
