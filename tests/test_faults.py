"""Faults during a save: the database connection drops while an expert's answers are being written.

The expert must get a clear page (or JSON for autosave) saying nothing was saved, and the ballot must
be exactly as before: no rating, rationale or revision of the failed save half in. The simulated
variant runs everywhere; the real one kills the PostgreSQL backend mid-transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.db import OperationalError, connection
from django.test import Client

from surveys.models import Rating, RatingRevision
from tests.services import require_postgres
from tests.test_ballots import two_rounds
from tests.test_expert_views import begin


def ballot_state(panelist_id: int) -> list[tuple[Any, ...]]:
    ratings = Rating.objects.filter(ballot__panelist_id=panelist_id).order_by("pk")
    revisions = RatingRevision.objects.filter(rating__ballot__panelist_id=panelist_id).order_by("pk")
    return [*ratings.values_list("pk", "value", "rationale"), *revisions.values_list("pk", "value", "rationale")]


@contextmanager
def fail_on_rating_write(fail: Callable[[], None]) -> Iterator[list[str]]:
    """Call ``fail`` at the first write to the ratings table, after other writes of the same save ran.

    On PostgreSQL the save writes ratings and revisions in one ``WITH ... INSERT`` statement, so a
    statement starting with WITH that names the ratings table is a write too."""
    seen: list[str] = []

    def wrapper(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        seen.append(sql)
        if sql.lstrip().upper().startswith(("INSERT", "UPDATE", "WITH")) and "surveys_rating" in sql:
            fail()
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield seen


def answers(setup: Any) -> dict[str, str]:
    """A whole-form save that changes two items, so a half-done save would be visible."""
    return {
        f"r{setup.ri('C2')}-agreement": "2",
        f"r{setup.ri('R1')}-agreement": "3",
        f"rationale-{setup.ri('R1')}": "Changed my mind.",
    }


def raise_operational_error() -> None:
    raise OperationalError("server closed the connection unexpectedly")


@pytest.mark.django_db(transaction=True)
def test_a_dropped_connection_during_the_save_button_shows_a_clear_page_and_keeps_the_ballot() -> None:
    setup = two_rounds()
    client = Client(raise_request_exception=False)
    url = begin(client, setup.me, setup.second)
    client.post(url, {f"r{setup.ri('C2')}-agreement": "7"})  # an earlier save that must survive
    before = ballot_state(setup.me.pk)
    assert before

    with fail_on_rating_write(raise_operational_error) as seen:
        response = client.post(url, answers(setup))

    assert any("surveys_rating" in sql for sql in seen)  # the failure struck inside the save
    assert response.status_code == 503
    assert "was not saved" in response.content.decode()
    assert response["Retry-After"]
    assert ballot_state(setup.me.pk) == before


@pytest.mark.django_db(transaction=True)
def test_a_dropped_connection_during_autosave_answers_json_the_page_script_shows() -> None:
    setup = two_rounds()
    client = Client(raise_request_exception=False)
    url = begin(client, setup.me, setup.second)
    before = ballot_state(setup.me.pk)

    with fail_on_rating_write(raise_operational_error):
        response = client.post(url + "autosave/", answers(setup), headers={"accept": "application/json"})

    assert response.status_code == 503
    assert "not saved" in response.json()["message"]
    assert ballot_state(setup.me.pk) == before


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_postgres_killing_the_backend_mid_save_leaves_the_ballot_as_it_was() -> None:
    require_postgres()
    setup = two_rounds()
    client = Client(raise_request_exception=False)
    url = begin(client, setup.me, setup.second)
    client.post(url, {f"r{setup.ri('C2')}-agreement": "7"})
    before = ballot_state(setup.me.pk)
    pid = connection.connection.info.backend_pid
    db = settings.DATABASES["default"]

    def kill_backend() -> None:
        # From a second connection, as an operator or a failover would: the request's own backend dies
        # with its transaction open, after the ballot's earlier writes of this save already ran.
        with psycopg.connect(
            host=db["HOST"],
            port=db["PORT"] or 5432,
            user=db["USER"],
            password=db["PASSWORD"] or None,
            dbname=db["NAME"],
            autocommit=True,
        ) as other:
            other.execute("SELECT pg_terminate_backend(%s)", [pid])

    with fail_on_rating_write(kill_backend):
        response = client.post(url, answers(setup))

    assert response.status_code == 503
    assert "was not saved" in response.content.decode()
    connection.close()  # the killed connection; the next query opens a fresh one
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
        assert cursor.fetchone() == (0,)  # the request's backend really was killed
    assert ballot_state(setup.me.pk) == before
