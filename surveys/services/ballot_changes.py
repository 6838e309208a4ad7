"""What a save changes in a ballot, worked out from plain values, then written in as few statements as it can.

Both ways of saving use it: ``ballot_save`` (the Save button, the API, the demo), which loads the
round's items with the ORM, and the autosave (``surveys.services.autosave``), which reads them with
the ballot in one locked query. So the rules are the same for both:

- every posted value lies on its dimension's scale, every item and dimension belongs to the round;
- an item has one rationale, kept on the rating of its first rated dimension (in dimension order),
  and its other ratings carry none, where the demo and the reports read it from;
- a reason for an item with no rating is refused, never dropped;
- saving the same answer again writes nothing; every change is kept as a ``RatingRevision``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import F
from django.utils import timezone

from surveys.answer_fields import field_name, rationale_field_name
from surveys.errors import RatingError
from surveys.models import Rating, RatingRevision
from surveys.models.ballots import RATIONALE_MAX_LENGTH
from surveys.services import rating_write_sqlite
from surveys.text_input import text_problem

Cell = tuple[int, int]  # (round item id, dimension id)
Answer = tuple[int | None, str]  # (value, rationale)


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


@dataclass(frozen=True)
class DimensionShape:
    id: int
    key: str
    label: str
    scale_min: int
    scale_max: int


@dataclass
class ItemShape:
    """A round item as a save sees it: its code and its dimensions, in dimension order."""

    round_item_id: int
    code: str
    dimensions: list[DimensionShape] = field(default_factory=list)


@dataclass(frozen=True)
class StoredRating:
    id: int
    value: int | None
    rationale: str


def _too_long(code: str, text: str) -> str | None:
    """Why a rationale cannot be kept: over the limit, or not storable text (a NUL character, which
    PostgreSQL refuses and SQLite would keep; the forms refuse it first, this holds for every caller)."""
    if len(text) > RATIONALE_MAX_LENGTH:
        return f"Item {code}: the rationale has {len(text)} characters; the limit is {RATIONALE_MAX_LENGTH}."
    if problem := text_problem(text):
        return f"Item {code}: the rationale {problem}."
    return None


def _validated(
    round_number: int, items: Mapping[int, ItemShape], entries: Iterable[RatingInput], errors: dict[str, str]
) -> dict[Cell, Answer]:
    good: dict[Cell, Answer] = {}
    for entry in entries:
        key = field_name(entry.round_item_id, entry.dimension_key)
        item = items.get(entry.round_item_id)
        if item is None:
            errors[key] = f"Item #{entry.round_item_id} is not part of round {round_number}."
            continue
        dimension = next((d for d in item.dimensions if d.key == entry.dimension_key), None)
        if dimension is None:
            errors[key] = f"Item {item.code} is not rated on '{entry.dimension_key}'."
            continue
        if entry.value is not None and not dimension.scale_min <= entry.value <= dimension.scale_max:
            errors[key] = (
                f"Item {item.code}, {dimension.label}: {entry.value} is outside the scale; "
                f"choose {dimension.scale_min} to {dimension.scale_max}, or can't answer."
            )
            continue
        if message := _too_long(item.code, entry.rationale):
            errors[key] = message
            continue
        good[(item.round_item_id, dimension.id)] = (entry.value, entry.rationale.strip())
    return good


def _place_rationales(
    round_number: int,
    items: Mapping[int, ItemShape],
    rationales: Mapping[int, str],
    wanted: dict[Cell, Answer],
    existing: Mapping[Cell, StoredRating],
    errors: dict[str, str],
) -> None:
    """Put each item's rationale on its first rated dimension and clear it on the others (in ``wanted``)."""
    for round_item_id, raw in rationales.items():
        key = rationale_field_name(round_item_id)
        item = items.get(round_item_id)
        if item is None:
            errors[key] = f"Item #{round_item_id} is not part of round {round_number}."
            continue
        text = raw.strip()
        if message := _too_long(item.code, raw):
            errors[key] = message
            continue
        rated = []
        for dimension in item.dimensions:
            cell = (round_item_id, dimension.id)
            if cell in wanted:
                rated.append((cell, wanted[cell][0]))
            elif cell in existing:
                rated.append((cell, existing[cell].value))
        if not rated:
            if text:  # refused, never dropped: the page shows the text again with this message beside it
                errors[key] = f"Item {item.code}: choose a rating (or can't answer) to save this reason."
            continue
        for position, (cell, value) in enumerate(rated):
            wanted[cell] = (value, text if position == 0 else "")


def answers_planned(
    *,
    round_number: int,
    items: Mapping[int, ItemShape],
    entries: Iterable[RatingInput],
    rationales: Mapping[int, str],
    existing: Mapping[Cell, StoredRating],
    is_submitted: bool,
) -> dict[Cell, Answer]:
    """Every cell the save sets, with its value and rationale. ``items`` are the round items the save
    names (an id of another round is simply absent); ``existing`` their stored ratings.

    Refused (``BallotRefused``, naming every field) if anything is wrong, and first of all
    (``RatingError``) on a submitted ballot, which is read-only until the expert reopens it.
    """
    errors: dict[str, str] = {}
    wanted = _validated(round_number, items, entries, errors)
    if is_submitted:
        raise RatingError("This ballot is submitted; reopen it to revise your answers.")
    _place_rationales(round_number, items, rationales, wanted, existing, errors)
    if errors:
        raise BallotRefused(errors)
    return wanted


def answers_write(
    *,
    ballot_id: int,
    items: Mapping[int, ItemShape],
    wanted: Mapping[Cell, Answer],
    existing: Mapping[Cell, StoredRating],
    language: str = "",
) -> list[Cell]:
    """Write what changed and keep a revision of each change; nothing when nothing changed. Returns
    the cells that now hold a rating and did not before. ``language``: the expert's, recorded on each new
    rating and on each rating whose rationale this save changes (the language it is written in).

    PostgreSQL takes it all in one statement (new ratings, changed ones and their revisions, through
    data-modifying CTEs), and so does SQLite (through a view's trigger: ``rating_write_sqlite``);
    elsewhere new ratings, changed ones and revisions take one statement each.
    """
    dimensions = {d.id: d for item in items.values() for d in item.dimensions}
    created: list[Rating] = []
    changed: list[Rating] = []
    now = timezone.now()
    for (round_item_id, dimension_id), (value, rationale) in wanted.items():
        stored = existing.get((round_item_id, dimension_id))
        if stored is None:
            dimension = dimensions[dimension_id]
            created.append(
                Rating(
                    ballot_id=ballot_id,
                    round_item_id=round_item_id,
                    dimension_id=dimension_id,
                    value=value,
                    rationale=rationale,
                    scale_min=dimension.scale_min,
                    scale_max=dimension.scale_max,
                    language=language,
                    updated_at=now,
                )
            )
        elif (stored.value, stored.rationale) != (value, rationale):
            # a rewritten rationale is in this save's language; "" keeps the rating's language
            written_in = language if rationale and stored.rationale != rationale else ""
            changed.append(Rating(pk=stored.id, value=value, rationale=rationale, language=written_in, updated_at=now))
    if created or changed:
        if connection.vendor == "postgresql":
            _write_in_one_statement(created, changed, now)
        elif connection.vendor == "sqlite":
            rating_write_sqlite.write_in_one_statement(created, changed, now)
        else:
            _insert_ratings(created)
            for r in changed:  # "" keeps the rating's language
                r.language = r.language or F("language")
            fields = ["value", "rationale", "language", "updated_at"]  # bulk_update skips auto_now
            Rating.objects.bulk_update(changed, fields)
            RatingRevision.objects.bulk_create(
                RatingRevision(rating_id=r.pk, value=r.value, rationale=r.rationale) for r in [*created, *changed]
            )
    return [(r.round_item_id, r.dimension_id) for r in created]


def _write_in_one_statement(created: list[Rating], changed: list[Rating], now: datetime) -> None:
    """PostgreSQL: insert ``created``, update ``changed`` and insert a revision of each, in one statement.
    Only table names and placeholders are formatted into it; every value is a parameter.

    Each write is checked against the row as it is then, not as the caller read it: the autosave reads
    in one statement, and a save of the same ballot it waited for may have committed since that
    statement's snapshot. So a rating "new" to the caller but inserted meanwhile is updated instead
    (no duplicate), and a rating already holding the wanted answer gets no revision."""
    rating, revision = Rating._meta.db_table, RatingRevision._meta.db_table
    parts: list[str] = []
    sources: list[str] = []
    params: list[Any] = []
    if created:
        rows = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(created))
        parts.append(
            f"new_rows AS (INSERT INTO {rating} (ballot_id, round_item_id, dimension_id, value, scale_min,"  # noqa: S608
            f" scale_max, rationale, language, updated_at) VALUES {rows}"
            " ON CONFLICT (ballot_id, round_item_id, dimension_id)"
            " DO UPDATE SET value = EXCLUDED.value, rationale = EXCLUDED.rationale, updated_at = EXCLUDED.updated_at"
            f" WHERE ({rating}.value, {rating}.rationale) IS DISTINCT FROM (EXCLUDED.value, EXCLUDED.rationale)"
            " RETURNING id, value, rationale)"
        )
        for r in created:
            params += [r.ballot_id, r.round_item_id, r.dimension_id, r.value, r.scale_min, r.scale_max]
            params += [r.rationale, r.language, now]
        sources.append("SELECT id, value, rationale, %s FROM new_rows")
    if changed:
        rows = ", ".join(["(%s::bigint, %s::smallint, %s::text, %s::text)"] * len(changed))
        parts.append(
            f"changed_rows AS (UPDATE {rating} AS x SET value = v.value, rationale = v.rationale,"  # noqa: S608
            " language = COALESCE(NULLIF(v.language, ''), x.language),"
            f" updated_at = %s FROM (VALUES {rows}) AS v (id, value, rationale, language) WHERE x.id = v.id"
            " AND (x.value, x.rationale) IS DISTINCT FROM (v.value, v.rationale) RETURNING x.id, x.value, x.rationale)"
        )
        params += [now, *(v for r in changed for v in (r.pk, r.value, r.rationale, r.language))]
        sources.append("SELECT id, value, rationale, %s FROM changed_rows")
    params += [now] * len(sources)
    sql = (
        f"WITH {', '.join(parts)} INSERT INTO {revision} (rating_id, value, rationale, saved_at) "
        + " UNION ALL ".join(sources)
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _insert_ratings(ratings: list[Rating]) -> None:
    """Insert new ratings in one statement where the database hands back their ids (SQLite 3.35 and
    later), which their revisions need; one by one elsewhere."""
    if not ratings:
        return
    if connection.features.can_return_rows_from_bulk_insert:
        Rating.objects.bulk_create(ratings)
        return
    for rating in ratings:
        rating.save(force_insert=True)
