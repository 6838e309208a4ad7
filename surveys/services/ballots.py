"""An expert's ballot: autosave ratings, submit, reopen to revise. Every write is all or nothing.

A save (``ballot_save``, ``suggestion_submit`` and the autosave of :mod:`surveys.services.autosave`)
holds the round row ``FOR SHARE`` and its ballot row ``FOR NO KEY UPDATE`` (PostgreSQL): saves in a
round run side by side, two saves of one ballot one after the other, and the close, whose
conditional UPDATE needs the round row, waits for the saves in flight, while a save that comes after
it sees the round closed and is refused with a message. A submission shares the round too, except
in a live-feedback round, whose row it marks stale and so holds ``FOR UPDATE`` from the start. On
SQLite every write transaction begins IMMEDIATE, so writes run one at a time whatever the lock clause.

What a save changes, and its rules (one rationale per item, on its first rated dimension; a reason
needs a rating; revisions), live in :mod:`surveys.services.ballot_changes`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.db import connection, transaction
from django.utils import timezone

from surveys.answer_fields import rationale_field_name
from surveys.answer_rules import is_outside_band
from surveys.deadlines import is_past, moment_format
from surveys.errors import DomainError, RatingError
from surveys.expert_language import language_for
from surveys.models import Ballot, Panelist, Round, RoundItem, Study, Suggestion
from surveys.models.panel import UNUSABLE
from surveys.services.ballot_changes import (
    BallotRefused,
    DimensionShape,
    ItemShape,
    RatingInput,
    StoredRating,
    answers_planned,
    answers_write,
)

__all__ = [
    "BallotRefused",
    "RatingInput",  # re-exported: callers import them from here
    "RoundNotOpen",
    "ballot_reopen",
    "ballot_save",
    "ballot_start",
    "ballot_submit",
    "check_panelist",
    "items_missing_reason",
    "locked_open_round",
]


class RoundNotOpen(RatingError):
    """The round takes no more answers: closed, or past its deadline (``round`` says which)."""

    def __init__(self, message: str, round_: Round) -> None:
        self.round = round_
        super().__init__(message)


def round_not_open(round_: Round) -> RoundNotOpen | None:
    """Why ``round_`` refuses answers, or None while it is open and before its deadline: the deadline
    holds in every write path, with or without celery beat, even if nothing has closed the round yet.
    Reads the round's study (its time zone) only to word a refusal."""
    overdue = is_past(round_.closes_at)
    if round_.status == Round.Status.OPEN and not overdue:
        return None
    status = "closed" if round_.status == Round.Status.OPEN else round_.get_status_display().lower()
    when = moment_format(round_.closes_at, round_.study.time_zone) if overdue else ""
    passed = f" Its deadline passed on {when}." if overdue else ""
    return RoundNotOpen(f"Round {round_.number} is {status}; answers can no longer change.{passed}", round_)


def _round_locked(round_id: int, *, shared: bool) -> Round:
    if not shared:
        return Round.objects.select_for_update(of=("self",)).select_related("study").get(pk=round_id)
    # The ORM has no FOR SHARE; where the database has no row locks (SQLite) the clause is left out.
    lock = " FOR SHARE" if connection.features.has_select_for_update else ""
    table = connection.ops.quote_name(Round._meta.db_table)
    found = list(Round.objects.raw(f"SELECT * FROM {table} WHERE id = %s{lock}", [round_id]))  # noqa: S608
    if not found:
        raise Round.DoesNotExist(f"No round {round_id}.")
    return found[0]


def locked_open_round(round_id: int, *, shared: bool = True) -> Round:
    """The round, locked for the write: ``FOR SHARE`` for a save (``shared``), ``FOR UPDATE`` for a
    write that changes the round row itself. Refused (``RoundNotOpen``) once it is closed or its
    deadline has passed."""
    round_ = _round_locked(round_id, shared=shared)
    if refused := round_not_open(round_):
        raise refused
    return round_


def check_panelist(panelist: Panelist, round_: Round) -> None:
    if panelist.study_id != round_.study_id or panelist.status in UNUSABLE:
        raise DomainError("This invitation is not valid for this round.")
    if panelist.consent_at is None:
        raise DomainError("Please give your consent before answering.")


def ballot_for(*, panelist: Panelist, round: Round) -> Ballot:
    """The panelist's ballot in ``round`` (created the first time), its row locked for the write."""
    ballot, _ = Ballot.objects.select_for_update(no_key=True).get_or_create(round=round, panelist=panelist)
    return ballot


@transaction.atomic
def ballot_start(*, panelist: Panelist, round: Round) -> Ballot:
    """The panelist's ballot in an open round, created empty (draft) the first time."""
    round_ = locked_open_round(round.pk)
    check_panelist(panelist, round_)
    return ballot_for(panelist=panelist, round=round_)


def _item_shapes(round_: Round, ids: set[int]) -> dict[int, ItemShape]:
    """The round items a save names (an autosave names one): an id of another round is simply absent."""
    rows = (
        RoundItem.objects.filter(round=round_, pk__in=ids).select_related("item").prefetch_related("item__dimensions")
    )
    return {
        ri.pk: ItemShape(
            round_item_id=ri.pk,
            code=ri.item.code,
            dimensions=[
                DimensionShape(id=d.pk, key=d.key, label=d.label, scale_min=d.scale_min, scale_max=d.scale_max)
                for d in sorted(ri.item.dimensions.all(), key=lambda d: (d.order, d.pk))
            ],
        )
        for ri in rows
    }


@transaction.atomic
def ballot_save(
    *,
    panelist: Panelist,
    round: Round,
    entries: Iterable[RatingInput],
    rationales: Mapping[int, str] | None = None,
    language: str | None = None,
) -> Ballot:
    """Save answers into the panelist's ballot (created the first time). All are saved, or none and
    ``BallotRefused``.

    ``rationales`` maps a round item id to the item's one rationale; it overrides the rationale of
    that item's ``entries``. Each change of value or rationale is kept as a ``RatingRevision``;
    saving the same answer again writes nothing. A submitted ballot is read-only until the expert
    reopens it (``ballot_reopen``). ``Ballot.updated_at`` records the ballot's own changes (begun,
    submitted, reopened); each rating and revision dates its answer. ``language``: the one the expert
    writes in (default: theirs, ``expert_language.language_for``), recorded with each rationale.
    """
    round_ = locked_open_round(round.pk)
    check_panelist(panelist, round_)
    entries = list(entries)
    items = _item_shapes(round_, {entry.round_item_id for entry in entries} | set(rationales or {}))
    ballot = ballot_for(panelist=panelist, round=round_)
    existing = {
        (r.round_item_id, r.dimension_id): StoredRating(r.pk, r.value, r.rationale)
        for r in ballot.ratings.filter(round_item_id__in=list(items))
    }
    wanted = answers_planned(
        round_number=round_.number,
        items=items,
        entries=entries,
        rationales=rationales or {},
        existing=existing,
        is_submitted=ballot.status == Ballot.Status.SUBMITTED,
    )
    language = language if language is not None else language_for(panelist)
    answers_write(ballot_id=ballot.pk, items=items, wanted=wanted, existing=existing, language=language)
    return ballot


def items_missing_reason(ballot: Ballot, round_: Round | None = None) -> dict[int, str]:
    """Round item id -> code of each item rated outside the previous round's IQR with an empty rationale.

    Only an IQR the expert was shown counts (the previous round's whole-panel statistic with at least
    ``min_group_size`` valid ratings), read from the round row (``Round.reason_bands``); "can't
    answer" is never outside (``surveys.answer_rules.is_outside_band``).
    """
    from surveys.selectors.feedback import previous_iqr  # a read; imported here to keep services importable early

    bands = previous_iqr(round_ if round_ is not None else ballot.round)
    if not bands:
        return {}
    outside: dict[int, str] = {}
    explained: set[int] = set()
    for rating in ballot.ratings.select_related("round_item__item"):
        if rating.rationale.strip():
            explained.add(rating.round_item_id)
        if is_outside_band(rating.value, bands.get((rating.round_item_id, rating.dimension_id))):
            outside[rating.round_item_id] = rating.round_item.item.code
    return {pk: code for pk, code in sorted(outside.items(), key=lambda x: x[1]) if pk not in explained}


@transaction.atomic
def ballot_submit(*, panelist: Panelist, round: Round, notify: bool = True) -> Ballot:
    """Mark the ballot submitted. Refused while it holds no answer, or (``BallotRefused``, one message
    per item) while the study requires a reason for a rating outside the previous round's IQR and
    an item has none. With ``notify`` the expert is thanked by email once the submission commits
    (the demo's simulated panel is not)."""
    # With live feedback it marks the round row stale, which needs the row to itself: FOR UPDATE from
    # the start (taking it after FOR SHARE, two submissions could each wait for the other).
    round_ = locked_open_round(round.pk, shared=not round.is_live_feedback)
    check_panelist(panelist, round_)
    ballot = ballot_for(panelist=panelist, round=round_)
    has_open_answer = Suggestion.objects.filter(round=round_, panelist=panelist, prompt_item__isnull=False).exists()
    if not ballot.ratings.exists() and not has_open_answer:
        raise DomainError("Rate at least one item before submitting.")
    if round_.study.outside_iqr_reason == Study.OutsideIqrReason.REQUIRED:
        missing = items_missing_reason(ballot, round_)
        if missing:
            raise BallotRefused(
                {
                    rationale_field_name(pk): (
                        f"Item {code}: your rating lies outside the middle half of the panel's previous answers; "
                        "please give a reason, then submit again."
                    )
                    for pk, code in missing.items()
                }
            )
    ballot.move_to(Ballot.Status.SUBMITTED)
    ballot.submitted_at = timezone.now()
    ballot.save(update_fields=["status", "submitted_at", "updated_at"])
    if panelist.status == Panelist.Status.INVITED:
        Panelist.objects.filter(pk=panelist.pk).update(status=Panelist.Status.ACTIVE)
    from surveys.services.mail import on_ballot_submitted
    from surveys.services.queue import schedule_live_feedback

    if notify:
        on_ballot_submitted(ballot)
    schedule_live_feedback(round_)
    return ballot


@transaction.atomic
def ballot_reopen(*, panelist: Panelist, round: Round) -> Ballot:
    """Take a submitted ballot back to draft to revise it; only while the round is open."""
    round_ = locked_open_round(round.pk)
    check_panelist(panelist, round_)
    ballot = ballot_for(panelist=panelist, round=round_)
    ballot.move_to(Ballot.Status.DRAFT)
    ballot.submitted_at = None
    ballot.save(update_fields=["status", "submitted_at", "updated_at"])
    return ballot
