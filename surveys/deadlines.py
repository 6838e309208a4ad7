"""Deadlines in a study's time zone: reading what a facilitator typed, and showing a time with its zone named.

Times are stored in UTC. A study names the IANA zone (``Study.time_zone``, default ``"UTC"``) in which
its experts and staff read them, so one function renders every deadline the same way on the pages, in
the emails and in the command's echo: ``16 Dec 2026, 18:00 CET (Europe/Paris)``. The abbreviation alone
is ambiguous (IST, CST) and the zone name alone does not say whether summer time applies, so both are
given; a zone without a letter abbreviation shows its UTC offset instead (``UTC+04:30 (Asia/Kabul)``).

A deadline typed with an offset (``2026-12-16T18:00+01:00``) means that instant. A naive one is read in
the study's zone; a wall time that the zone skips or repeats when its clocks change is refused rather
than guessed.

Dates follow the active language (the expert's, in their pages and mail): ``3 декабря 2026 г., 18:00
MSK (Europe/Moscow)`` in Russian. The date format and the order of time, abbreviation and zone are the
translator's (``surveys/locale``); the zone is always named.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, pgettext

from surveys.errors import DomainError
from surveys.models import Round

DEFAULT_ZONE = "UTC"


def zone_info(name: str | None) -> ZoneInfo:
    """The zone a study names; UTC for an empty or unknown name (a stored name was validated on the way in)."""
    try:
        return ZoneInfo(name or DEFAULT_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)


def _offset(local: datetime) -> str:
    offset = local.strftime("%z")  # "+0430"
    return f"UTC{offset[:3]}:{offset[3:]}"


def _abbreviation(local: datetime) -> str:
    abbreviation = local.tzname() or ""
    if abbreviation[:1] in "+-" or not abbreviation:  # e.g. "+0430": no letters, so say the offset
        return _offset(local)
    return abbreviation


def moment_format(moment: datetime | None, zone: str | None) -> str:
    """``16 Dec 2026, 18:00 CET (Europe/Paris)``; just ``... 18:00 UTC`` in UTC; ``""`` for no time."""
    if moment is None:
        return ""
    info = zone_info(zone)
    local = moment.astimezone(info)
    abbreviation = _abbreviation(local)
    # Translators: a Django date format (docs.djangoproject.com, "date" filter); E is the month's
    # genitive name in languages that have one ("3 декабря 2026 г., 18:00").
    when = date_format(local.replace(tzinfo=None), pgettext("deadline date and time", "j M Y, H:i"))
    values = {"time": when, "abbreviation": abbreviation, "zone": info.key}
    if abbreviation == info.key:  # UTC itself
        # Translators: a time in UTC: %(time)s is the date and time, %(zone)s "UTC".
        return pgettext("deadline", "%(time)s %(zone)s") % values
    # Translators: %(abbreviation)s is e.g. CET, MSK or UTC+04:30, %(zone)s the IANA name (Europe/Moscow);
    # keep both.
    return pgettext("deadline", "%(time)s %(abbreviation)s (%(zone)s)") % values


def moment_format_short(moment: datetime | None, zone: str | None) -> str:
    """``2026-12-16 18:00`` in the study's zone, for tables whose heading names the zone."""
    if moment is None:
        return ""
    return f"{moment.astimezone(zone_info(zone)):%Y-%m-%d %H:%M}"


def aware_in_zone(naive: datetime, zone: str | None, *, what: str = "The deadline") -> datetime:
    """A wall time in ``zone`` as an aware datetime; refused where the clocks change (skipped or repeated)."""
    info = zone_info(zone)
    early, late = naive.replace(tzinfo=info, fold=0), naive.replace(tzinfo=info, fold=1)
    if early.utcoffset() != late.utcoffset():
        raise DomainError(
            gettext(
                "%(what)s %(time)s happens twice or not at all in %(zone)s (the clocks change then); "
                "choose another time or give the UTC offset, e.g. 2026-03-29T03:30+02:00."
            )
            % {"what": what, "time": f"{naive:%Y-%m-%d %H:%M}", "zone": info.key}
        )
    return early


def deadline_parse(text: str, zone: str | None) -> datetime:
    """An ISO 8601 date and time: with an offset (or ``Z``) it is that instant; without, a wall time in ``zone``."""
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise DomainError(
            gettext(
                "%(text)s is not a date and time such as 2026-12-16T18:00 (in the study's zone) "
                "or 2026-12-16T18:00+01:00"
            )
            % {"text": repr(text)}
        ) from exc
    return parsed if timezone.is_aware(parsed) else aware_in_zone(parsed, zone)


def is_past(moment: datetime | None, now: datetime | None = None) -> bool:
    """Whether a deadline has come: ``closes_at <= now`` (the same test as the close's conditional update)."""
    return moment is not None and moment <= (now or timezone.now())


@dataclass(frozen=True)
class DeadlineNotice:
    """What the dashboard says about the current round's deadline; ``is_warning`` asks the facilitator to act."""

    text: str
    is_warning: bool


def deadline_notice(round_: Round | None, *, was_closed_now: bool, zone: str) -> DeadlineNotice | None:
    """The dashboard's word on an overdue round: past its deadline and still open (nothing could close it),
    closed at this visit, or closed but its statistics not computed yet (no worker, or a failed run)."""
    if round_ is None or (round_.closes_at is None and round_.status != Round.Status.CLOSED):
        return None
    deadline = moment_format(round_.closes_at, zone)
    if round_.status == Round.Status.OPEN:
        if not is_past(round_.closes_at):
            return None
        return DeadlineNotice(
            gettext(
                "Round %(number)s is past its deadline (%(deadline)s) but still open. Experts can no longer "
                "save or submit; close it to compute its statistics."
            )
            % {"number": round_.number, "deadline": deadline},
            is_warning=True,
        )
    parts = []
    if was_closed_now:
        parts.append(
            gettext("Round %(number)s passed its deadline on %(deadline)s and was closed just now.")
            % {"number": round_.number, "deadline": deadline}
        )
    if round_.status == Round.Status.CLOSED:
        since = moment_format(round_.closed_at, zone)
        parts.append(
            gettext(
                "Round %(number)s closed on %(since)s but its statistics are not computed yet: they are queued "
                "for a worker. If none is running (or the run failed), use “Compute the statistics”."
            )
            % {"number": round_.number, "since": since}
        )
    elif was_closed_now:
        parts.append(gettext("Its statistics are computed."))
    return DeadlineNotice(" ".join(parts), is_warning=round_.status == Round.Status.CLOSED) if parts else None
