"""Who a request is: staff by ``Authorization: Token <key>`` (or their session), experts by
``Authorization: Bearer <token>``, their invitation token.

Staff keys are issued with ``manage.py api_token create`` and stored only as SHA-256 hashes (DRF's
own authtoken stores them in clear, so it is not used).

The token is the one in the expert's link ``/e/<token>/``, checked exactly as the link is: unknown,
expired, revoked and withdrawn tokens are refused alike (401), saying nothing about which, and they
count against the same limit of wrong tokens per client (``DELPHI_TOKEN_GUESS_LIMIT`` per
``DELPHI_TOKEN_GUESS_WINDOW_S``, by default 20 per 10 minutes, link and API together): beyond it
every token from that client is refused with 429 until the window ends. The expert is not a Django
user: ``request.user`` becomes an :class:`ExpertPrincipal` holding the panelist, which no staff
permission accepts.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from surveys.models import Panelist
from surveys.ratelimit import token_guess_limit
from surveys.selectors import expert as selectors_expert
from surveys.services.api_tokens import api_token_check

KEYWORD = "Bearer"


class ExpertPrincipal:
    """The user-like object for a request made with an expert's token (never staff)."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None

    def __init__(self, panelist: Panelist) -> None:
        self.panelist = panelist

    def __str__(self) -> str:
        return "expert"


class StaffTokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token <key>`` for a live API token of an active staff user, else 401."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        token = api_token_check(key)
        if token is None:
            raise exceptions.AuthenticationFailed("This API token is not valid (unknown, revoked, or not staff).")
        return token.user, token


class ExpertTokenAuthentication(authentication.BaseAuthentication):
    """Resolve ``Authorization: Bearer <token>`` to the panelist, or refuse with 401."""

    def authenticate(self, request: Request) -> tuple[ExpertPrincipal, Panelist] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].decode("latin-1").lower() != KEYWORD.lower():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send the header as 'Authorization: Bearer <token>'.")
        limit = token_guess_limit()
        retry_after = limit.retry_after(request._request)
        if retry_after is not None:  # refused before the lookup: a right guess now teaches nothing
            raise exceptions.Throttled(wait=retry_after, detail="Too many wrong tokens from this address.")
        try:
            panelist = selectors_expert.panelist_by_invitation(header[1].decode("ascii"))
        except UnicodeDecodeError:
            panelist = None
        if panelist is None:
            limit.record_failure(request._request)
            raise exceptions.AuthenticationFailed("This token is not valid.")
        return ExpertPrincipal(panelist), panelist

    def authenticate_header(self, request: Request) -> str:
        return f'{KEYWORD} realm="expert"'


class ExpertTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """Documents the expert token as an HTTP bearer scheme in the OpenAPI schema."""

    target_class = "surveys.api.authentication.ExpertTokenAuthentication"
    name = "expertToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "The token of the expert's invitation link /e/<token>/.",
        }
