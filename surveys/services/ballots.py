"""An expert's ballot: autosave ratings, submit, reopen to revise. Every write is all or nothing.

The round row is locked ``FOR UPDATE`` for the length of each write, so a close that races a save
either waits for it (the save is in) or wins first (the save is refused with a message).

An item has one rationale, whatever its number of dimensions. It is kept on the rating of the item's
first rated dimension (in dimension order) and the item's other ratings carry none, the same place
the demo and the reports read it from.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from surveys.answer_fields import field_name, rationale_field_name
from surveys.deadlines import is_past, moment_format
from surveys.errors import DomainError, RatingError
from surveys.models import Ballot, Dimension, Panelist, Rating, RatingRevision, Round, RoundItem, Study, Suggestion
from surveys.models.ballots import RATIONALE_MAX_LENGTH
from surveys.models.panel import UNUSABLE
from surveys.text_input import text_problem


@dataclass(frozen=True)
class RatingInput:
    """One posted answer: a round item's dimension, a value (None = can't answer), a rationale."""

    round_item_id: int
    dimension_key: str
    value: int | None
    rationale: str = ""


class BallotRefused(RatingError):
    """Some posted answers were refused; nothing in the ballot was changed. ``errors`` maps field to message."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(errors.values()))


def locked_open_round(round_id: int) -> Round:
    """The round, locked for the write. Refused once it is closed, and once its deadline has passed even
    if nothing has closed it yet: the deadline holds in every write path, with or without celery beat."""
    round_ = Round.objects.select_for_update().select_related("study").get(pk=round_id)
    overdue = is_past(round_.closes_at)
    if round_.status != Round.Status.OPEN or overdue:
        status = "closed" if round_.status == Round.Status.OPEN else round_.get_status_display().lower()
        when = moment_format(round_.closes_at, round_.study.time_zone)
        passed = f" Its deadline passed on {when}." if overdue else ""
        raise RatingError(f"Round {round_.number} is {status}; answers can no longer change.{passed}")
    return round_


def check_panelist(panelist: Panelist, round_: Round) -> None:
    if panelist.study_id != round_.study_id or panelist.status in UNUSABLE:
        raise DomainError("This invitation is not valid for this round.")
    if panelist.consent_at is None:
        raise DomainError("Please give your consent before answering.")


def ballot_for(*, panelist: Panelist, round: Round) -> Ballot:
    ballot, _ = Ballot.objects.get_or_create(round=round, panelist=panelist)
    return ballot


@transaction.atomic
def ballot_start(*, panelist: Panelist, round: Round) -> Ballot:
    """The panelist's ballot in an open round, created empty (draft) the first time."""
    round_ = locked_open_round(round.pk)
    check_panelist(panelist, round_)
    return ballot_for(panelist=panelist, round=round_)


def _round_items(round_: Round, ids: set[int]) -> dict[int, RoundItem]:
    """The round items a save names (an autosave names one): an id of another round is simply absent."""
    rows = (
        RoundItem.objects.filter(round=round_, pk__in=ids).select_related("item").prefetch_related("item__dimensions")
    )
    return {ri.pk: ri for ri in rows}


def _too_long(code: str, text: str) -> str | None:
    """Why a rationale cannot be kept: over the limit, or not storable text (a NUL character, which
    PostgreSQL refuses and SQLite would keep; the forms refuse it first, this holds for every caller)."""
    if len(text) > RATIONALE_MAX_LENGTH:
        return f"Item {code}: the rationale has {len(text)} characters; the limit is {RATIONALE_MAX_LENGTH}."
    if problem := text_problem(text):
        return f"Item {code}: the rationale {problem}."
    return None


def _validated(
    round_: Round, round_items: Mapping[int, RoundItem], entries: Iterable[RatingInput], errors: dict[str, str]
) -> list[tuple[RoundItem, Dimension, RatingInput]]:
    good = []
    for entry in entries:
        key = field_name(entry.round_item_id, entry.dimension_key)
        round_item = round_items.get(entry.round_item_id)
        if round_item is None:
            errors[key] = f"Item #{entry.round_item_id} is not part of round {round_.number}."
            continue
        code = round_item.item.code
        dims = {d.key: d for d in round_item.item.dimensions.all()}
        dimension = dims.get(entry.dimension_key)
        if dimension is None:
            errors[key] = f"Item {code} is not rated on '{entry.dimension_key}'."
            continue
        if entry.value is not None and not dimension.scale_min <= entry.value <= dimension.scale_max:
            errors[key] = (
                f"Item {code}, {dimension.label}: {entry.value} is outside the scale; "
                f"choose {dimension.scale_min} to {dimension.scale_max}, or can't answer."
            )
            continue
        if message := _too_long(code, entry.rationale):
            errors[key] = message
            continue
        good.append((round_item, dimension, entry))
    return good


Answer = tuple[int | None, str]  # (value, rationale)


def _place_rationales(
    round_: Round,
    round_items: Mapping[int, RoundItem],
    rationales: Mapping[int, str],
    wanted: dict[tuple[int, int], Answer],
    existing: Mapping[tuple[int, int], Rating],
    errors: dict[str, str],
) -> None:
    """Put each item's rationale on its first rated dimension and clear it on the others (in ``wanted``)."""
    for round_item_id, raw in rationales.items():
        key = rationale_field_name(round_item_id)
        round_item = round_items.get(round_item_id)
        if round_item is None:
            errors[key] = f"Item #{round_item_id} is not part of round {round_.number}."
            continue
        code, text = round_item.item.code, raw.strip()
        if message := _too_long(code, raw):
            errors[key] = message
            continue
        rated = []
        for dimension in round_item.item.dimensions.all():
            cell = (round_item_id, dimension.pk)
            if cell in wanted:
                rated.append((cell, wanted[cell][0]))
            elif cell in existing:
                rated.append((cell, existing[cell].value))
        if not rated:
            if text:  # refused, never dropped: the page shows the text again with this message beside it
                errors[key] = f"Item {code}: choose a rating (or can't answer) to save this reason."
            continue
        for position, (cell, value) in enumerate(rated):
            wanted[cell] = (value, text if position == 0 else "")


@transaction.atomic
def ballot_save(
    *,
    panelist: Panelist,
    round: Round,
    entries: Iterable[RatingInput],
    rationales: Mapping[int, str] | None = None,
) -> Ballot:
    """Save (autosave) answers into the panelist's ballot. All are saved, or none and ``BallotRefused``.

    ``rationales`` maps a round item id to the item's one rationale; it overrides the rationale of
    that item's ``entries`` (see the module docstring for where it is kept). Each change of value or
    rationale is kept as a ``RatingRevision``; saving the same answer again writes nothing. A
    submitted ballot is read-only until the expert reopens it (``ballot_reopen``).
    """
    round_ = locked_open_round(round.pk)
    check_panelist(panelist, round_)
    entries = list(entries)
    named = {entry.round_item_id for entry in entries} | set(rationales or {})
    round_items = _round_items(round_, named)
    errors: dict[str, str] = {}
    checked = _validated(round_, round_items, entries, errors)
    ballot = ballot_for(panelist=panelist, round=round_)
    if ballot.status == Ballot.Status.SUBMITTED:
        raise RatingError("This ballot is submitted; reopen it to revise your answers.")
    named_ratings = ballot.ratings.filter(round_item_id__in=list(round_items))
    existing = {(r.round_item_id, r.dimension_id): r for r in named_ratings}
    wanted: dict[tuple[int, int], Answer] = {
        (ri.pk, dim.pk): (entry.value, entry.rationale.strip()) for ri, dim, entry in checked
    }
    _place_rationales(round_, round_items, rationales or {}, wanted, existing, errors)
    if errors:
        raise BallotRefused(errors)
    dimensions = {d.pk: d for ri in round_items.values() for d in ri.item.dimensions.all()}
    created: list[Rating] = []
    changed: list[Rating] = []
    now = timezone.now()
    for (round_item_id, dimension_id), (value, rationale) in wanted.items():
        rating = existing.get((round_item_id, dimension_id))
        if rating is None:
            dimension = dimensions[dimension_id]
            created.append(
                Rating(
                    ballot=ballot,
                    round_item_id=round_item_id,
                    dimension=dimension,
                    value=value,
                    rationale=rationale,
                    scale_min=dimension.scale_min,
                    scale_max=dimension.scale_max,
                )
            )
        elif (rating.value, rating.rationale) != (value, rationale):
            rating.value, rating.rationale, rating.updated_at = value, rationale, now
            changed.append(rating)
    _insert_ratings(created)
    Rating.objects.bulk_update(changed, ["value", "rationale", "updated_at"])  # bulk_update skips auto_now
    RatingRevision.objects.bulk_create(
        RatingRevision(rating=r, value=r.value, rationale=r.rationale) for r in [*created, *changed]
    )
    ballot.save(update_fields=["updated_at"])
    return ballot


def _insert_ratings(ratings: list[Rating]) -> None:
    """Insert new ratings in one statement where the database hands back their ids (PostgreSQL, SQLite
    3.35 and later), which their revisions need; one by one elsewhere."""
    if connection.features.can_return_rows_from_bulk_insert:
        Rating.objects.bulk_create(ratings)
        return
    for rating in ratings:
        rating.save(force_insert=True)


def items_missing_reason(ballot: Ballot) -> dict[int, str]:
    """Round item id -> code of each item rated outside the previous round's IQR with an empty rationale.

    Only an IQR the expert was shown counts (the previous round's whole-panel statistic with at least
    ``min_group_size`` valid ratings); "can't answer" is never outside.
    """
    from surveys.selectors.feedback import previous_iqr  # a read; imported here to keep services importable early

    bands = previous_iqr(ballot.round)
    if not bands:
        return {}
    outside: dict[int, str] = {}
    explained: set[int] = set()
    for rating in ballot.ratings.select_related("round_item__item"):
        if rating.rationale.strip():
            explained.add(rating.round_item_id)
        band = bands.get((rating.round_item_id, rating.dimension_id))
        if band is not None and rating.value is not None and not band[0] <= rating.value <= band[1]:
            outside[rating.round_item_id] = rating.round_item.item.code
    return {pk: code for pk, code in sorted(outside.items(), key=lambda x: x[1]) if pk not in explained}


@transaction.atomic
def ballot_submit(*, panelist: Panelist, round: Round, notify: bool = True) -> Ballot:
    """Mark the ballot submitted. Refused while it holds no answer, or (``BallotRefused``, one message
    per item) while the study requires a reason for a rating outside the previous round's IQR and
    an item has none. With ``notify`` the expert is thanked by email once the submission commits
    (the demo's simulated panel is not)."""
    round_ = locked_open_round(round.pk)
    check_panelist(panelist, round_)
    ballot = ballot_for(panelist=panelist, round=round_)
    has_open_answer = Suggestion.objects.filter(round=round_, panelist=panelist, prompt_item__isnull=False).exists()
    if not ballot.ratings.exists() and not has_open_answer:
        raise DomainError("Rate at least one item before submitting.")
    if round_.study.outside_iqr_reason == Study.OutsideIqrReason.REQUIRED:
        missing = items_missing_reason(ballot)
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
