"""Site-wide pages: the home page and the health check."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from surveys import selectors


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "surveys/home.html", {"studies": selectors.study_list_public()})


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:  # any driver error means "not ready"
        return False


def _broker_state() -> str:
    """The broker: "ok", "error", or "eager" when tasks run in-process (the embedded default has none)."""
    if not settings.REDIS_URL:
        return "eager"
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1).ping()
        return "ok"
    except redis.RedisError:
        return "error"


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Readiness: the database answers a query and the broker answers a ping. 503 if either fails."""
    state = {"database": "ok" if _database_ok() else "error", "broker": _broker_state()}
    healthy = state["database"] == "ok" and state["broker"] != "error"
    return JsonResponse(state, status=200 if healthy else 503)
