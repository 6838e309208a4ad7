"""Request parsers with limits, so an oversized or absurdly nested body is a 400, not a 500.

DRF reads a JSON body from the stream without Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` check (that
check applies to ``request.body`` and forms only), and Python's JSON decoder raises
``RecursionError``, which DRF does not catch, on a body nested thousands of levels deep.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


def content_length(parser_context: dict[str, Any] | None) -> int:
    request = (parser_context or {}).get("request")
    meta = getattr(request, "META", {})
    try:
        return int(meta.get("CONTENT_LENGTH") or 0)
    except (TypeError, ValueError):
        return 0


class LimitedJSONParser(JSONParser):
    """JSON, at most ``DATA_UPLOAD_MAX_MEMORY_SIZE`` bytes and of sane depth."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict[str, Any] | None = None) -> Any:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and content_length(parser_context) > limit:
            raise ParseError(f"The request body is larger than {limit} bytes.")
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply.") from None
