"""Site-wide pages: the home page, the health check, the favicon, and the answer to a request that
cannot be read (Django's ``handler400``)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.formats import number_format
from django.utils.translation import gettext, ngettext
from django.views.decorators.cache import never_cache

from surveys.api.errors import Fields, error_body
from surveys.models.ballots import RATIONALE_MAX_LENGTH


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "surveys/home.html")


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


def favicon(request: HttpRequest) -> HttpResponse:
    """``/favicon.ico``, which browsers ask for whatever the page links: the site's SVG icon."""
    return HttpResponsePermanentRedirect(static("surveys/favicon.svg"))


# --- requests that cannot be read ------------------------------------------------------------------


def wants_json(request: HttpRequest) -> bool:
    """The API, and the questionnaire's autosave (it sends ``Accept: application/json``), read JSON."""
    return request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")


def refusal(
    request: HttpRequest, message: str, *, code: str = "bad_request", fields: Fields | None = None, status: int = 400
) -> HttpResponse:
    """A refused request in the format its sender reads: the API's error body on ``/api/``, the
    autosave's ``{"message", "errors"}`` for other JSON clients, and the 400 page for a browser."""
    if request.path.startswith("/api/"):
        return JsonResponse(error_body(code, message, fields), status=status)
    if wants_json(request):
        body: dict[str, object] = {"message": message}
        if fields:
            body["errors"] = {name: " ".join(messages) for name, messages in fields.items()}
        return JsonResponse(body, status=status)
    return render(request, "400.html", {"message": message}, status=status)


def _number(n: int | float, decimals: int | None = None) -> str:
    """``12,345`` in English, ``12 345`` in Russian: the active language's grouping and decimal mark."""
    return number_format(n, decimal_pos=decimals, use_l10n=True, force_grouping=True)


def _bytes(n: int) -> str:
    return ngettext("%(n)s byte (%(mb)s MB)", "%(n)s bytes (%(mb)s MB)", n) % {
        "n": _number(n),
        "mb": _number(n / (1024 * 1024), 1),
    }


def limit_message(exception: Exception | None, request: HttpRequest) -> tuple[str, str]:
    """(code, message) for why Django could not read the request, naming the limit it exceeds."""
    if isinstance(exception, RequestDataTooBig):
        sent = request.META.get("CONTENT_LENGTH") or "?"
        return "too_large", gettext(
            "Not saved: the form sent %(sent)s bytes, more than the %(limit)s the site accepts (uploaded files "
            "aside). A reason holds at most %(reason_max)s characters."
        ) % {
            "sent": sent,
            "limit": _bytes(settings.DATA_UPLOAD_MAX_MEMORY_SIZE),
            "reason_max": _number(RATIONALE_MAX_LENGTH),
        }
    if isinstance(exception, TooManyFieldsSent):
        return "too_many_fields", gettext(
            "Not saved: the form has more than %(limit)s fields, the most the site accepts in one request."
        ) % {"limit": _number(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS)}
    if isinstance(exception, TooManyFilesSent):
        return "too_many_files", gettext(
            "Not saved: the form has more than %(limit)s files, the most the site accepts in one request."
        ) % {"limit": _number(settings.DATA_UPLOAD_MAX_NUMBER_FILES)}
    return "bad_request", gettext("The request could not be read, so nothing was saved. Go back and try again.")


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's 400 (an oversized or garbled post, raised when the view first reads it): JSON for
    the API and the autosave, a page for everything else, each naming the limit."""
    code, message = limit_message(exception, request)
    return refusal(request, message, code=code)
