"""The autosave: the questionnaire saves one item as the expert answers it, in at most four queries.

It is the hottest write of the platform (every rating an expert gives is one), so it reads
everything it needs in one query, under the locks of a save:

1. the ballot, its round, the round's study, the panelist (who the session names: the read doubles
   as the link check) and every item of the round with its dimensions, the ballot's ratings and the
   expert's open answers, ``FOR NO KEY UPDATE`` of the ballot and ``FOR SHARE`` of the round
   (PostgreSQL: see :mod:`surveys.services.ballots`);
2. the new and changed ratings and the revisions of both, in one statement (PostgreSQL: data-modifying
   CTEs; SQLite: a temporary view's trigger, :mod:`surveys.services.rating_write_sqlite`).

So an autosave takes four queries with BEGIN (SQLite's ``BEGIN IMMEDIATE``) and COMMIT, on both
databases. With persistent connections PostgreSQL plans the read once per connection (``_cursor``).
The session costs none: it is read from the cache (``SESSION_ENGINE``, cached_db). The rules of
what a save changes are those of ``ballot_save`` (:mod:`surveys.services.ballot_changes`); the
page's Save button, open answers and the API keep using ``answers_save``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, cast

from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from surveys.answer_rules import item_is_answered
from surveys.errors import DomainError
from surveys.models import Ballot, Dimension, Item, Panelist, Rating, Round, RoundItem, Study, Suggestion
from surveys.selectors import expert as reads
from surveys.services.ballot_changes import (
    DimensionShape,
    ItemShape,
    RatingInput,
    StoredRating,
    answers_planned,
    answers_write,
)
from surveys.services.ballots import check_panelist, round_not_open


class SessionEnded(DomainError):
    """The session's link no longer opens anything: re-issued, expired, revoked or withdrawn."""


class BallotNotFound(DomainError):
    """No such ballot of this expert (another expert's ballot is simply not found)."""


@dataclass(frozen=True)
class Autosaved:
    ballot_id: int
    answered: int  # items answered, after the save
    total: int  # items in the round


def _t(model: type) -> str:
    return connection.ops.quote_name(model._meta.db_table)  # type: ignore[attr-defined]


@cache
def _sql(vendor: str) -> str:
    """The one read (table names from the models; no value is ever formatted in: all are parameters)."""
    q = connection.ops.quote_name
    through = _t(Item.dimensions.through)
    lock = ""
    if connection.features.has_select_for_no_key_update:  # PostgreSQL; SQLite's IMMEDIATE serialises writes
        lock = " FOR NO KEY UPDATE OF b FOR SHARE OF r"
    return (
        "SELECT b.id, b.status, r.id, r.number, r.status, r.closes_at, r.study_id, s.time_zone,"  # noqa: S608
        " p.status, p.token_issued_at, p.consent_at, p.study_id,"
        " ri.id, it.code, it.kind, d.id, d.key, d.label, d.scale_min, d.scale_max, x.id, x.value, x.rationale, g.text"
        f" FROM {_t(Ballot)} b"
        f" JOIN {_t(Round)} r ON r.id = b.round_id"
        f" JOIN {_t(Study)} s ON s.id = r.study_id"
        f" JOIN {_t(Panelist)} p ON p.id = b.panelist_id"
        f" LEFT JOIN {_t(RoundItem)} ri ON ri.round_id = b.round_id"
        f" LEFT JOIN {_t(Item)} it ON it.id = ri.item_id"
        f" LEFT JOIN {through} idm ON idm.item_id = it.id"
        f" LEFT JOIN {_t(Dimension)} d ON d.id = idm.dimension_id"
        f" LEFT JOIN {_t(Rating)} x ON x.ballot_id = b.id AND x.round_item_id = ri.id AND x.dimension_id = d.id"
        f" LEFT JOIN {_t(Suggestion)} g ON it.kind = %s AND g.round_id = b.round_id AND g.panelist_id = b.panelist_id"
        " AND g.prompt_item_id = it.id AND g.kind = %s"
        f" WHERE b.id = %s AND b.panelist_id = %s ORDER BY ri.id, d.{q('order')}, d.id{lock}"
    )


def _moment(value: Any) -> datetime | None:
    """A timestamp as the ORM would give it: SQLite's raw rows hold text or naive UTC times."""
    moment = parse_datetime(value) if isinstance(value, str) else value
    if moment is not None and timezone.is_naive(moment):
        return timezone.make_aware(moment, UTC)
    return moment


@dataclass
class _Item:
    shape: ItemShape
    is_open: bool
    open_answer: str = ""
    rated: int = 0


@dataclass
class _Ballot:
    """The locked read, as the save needs it."""

    ballot: Ballot
    round: Round
    panelist: Panelist
    items: dict[int, _Item]
    existing: dict[tuple[int, int], StoredRating]


def _cursor() -> Any:
    """A cursor for the read. On PostgreSQL with persistent connections (``DELPHI_DB_CONN_MAX_AGE``),
    one that binds parameters on the server and prepares the statement: this ten-table join takes
    longer to plan than to run, and a prepared statement is planned once per connection, not per save
    (its first run sends the statement in the same call). Still one query, wrapped (and logged, as
    the SQL it ran) as Django's own cursors are; Django's cursors bind on the client, which cannot
    prepare."""
    if connection.vendor != "postgresql" or not connection.settings_dict["CONN_MAX_AGE"]:
        return connection.cursor()
    connection.ensure_connection()
    prepared, logged = _prepared_cursor_classes()
    cursor = prepared(connection.connection)
    return logged(cursor, connection) if connection.queries_logged else connection.make_cursor(cursor)


@cache
def _prepared_cursor_classes() -> tuple[type, type]:
    from django.db.backends.postgresql.base import ServerBindingCursor  # psycopg only on PostgreSQL
    from django.db.backends.utils import CursorDebugWrapper

    class Prepared(ServerBindingCursor):  # type: ignore[misc, valid-type]
        def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
            return super().execute(query, params, prepare=True)  # type: ignore[misc]

    class Logged(CursorDebugWrapper):
        """Logs the statement as it ran, values in (psycopg keeps no text of a prepared run)."""

        def execute(self, sql: Any, params: Any = None) -> Any:
            with self.debug_sql(self.db.ops.compose_sql(sql, params)):
                return super(CursorDebugWrapper, self).execute(sql, params)

    return Prepared, Logged


def _read(ballot_id: int, panelist_id: int) -> _Ballot | None:
    with _cursor() as cursor:
        cursor.execute(_sql(connection.vendor), [Item.Kind.OPEN, Suggestion.Kind.NEW_ITEM, ballot_id, panelist_id])
        rows = cursor.fetchall()
    if not rows:
        return None
    b_id, b_status, r_id, number, r_status, closes_at, study_id, time_zone, *rest = rows[0]
    p_status, issued_at, consent_at, p_study_id = rest[:4]
    round_ = Round(id=r_id, number=number, status=r_status, closes_at=_moment(closes_at), study_id=study_id)
    round_.study = Study(id=study_id, time_zone=time_zone)
    issued = cast(datetime, _moment(issued_at))  # a column that is never null
    panelist = Panelist(
        id=panelist_id, status=p_status, token_issued_at=issued, consent_at=_moment(consent_at), study_id=p_study_id
    )
    found = _Ballot(Ballot(id=b_id, status=b_status, round_id=r_id, panelist_id=panelist_id), round_, panelist, {}, {})
    for ri, code, kind, d_id, key, label, low, high, x_id, value, rationale, open_text in (r[12:] for r in rows):
        if ri is None:
            continue
        item = found.items.setdefault(ri, _Item(ItemShape(ri, code), is_open=kind == Item.Kind.OPEN))
        item.open_answer = item.open_answer or open_text or ""
        if d_id is not None:
            item.shape.dimensions.append(DimensionShape(d_id, key, label, low, high))
        if x_id is not None:
            item.rated += 1
            found.existing[(ri, d_id)] = StoredRating(x_id, value, rationale)
    return found


def _answered(items: Iterable[_Item]) -> int:
    return sum(
        item_is_answered(
            is_open=i.is_open, open_answer=i.open_answer, n_dimensions=len(i.shape.dimensions), n_rated=i.rated
        )
        for i in items
    )


def ballot_autosave(
    *,
    panelist_id: object,
    fingerprint: object,
    ballot_id: int,
    entries: Iterable[RatingInput],
    rationales: Mapping[int, str],
    language: str = "",
) -> Autosaved:
    """Save ratings and rationales of the session's expert into their ballot ``ballot_id``, all or none.

    ``panelist_id`` and ``fingerprint`` are what the session holds; the save is refused
    (``SessionEnded``) unless the session's link is still the expert's live link
    (``surveys.selectors.expert.session_link_is_live``). Then as ``ballot_save``: ``RoundNotOpen``
    once the round is closed or past its deadline, ``RatingError`` on a submitted ballot,
    ``BallotRefused`` naming every refused field. Returns the ballot's progress after the save.
    ``language``: the expert's (the session's, read without a query), recorded with each rationale.
    """
    if not isinstance(panelist_id, int):
        raise SessionEnded("This session names no expert.")
    entries = list(entries)
    with transaction.atomic():
        found = _read(ballot_id, panelist_id)
        if found is None:
            if reads.panelist_for_session(panelist_id, fingerprint) is None:
                raise SessionEnded("This session's link no longer opens anything.")
            raise BallotNotFound("Not found.")
        if not reads.session_link_is_live(found.panelist, fingerprint):
            raise SessionEnded("This session's link no longer opens anything.")
        if refused := round_not_open(found.round):
            raise refused
        check_panelist(found.panelist, found.round)
        named = {e.round_item_id for e in entries} | set(rationales)
        shapes = {pk: found.items[pk].shape for pk in named if pk in found.items}
        wanted = answers_planned(
            round_number=found.round.number,
            items=shapes,
            entries=entries,
            rationales=rationales,
            existing=found.existing,
            is_submitted=found.ballot.status == Ballot.Status.SUBMITTED,
        )
        created = answers_write(
            ballot_id=ballot_id, items=shapes, wanted=wanted, existing=found.existing, language=language
        )
        for round_item_id, _ in created:
            found.items[round_item_id].rated += 1
    return Autosaved(ballot_id=ballot_id, answered=_answered(found.items.values()), total=len(found.items))
