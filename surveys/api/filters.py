"""Filtering by query parameters, django-filter style, without the dependency.

A view lists its filters in ``query_filters``; each names a query parameter, the ORM lookup it sets
and how its value is read. A bad value is a 400 naming the parameter (never a database error), and
the filters appear in the OpenAPI schema of the view's list operation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.filters import BaseFilterBackend
from rest_framework.request import Request
from rest_framework.views import APIView

from surveys.api.fields import POSITIVE_INT, has_unstorable_text

MAX_VALUE_LENGTH = 300


@dataclass(frozen=True)
class QueryFilter:
    """``?<name>=value`` filters ``lookup``; ``kind`` is "str", "int" or "bool"; ``choices`` limit a str."""

    name: str
    lookup: str
    description: str
    kind: str = "str"
    choices: Sequence[str] = ()

    def parse(self, raw: str) -> Any:
        if len(raw) > MAX_VALUE_LENGTH or has_unstorable_text(raw):
            raise ValidationError({self.name: [f"Must be printable text of at most {MAX_VALUE_LENGTH} characters."]})
        if self.kind == "int":
            if not raw.isdigit() or not POSITIVE_INT[0] <= int(raw) <= POSITIVE_INT[1]:
                raise ValidationError({self.name: ["Must be a whole number."]})
            return int(raw)
        if self.kind == "bool":
            if raw not in ("true", "false"):
                raise ValidationError({self.name: ["Must be true or false."]})
            return raw == "true"
        if self.choices and raw not in self.choices:
            raise ValidationError({self.name: [f"Must be one of: {', '.join(self.choices)}."]})
        return raw

    def schema_type(self) -> dict[str, Any]:
        schema: dict[str, Any]
        if self.kind == "int":
            schema = {"type": "integer", "minimum": POSITIVE_INT[0], "maximum": POSITIVE_INT[1]}
        elif self.kind == "bool":
            schema = {"type": "boolean"}
        else:
            schema = {"type": "string", "maxLength": MAX_VALUE_LENGTH}
        if self.choices:
            schema["enum"] = list(self.choices)
        return schema


class QueryFilterBackend(BaseFilterBackend):
    """Applies the view's ``query_filters``; a parameter given more than once uses its last value."""

    def filter_queryset(self, request: Request, queryset: QuerySet[Any], view: APIView) -> QuerySet[Any]:
        for spec in getattr(view, "query_filters", ()):
            if spec.name in request.query_params:
                queryset = queryset.filter(**{spec.lookup: spec.parse(request.query_params[spec.name])})
        return queryset

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        return [
            {
                "name": spec.name,
                "required": False,
                "in": "query",
                "description": spec.description,
                "schema": spec.schema_type(),
            }
            for spec in getattr(view, "query_filters", ())
        ]
