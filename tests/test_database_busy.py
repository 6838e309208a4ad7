"""A busy database is not an unreachable one (issue 12, item 1): each failure says what is true.

A write lock not granted within the busy timeout answers 503 "busy, try again in a few seconds"; a
dropped connection still answers "could not reach its database". Either way nothing was saved.
The real concurrency (saves queueing for SQLite's lock) is in tests/test_embedded_concurrency.py.
"""

from __future__ import annotations

import psycopg.errors
import pytest
from django.db import OperationalError
from django.test import Client

from tests.test_ballots import two_rounds
from tests.test_expert_views import begin
from tests.test_faults import answers, ballot_state, fail_on_rating_write, raise_operational_error

pytestmark = pytest.mark.django_db(transaction=True)


def raise_sqlite_lock_timeout() -> None:
    raise OperationalError("database is locked")


def raise_postgres_lock_timeout() -> None:
    try:
        raise psycopg.errors.LockNotAvailable("canceling statement due to lock timeout")
    except psycopg.errors.LockNotAvailable as exc:
        raise OperationalError(str(exc)) from exc  # as Django wraps the driver's error


@pytest.mark.parametrize("fail", [raise_sqlite_lock_timeout, raise_postgres_lock_timeout])
def test_a_lock_timeout_during_autosave_says_busy_try_again_not_unreachable(fail) -> None:  # type: ignore[no-untyped-def]
    setup = two_rounds()
    client = Client(raise_request_exception=False)
    url = begin(client, setup.me, setup.second)
    before = ballot_state(setup.me.pk)

    with fail_on_rating_write(fail):
        response = client.post(url + "autosave/", answers(setup), headers={"accept": "application/json"})

    assert response.status_code == 503
    message = response.json()["message"]
    assert "busy" in message and "try again in a few seconds" in message and "not saved" in message
    assert "could not reach" not in message
    assert response["Retry-After"] == "5"
    assert ballot_state(setup.me.pk) == before


def test_a_lock_timeout_on_the_save_button_shows_the_busy_page() -> None:
    setup = two_rounds()
    client = Client(raise_request_exception=False)
    url = begin(client, setup.me, setup.second)

    with fail_on_rating_write(raise_sqlite_lock_timeout):
        response = client.post(url, answers(setup))

    assert response.status_code == 503
    page = response.content.decode()
    assert "busy saving other answers" in page
    assert "could not reach" not in page
    assert response["Retry-After"]


def test_a_dropped_connection_still_says_the_database_could_not_be_reached() -> None:
    setup = two_rounds()
    client = Client(raise_request_exception=False)
    url = begin(client, setup.me, setup.second)

    with fail_on_rating_write(raise_operational_error):
        response = client.post(url + "autosave/", answers(setup), headers={"accept": "application/json"})

    assert response.status_code == 503
    message = response.json()["message"]
    assert "could not reach its database" in message and "not saved" in message
    assert "busy" not in message
    assert response["Retry-After"] == "10"
