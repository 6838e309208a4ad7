"""``python manage.py round open|close|next STUDY_SLUG``: the round lifecycle without a browser."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from surveys.deadlines import deadline_parse, moment_format, zone_info
from surveys.errors import DomainError
from surveys.models import Round, Study
from surveys.services.mail import invitations_outcome
from surveys.services.queue import runs_inline
from surveys.services.rounds import round_close, round_create, round_next, round_open

ACTOR = "command"


def _deadline(text: str, study: Study) -> datetime:
    """``--closes-at``: an instant when it carries an offset, else a wall time in the study's zone."""
    try:
        return deadline_parse(text, study.time_zone)
    except DomainError as exc:
        raise CommandError(f"--closes-at: {exc}", returncode=2) from exc


def _until(closes_at: datetime | None, typed: datetime | None, study: Study) -> str:
    """`` until 16 Dec 2026, 17:00 UTC (2026-12-16 18:00+01:00 as given)``: the study's zone, and the
    time as typed when it named another offset, so the echo can be checked against the input."""
    if closes_at is None:
        return " (no deadline)"
    text = f" until {moment_format(closes_at, study.time_zone)}"
    if typed is not None and typed.utcoffset() != closes_at.astimezone(zone_info(study.time_zone)).utcoffset():
        text += f" ({typed.isoformat(sep=' ', timespec='minutes')} as given)"
    return text


class Command(BaseCommand):
    help = (
        "open: open the study's draft round (creating round 1 with every item if there is no round yet); "
        "close: close its open round (its statistics follow); next: create the next round as a draft from "
        "the last aggregated one (items without consensus carry forward). Exits 2 when the move is not allowed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["open", "close", "next"])
        parser.add_argument("study_slug")
        parser.add_argument(
            "--closes-at",
            help="Deadline, for open and next: ISO 8601, e.g. 2026-12-16T18:00+01:00; without an offset it is "
            "read in the study's time zone.",
        )
        parser.add_argument(
            "--invite",
            action="store_true",
            help="With open: email the invitations as the round opens (each gets a new link); sent here in the "
            "embedded default, queued for a worker when a broker is set.",
        )

    def handle(
        self,
        *args: Any,
        action: str,
        study_slug: str,
        closes_at: str | None = None,
        invite: bool = False,
        **options: Any,
    ) -> None:
        study = Study.objects.filter(slug=study_slug).first()
        if study is None:
            raise CommandError(f"There is no study '{study_slug}'.", returncode=2)
        deadline = _deadline(closes_at, study) if closes_at else None
        invite = invite and action == "open"
        run = partial(self._open, invite=invite) if invite else getattr(self, f"_{action}")
        try:
            message = run(study, deadline)
        except DomainError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        self.stdout.write(self.style.SUCCESS(message))
        if invite:
            self._invitations(study.rounds.get(status=Round.Status.OPEN))

    def _invitations(self, round_: Round) -> None:
        """Say what became of the invitations the opening queued: in the embedded default they were
        sent in this process as it committed, so the log tells; with a broker a worker sends them."""
        if not runs_inline():
            self.stdout.write(f"Invitations for round {round_.number} are queued; a worker sends them.")
            return
        outcome = invitations_outcome(round=round_)
        self.stdout.write(f"Invitations for round {round_.number}: {outcome.describe()}.")
        if outcome.failed:
            raise CommandError(
                "Some invitations failed; send them again from the dashboard (nobody is invited twice).",
                returncode=1,
            )

    def _open(self, study: Study, deadline: datetime | None, *, invite: bool = False) -> str:
        latest = study.rounds.order_by("-number").first()
        if latest is None:
            latest = round_create(study=study, actor_label=ACTOR)
        elif latest.status != Round.Status.DRAFT:
            raise DomainError(
                f"Round {latest.number} of '{study.slug}' is {latest.status}; "
                "create the next round with `round next` before opening it."
            )
        opened = round_open(round=latest, closes_at=deadline, actor_label=ACTOR, invite=invite)
        until = _until(opened.closes_at, deadline, study)
        return f"Round {opened.number} of '{study.slug}' is open{until} with {opened.round_items.count()} item(s)."

    def _close(self, study: Study, deadline: datetime | None) -> str:
        current = study.rounds.filter(status=Round.Status.OPEN).first()
        if current is None:
            raise DomainError(f"Study '{study.slug}' has no open round to close.")
        closed = round_close(round=current, actor_label=ACTOR)
        closed.refresh_from_db()  # in the embedded default the aggregation has run by now
        if closed.status == Round.Status.AGGREGATED:
            return f"Round {closed.number} of '{study.slug}' is closed and aggregated."
        return f"Round {closed.number} of '{study.slug}' is closed; its statistics are queued for a worker."

    def _next(self, study: Study, deadline: datetime | None) -> str:
        created = round_next(study=study, closes_at=deadline, actor_label=ACTOR)
        codes = ", ".join(created.round_items.order_by("order").values_list("item__code", flat=True))
        closing = f" closing on {moment_format(created.closes_at, study.time_zone)}," if created.closes_at else ""
        return f"Round {created.number} of '{study.slug}' is a draft{closing} with {codes}; open it with `round open`."
