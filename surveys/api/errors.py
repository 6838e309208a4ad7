"""One error format for the whole API, and the mapping of domain errors onto HTTP.

Every error answer has the body ``{"error": {"code", "message", "fields"}}``. ``fields`` maps a
path into the request (``ratings[2].value``, ``items.C1.text``, ``line 4``) to its messages; it is
empty when the problem is not one field's. The statuses:

- 400: the request itself is invalid (malformed JSON, wrong types, a value outside its range, an
  unknown code); ``fields`` says where. Nothing was changed.
- 401 / 403: no or wrong credentials / not allowed. 404: no such thing (or not yours).
- 409: well-formed, but a rule of the study refuses it now (the round is closed, the code is
  taken, a round is still open, a declared translation is missing: ``translations_missing``);
  ``message`` says why and what to do instead.
- 429: too many requests; ``Retry-After`` says when to try again.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.urls import Resolver404, ResolverMatch, resolve
from django.utils.translation import gettext, ngettext
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from surveys.content_language import MissingTranslationsError
from surveys.errors import DomainError, IllegalTransition, StudyFileError
from surveys.services.ballots import BallotRefused
from surveys.services.panel_import import PanelImportError
from surveys.services.panel_roster import PanelistInvalid

Fields = dict[str, list[str]]


class Invalid(exceptions.APIException):
    """A 400 whose field errors are already flat paths (from a service, or mapped by a view)."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"

    def __init__(self, message: str, fields: Fields | None = None) -> None:
        super().__init__(detail=message, code=self.default_code)
        self.fields = fields or {}


class Conflict(exceptions.APIException):
    """A 409: a rule of the domain refuses the request in the study's current state."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"

    def __init__(self, message: str, code: str = "conflict") -> None:
        super().__init__(detail=message, code=code)
        self.code = code


def _sentence(problem: str) -> str:
    """A service's message fragment ("the name has ...") as a field's message ("The name has ...")."""
    text = problem.rstrip(".")
    return f"{text[:1].upper()}{text[1:]}."


def _join(prefix: str, key: object) -> str:
    if isinstance(key, int):
        return f"{prefix}[{key}]"
    return f"{prefix}.{key}" if prefix else str(key)


def flatten(detail: Any, prefix: str = "", into: Fields | None = None) -> Fields:
    """DRF's nested error detail as ``{path: [messages]}``; ``""`` holds messages about the whole."""
    out: Fields = {} if into is None else into
    if isinstance(detail, dict):
        for key, value in detail.items():
            non_field = key == api_settings.NON_FIELD_ERRORS_KEY
            index = int(key) if isinstance(key, str) and key.isascii() and key.isdigit() and prefix else key  # not '³'
            flatten(value, prefix if non_field else _join(prefix, index), out)
    elif isinstance(detail, list):
        if all(not isinstance(v, dict | list) for v in detail):
            out.setdefault(prefix, []).extend(str(v) for v in detail)
        else:
            for index, value in enumerate(detail):
                flatten(value, _join(prefix, index), out)
    else:
        out.setdefault(prefix, []).append(str(detail))
    return {path: messages for path, messages in out.items() if messages}


def _study_file_fields(exc: StudyFileError) -> Fields:
    fields: Fields = {}
    for error in exc.errors:
        path = f"items.{error.item}.{error.field}" if error.item else error.field
        fields.setdefault(path, []).append(error.message)
    return fields


def domain_to_api(exc: Exception) -> Exception:
    """A domain error (or a Django one) as the API exception it answers with; others unchanged."""
    if isinstance(exc, BallotRefused):
        fields = {k: [v] for k, v in exc.errors.items()}
        return Invalid(gettext("Nothing was saved: some answers were refused."), fields)
    if isinstance(exc, StudyFileError):
        n = len(exc.errors)
        message = ngettext(
            "The study was refused (%(n)d error); nothing was changed.",
            "The study was refused (%(n)d errors); nothing was changed.",
            n,
        ) % {"n": n}
        return Invalid(message, _study_file_fields(exc))
    if isinstance(exc, PanelImportError):
        fields = {f"line {e.line}": [e.message] for e in exc.errors}  # the path stays English: it is a key
        n = len(exc.errors)
        message = ngettext(
            "The panel file has %(n)d bad row; nobody was added.",
            "The panel file has %(n)d bad rows; nobody was added.",
            n,
        ) % {"n": n}
        return Invalid(message, fields)
    if isinstance(exc, PanelistInvalid):
        fields = {field: [_sentence(message)] for field, message in exc.errors.items()}
        return Invalid(gettext("The expert was not changed: %(problems)s") % {"problems": str(exc)}, fields)
    if isinstance(exc, MissingTranslationsError):
        return Conflict(str(exc), code="translations_missing")
    if isinstance(exc, IllegalTransition):
        return Conflict(str(exc), code="illegal_transition")
    if isinstance(exc, DomainError):
        return Conflict(str(exc))
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(detail=exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return exceptions.ParseError(
            ngettext(
                "The request body is larger than %(n)d byte.", "The request body is larger than %(n)d bytes.", limit
            )
            % {"n": limit}
        )
    if isinstance(exc, SuspiciousOperation):  # e.g. too many form fields or files
        return exceptions.ParseError(str(exc))
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    return exc


def error_body(code: str, message: str, fields: Fields | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _describe(exc: exceptions.APIException) -> dict[str, Any]:
    if isinstance(exc, Invalid):
        return error_body(exc.default_code, str(exc.detail), exc.fields)
    if isinstance(exc, Conflict):
        return error_body(exc.code, str(exc.detail))
    if isinstance(exc, exceptions.ValidationError):
        flat = flatten(exc.detail)
        general = flat.pop("", [])
        names = ", ".join(sorted(flat))
        message = (
            " ".join(general)
            if general
            else ngettext("Invalid field: %(names)s.", "Invalid fields: %(names)s.", len(flat)) % {"names": names}
        )
        return error_body("invalid", message, flat)
    code = exc.get_codes()
    return error_body(code if isinstance(code, str) else exc.default_code, str(exc.detail))


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler (status, ``Retry-After``, ``WWW-Authenticate``), then the body in one format."""
    exc = domain_to_api(exc)
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response  # not an input problem: a real server error, left loud
    response.data = _describe(exc)
    return response


@csrf_exempt  # it changes nothing; a write to an unknown path is a 404 here, not a CSRF page
def not_found(request: HttpRequest, *args: object, **kwargs: object) -> JsonResponse:
    """Any other path under /api/v1/: the same error format as the API's own 404s.

    It also stands in for Django's redirect to the path with a slash, which cannot carry a POST.
    """
    message = gettext("No such endpoint.")
    if not request.path.endswith("/"):
        with_slash = f"{request.path}/"
        match = resolve_or_none(with_slash)
        if match is not None and match.url_name != "not-found":
            message += " " + gettext("Did you mean %(path)s (with the slash)?") % {"path": with_slash}
    return JsonResponse(error_body("not_found", message), status=status.HTTP_404_NOT_FOUND)


def resolve_or_none(path: str) -> ResolverMatch | None:
    try:
        return resolve(path)
    except Resolver404:
        return None
