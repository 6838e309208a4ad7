"""OpenAPI details shared by the views: path parameters, and the error answers of every operation.

The error answers are added by a drf-spectacular postprocessing hook rather than repeated on each
view, from what the operation can meet: 400 when it takes a body or query parameters, 409 when it
writes, 429 on the rate-limited expert operations, and 401/403/404 everywhere.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter

SLUG_PATTERN = r"[-a-zA-Z0-9_]{1,80}"
CODE_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,15}"
KEY_PATTERN = r"[-a-zA-Z0-9_]{1,40}"
ID_PATTERN = r"[0-9]{1,9}"  # beyond nine digits a number could overflow the database's integers


def _path(name: str, pattern: str, description: str) -> OpenApiParameter:
    """A path parameter as the URL pattern matches it (what the router derives for lookups, too)."""
    schema = {"type": "string", "pattern": f"^{pattern}$"}
    return OpenApiParameter(name, type=schema, location=OpenApiParameter.PATH, description=description)


STUDY = _path("study_slug", SLUG_PATTERN, "The study's slug.")
ROUND = _path("round_number", ID_PATTERN, "The round's number in its study (1, 2, ...).")

ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "description": "Machine-readable, e.g. invalid, not_found, conflict."},
                "message": {"type": "string", "description": "What went wrong and what to do instead."},
                "fields": {
                    "type": "object",
                    "description": "A path into the request (e.g. ratings[2].value) -> its messages.",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
            "required": ["code", "message", "fields"],
        }
    },
    "required": ["error"],
}
ERROR_REF = {"$ref": "#/components/schemas/Error"}
DESCRIPTIONS = {
    "400": "Invalid request; `fields` says where. Nothing was changed.",
    "401": "No credentials, or credentials that are not valid.",
    "403": "Authenticated, but not allowed.",
    "404": "No such resource.",
    "409": "Refused by a rule of the study in its current state; `message` says why.",
    "415": "Unsupported media type.",
    "429": "Too many requests; `Retry-After` says when to try again.",
}
WRITES = {"post", "put", "patch", "delete"}
EXPERT_SCHEME = "expertToken"


def _error_statuses(method: str, operation: dict[str, Any]) -> list[str]:
    is_expert = any(EXPERT_SCHEME in requirement for requirement in operation.get("security", []))
    statuses = ["401", "404"] + ([] if is_expert else ["403"])
    takes_input = "requestBody" in operation or any(p.get("in") == "query" for p in operation.get("parameters", []))
    if takes_input or method in WRITES:
        statuses.append("400")
    if "requestBody" in operation:
        statuses.append("415")
    if method in WRITES:
        statuses.append("409")
    if is_expert:
        statuses.append("429")
    return statuses


def _error_response(status: str) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": DESCRIPTIONS[status],
        "content": {"application/json": {"schema": ERROR_REF}},
    }
    if status == "429":
        response["headers"] = {
            "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait.", "required": True}
        }
    return response


def add_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: the ``Error`` component and each operation's error answers."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for status in _error_statuses(method, operation):
                responses.setdefault(status, _error_response(status))
    return result
