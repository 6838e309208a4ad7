"""Serializer fields that keep hostile input away from the database.

The database refuses text with NUL or lone surrogate characters (PostgreSQL, and SQLite's encoder)
and integers beyond its column types; either would surface as a 500. DRF's ``CharField`` already
refuses the characters; these fields do the same for free-form data and bound every number.
"""

from __future__ import annotations

import json
import math
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

SMALLINT = (-32768, 32767)  # SmallIntegerField
POSITIVE_INT = (0, 2147483647)  # PositiveIntegerField
FREE_FORM_MAX_CHARS = 20_000  # a consensus or stopping rule is a few lines
FREE_FORM_MAX_NODES = 2_000
FREE_FORM_MAX_DEPTH = 20


def _unstorable(text: str) -> bool:
    return "\x00" in text or any(0xD800 <= ord(c) <= 0xDFFF for c in text)


def has_unstorable_text(value: Any) -> bool:
    """True when any string in ``value`` (keys included) holds NUL or a lone surrogate."""
    stack = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, str) and _unstorable(current):
            return True
        if isinstance(current, dict):
            stack.extend(current.keys())
            stack.extend(current.values())
        elif isinstance(current, list | tuple):
            stack.extend(current)
    return False


def is_oversized(value: Any, *, max_nodes: int, max_depth: int) -> bool:
    """True when ``value`` holds more than ``max_nodes`` values or nests deeper than ``max_depth``.

    Checked without recursion before anything walks the value in full: YAML aliases can make a small
    file expand to billions of nodes, and deep nesting would exhaust the stack.
    """
    stack: list[tuple[Any, int]] = [(value, 1)]
    seen = 0
    while stack:
        current, depth = stack.pop()
        seen += 1
        if seen > max_nodes or depth > max_depth:
            return True
        if isinstance(current, dict):
            stack.extend((v, depth + 1) for v in (*current.keys(), *current.values()))
        elif isinstance(current, list | tuple):
            stack.extend((v, depth + 1) for v in current)
    return False


def small_int(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=SMALLINT[0], max_value=SMALLINT[1], **kwargs)


@extend_schema_field({"type": "object", "additionalProperties": True})
class FreeFormObjectField(serializers.JSONField):
    """A JSON object checked only for what storage refuses; its meaning is the service's to check."""

    default_error_messages = {
        "not_object": "Must be a JSON object.",
        "unstorable": "Must not contain NUL or unpaired surrogate characters.",
        "too_large": (
            f"Is too large: at most {FREE_FORM_MAX_NODES} values, {FREE_FORM_MAX_DEPTH} levels deep "
            f"and {FREE_FORM_MAX_CHARS} characters as JSON."
        ),
    }

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, dict):
            self.fail("not_object")
        if is_oversized(data, max_nodes=FREE_FORM_MAX_NODES, max_depth=FREE_FORM_MAX_DEPTH):
            self.fail("too_large")  # before DRF's own check serialises it in full
        value = super().to_internal_value(data)
        if has_unstorable_text(value):
            self.fail("unstorable")
        try:
            size = len(json.dumps(value))
        except (TypeError, ValueError):  # e.g. a date from YAML
            self.fail("not_object")
        if size > FREE_FORM_MAX_CHARS:
            self.fail("too_large")
        return value


class FiniteFloatField(serializers.FloatField):
    """A float that renders NaN and infinity as null: strict JSON has no such numbers.

    Always nullable, since a stored infinity (say a CV over a zero mean) is shown as null.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs["allow_null"] = True
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> float | None:
        if value is None:
            return None
        number = float(value)
        return number if math.isfinite(number) else None
