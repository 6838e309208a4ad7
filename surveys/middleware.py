"""Middleware: a Content Security Policy (Django 5.2 sets none itself), and a clear 503 when the
database drops or is too busy to take a save."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy

logger = logging.getLogger(__name__)


class ContentSecurityPolicyMiddleware:
    """Adds ``Content-Security-Policy`` from ``settings.DELPHI_CONTENT_SECURITY_POLICY``.

    Scripts only from this site (no inline script), so an injected ``<script>`` cannot run even if
    escaping ever failed; no framing; forms post only here. A response that sets its own policy
    keeps it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = policy_header()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = self.policy
        return response


def policy_header(**overrides: str) -> str:
    """The site's policy with some directives replaced (keys use ``_`` for ``-``)."""
    policy = dict(settings.DELPHI_CONTENT_SECURITY_POLICY)
    policy.update({key.replace("_", "-"): value for key, value in overrides.items()})
    return "; ".join(f"{k} {v}" for k, v in policy.items())


def with_policy(view: Callable[..., HttpResponse], **overrides: str) -> Callable[..., HttpResponse]:
    """Wrap a third-party view whose page needs a looser policy than the site's (only where it must)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Content-Security-Policy"] = policy_header(**overrides)
        return response

    return wrapper


# A lock not granted in time is not an outage: the database is there, busy with other saves.
_BUSY_MESSAGES = ("database is locked", "database table is locked", "database is busy")  # SQLite
_BUSY_SQLSTATES = {"55P03", "40001", "40P01"}  # PostgreSQL: lock_not_available, serialization, deadlock

UNREACHABLE = gettext_lazy(
    "The service could not reach its database, so your last change was not saved. Please try again."
)
BUSY = gettext_lazy(
    "The service is busy saving other answers, so your last change was not saved. Please try again in a few seconds."
)


def database_is_busy(exception: Exception) -> bool:
    """Whether a database error means "wait your turn" (a lock timeout) rather than "unreachable"."""
    if getattr(exception.__cause__, "sqlstate", None) in _BUSY_SQLSTATES:  # psycopg's error, kept as cause
        return True
    message = str(exception).lower()
    return any(text in message for text in _BUSY_MESSAGES)


class DatabaseUnavailableMiddleware:
    """When the database fails mid-request, answer 503 with a page that says nothing was saved,
    instead of a server error. Every write is one transaction (the services are atomic), so a failed
    save rolls back whole: the promise on the page is true. Requests that ask for JSON (the
    questionnaire's autosave) get JSON with a ``message``, which its script shows.

    The page says what happened: a dropped or refused connection is "could not reach its database";
    a write lock not granted within the busy timeout (SQLite's ``database is locked``, PostgreSQL's
    lock timeout or deadlock) is "busy, try again in a few seconds", a shorter ``Retry-After``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        if database_is_busy(exception):
            logger.warning("database busy during %s %s: %s", request.method, request.path, exception)
            message, retry_after = str(BUSY), "5"
        else:
            logger.error("database unavailable during %s %s", request.method, request.path, exc_info=exception)
            message, retry_after = str(UNREACHABLE), "10"
        if "application/json" in request.headers.get("Accept", ""):
            response: HttpResponse = JsonResponse({"message": message}, status=503)
        else:
            response = render(request, "503.html", {"message": message}, status=503)
        response["Retry-After"] = retry_after
        return response
