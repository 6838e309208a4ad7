"""SQLite: a save's new and changed ratings and their revisions in one statement.

PostgreSQL writes both tables in one ``WITH ... INSERT`` (``ballot_changes._write_in_one_statement``).
SQLite has no data-modifying CTE, so each connection gets a temporary view, ``surveys_rating_write``,
whose ``INSTEAD OF INSERT`` trigger writes the rating (a new row, or the change of the stored one
named by ``rating_id``) and its revision. One ``INSERT INTO surveys_rating_write`` is then one
statement that writes both, inside the save's transaction: all or nothing, as any statement.

The view and trigger live in the connection's ``temp`` schema (nothing in the migrations, nothing
another connection sees) and are made when the connection opens (``connection_created``) on a
database that has the ratings table, dropped before migrations and made again after them, or made at
the first write if none of these happened on the connection. Their columns come from
the models, so a column added to ``Rating`` or ``RatingRevision`` is written with its default, as
the ORM would. Only the save uses the view: every other write of ratings goes through the ORM.

A changed rating takes the save's language only when it carries one (a rewritten rationale; see
``ballot_changes.answers_write``), as PostgreSQL's statement does. A rating is "new" or "changed" as
the save read it under the write lock, which SQLite's ``BEGIN IMMEDIATE`` takes before that read:
no other save can write in between.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from django.db import connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created
from django.db.models import Field
from django.db.models.signals import post_migrate, pre_migrate

from surveys.models import Rating, RatingRevision

VIEW = "surveys_rating_write"
_UPDATED = ("value", "rationale", "updated_at")  # what a change rewrites (and its language, if given)


def _columns(fields: list[Field]) -> list[str]:
    return [str(f.column) for f in fields]


def _fields(model: type, *skip: str) -> list[Field]:
    return [f for f in model._meta.concrete_fields if f.name not in ("id", *skip)]  # type: ignore[attr-defined]


@cache
def _ddl() -> tuple[str, str]:
    q = connection.ops.quote_name
    rating, revision = _fields(Rating), _fields(RatingRevision, "rating")
    columns = ["rating_id", *(f"r_{f.column}" for f in rating), *(f"v_{f.column}" for f in revision)]
    view = (
        f"CREATE TEMP VIEW IF NOT EXISTS {VIEW} ({', '.join(columns)})"
        f" AS SELECT {', '.join(['NULL'] * len(columns))} WHERE 0"
    )
    rating_table, revision_table = q(Rating._meta.db_table), q(RatingRevision._meta.db_table)
    changes = ", ".join(f"{q(n)} = NEW.r_{n}" for n in _UPDATED)
    changes += f", {q('language')} = COALESCE(NULLIF(NEW.r_language, ''), {q('language')})"  # "" keeps it
    trigger = (
        f"CREATE TEMP TRIGGER IF NOT EXISTS {VIEW}_rows INSTEAD OF INSERT ON {VIEW} BEGIN"  # noqa: S608 - names only
        f" INSERT INTO {rating_table} ({', '.join(map(q, _columns(rating)))})"
        f" SELECT {', '.join(f'NEW.r_{f.column}' for f in rating)} WHERE NEW.rating_id IS NULL;"
        f" UPDATE {rating_table} SET {changes} WHERE id = NEW.rating_id;"
        f" INSERT INTO {revision_table} (rating_id, {', '.join(map(q, _columns(revision)))})"
        f" VALUES (COALESCE(NEW.rating_id, last_insert_rowid()), {', '.join(f'NEW.v_{f.column}' for f in revision)});"
        " END"
    )
    return view, trigger


def _install(sender: Any = None, *, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """Make the view and its trigger on a newly opened SQLite connection (``connection_created``),
    once the ratings table exists: SQLite checks a trigger's tables at every schema change, so a
    trigger naming a table not made yet would fail the migrations that make it."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = %s", [Rating._meta.db_table])
        if cursor.fetchone() is None:
            return
        for statement in _ddl():
            cursor.execute(statement)
    connection.rating_write_for = connection.connection  # type: ignore[attr-defined]


def _drop(sender: Any = None, *, using: str, **kwargs: Any) -> None:
    """Before migrations on a connection: they may remake the ratings table, which the trigger names."""
    db = connections[using]
    if db.vendor == "sqlite" and getattr(db, "rating_write_for", None) is db.connection is not None:
        with db.cursor() as cursor:
            cursor.execute(f"DROP TRIGGER IF EXISTS {VIEW}_rows")
            cursor.execute(f"DROP VIEW IF EXISTS {VIEW}")
        db.rating_write_for = None  # type: ignore[attr-defined]


def _after_migrate(sender: Any = None, *, using: str, **kwargs: Any) -> None:
    if connections[using].connection is not None:
        _install(connection=connections[using])


connection_created.connect(_install, dispatch_uid="surveys.rating_write_sqlite")
pre_migrate.connect(_drop, dispatch_uid="surveys.rating_write_sqlite")
post_migrate.connect(_after_migrate, dispatch_uid="surveys.rating_write_sqlite")


def _row(rating: Rating, rating_id: int | None, now: datetime) -> list[Any]:
    """The view's row of one rating: its columns as the ORM would insert them, then its revision's."""
    revision = RatingRevision(value=rating.value, rationale=rating.rationale, saved_at=now)
    return [
        rating_id,
        *(f.get_db_prep_save(getattr(rating, f.attname), connection) for f in _fields(Rating)),
        *(f.get_db_prep_save(getattr(revision, f.attname), connection) for f in _fields(RatingRevision, "rating")),
    ]


def write_in_one_statement(created: Sequence[Rating], changed: Sequence[Rating], now: datetime) -> None:
    """Insert ``created``, update ``changed`` and add a revision of each, in one statement."""
    rows = [_row(r, None, now) for r in created] + [_row(r, r.pk, now) for r in changed]
    if not rows:
        return
    if getattr(connection, "rating_write_for", None) is not connection.connection:
        _install(connection=connection)  # opened before this module was imported
    placeholders = ", ".join([f"({', '.join(['%s'] * len(rows[0]))})"] * len(rows))
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {VIEW} VALUES {placeholders}", [v for row in rows for v in row])  # noqa: S608
