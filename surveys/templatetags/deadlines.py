"""Times on the pages in the study's time zone, with the zone named (see :mod:`surveys.deadlines`).

``{{ round.closes_at|in_zone:study.time_zone }}`` → ``16 Dec 2026, 18:00 CET (Europe/Paris)``;
``{{ round.closes_at|in_zone_short:study.time_zone }}`` → ``2026-12-16 18:00``, for a table whose
heading names the zone. The emails and the ``round`` command use the same functions.
"""

from __future__ import annotations

from datetime import datetime

from django import template

from surveys.deadlines import is_past, moment_format, moment_format_short

register = template.Library()


@register.filter
def in_zone(moment: datetime | None, zone: str | None) -> str:
    return moment_format(moment, zone)


@register.filter
def in_zone_short(moment: datetime | None, zone: str | None) -> str:
    return moment_format_short(moment, zone)


@register.filter
def has_passed(moment: datetime | None) -> bool:
    """Whether a deadline has come (a page never promises a time in the past)."""
    return is_past(moment)
