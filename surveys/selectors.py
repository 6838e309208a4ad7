"""Reads: querysets for the views, the API and the statistics."""

from __future__ import annotations

from django.db.models import QuerySet

from surveys.models import Panelist, Study
from surveys.models.panel import hash_token


def study_list_public() -> QuerySet[Study]:
    return Study.objects.order_by("title")


def panelist_by_token(raw: str) -> Panelist | None:
    """The panelist a raw invitation token belongs to, or None (unknown, revoked)."""
    if not raw or len(raw) > 200:
        return None
    return (
        Panelist.objects.select_related("study")
        .exclude(status=Panelist.Status.REVOKED)
        .filter(token_hash=hash_token(raw))
        .first()
    )
