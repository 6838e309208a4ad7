"""The autosave, the platform's hottest write: four queries at most for the whole request, through the
real view, with every promise of the session and the deadline kept (issue 19, "The hot path")."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.utils import timezone

from surveys.answer_fields import CANT_ANSWER
from surveys.models import Ballot, Panelist, Rating, RatingRevision, Round
from surveys.services.panel_roster import panelist_link_issue, panelist_revoke
from surveys.services.rounds import round_create, round_open
from surveys.services.withdrawal import panelist_withdraw
from tests.factories import consented_panel, small_study
from tests.services import require_postgres
from tests.test_expert_views import begin, ri

FIELD = "r{}-agreement"


def _autosave(client: Client, url: str, data: dict[str, str]) -> Any:
    return client.post(f"{url}autosave/", data, headers={"accept": "application/json"})


@pytest.fixture
def expert_ballot(client: Client) -> tuple[Round, Panelist, str]:
    study = small_study()
    round_ = round_open(round=round_create(study=study))
    me = consented_panel(study, ["A"])[0]
    return round_, me, begin(client, me, round_)


def _budget() -> int:
    """Every statement of the request, BEGIN and COMMIT included: the session costs none (cached), then
    one locked read and one write of the rating and its revision (PostgreSQL through data-modifying
    CTEs, SQLite through the trigger of a temporary view: ``surveys.services.rating_write_sqlite``)."""
    return 4


@pytest.mark.django_db(transaction=True)  # as in production: no test transaction, no savepoints in the count
def test_an_autosave_of_one_rating_takes_at_most_four_queries(
    client: Client, expert_ballot: Any, django_assert_max_num_queries: Any
) -> None:
    round_, me, url = expert_ballot
    c1 = ri(round_, "C1")
    with django_assert_max_num_queries(_budget()):  # a new rating
        first = _autosave(client, url, {FIELD.format(c1): "7"})
    with django_assert_max_num_queries(_budget()):  # a changed one
        second = _autosave(client, url, {FIELD.format(c1): "3"})
    with django_assert_max_num_queries(_budget()):  # the whole item, as the page's script posts it
        whole = _autosave(client, url, {FIELD.format(c1): "4", f"rationale-{c1}": "Clouds."})
    assert [r.status_code for r in (first, second, whole)] == [200, 200, 200]
    assert whole.json() == {"message": "Saved.", "answered": 1, "total": 3}
    rating = Rating.objects.get(ballot__panelist=me, round_item_id=c1)
    assert (rating.value, rating.rationale) == (4, "Clouds.")
    assert list(RatingRevision.objects.filter(rating=rating).values_list("value", flat=True)) == [7, 3, 4]


@pytest.mark.django_db
def test_the_autosave_answers_the_ballots_progress_after_the_save(client: Client, expert_ballot: Any) -> None:
    round_, _, url = expert_ballot
    r1 = ri(round_, "R1")
    assert _autosave(client, url, {f"r{r1}-agreement": "8"}).json()["answered"] == 0  # one of its two dimensions
    assert _autosave(client, url, {f"r{r1}-feasibility": "x"}).status_code == 400
    done = _autosave(client, url, {f"r{r1}-feasibility": CANT_ANSWER})
    assert (done.json()["answered"], done.json()["total"]) == (1, 3)
    again = _autosave(client, url, {f"r{r1}-feasibility": CANT_ANSWER})  # the same answer: nothing written
    assert again.json()["answered"] == 1
    assert RatingRevision.objects.filter(rating__round_item_id=r1).count() == 2


@pytest.mark.django_db
def test_the_autosave_refuses_what_the_save_button_refuses_and_keeps_nothing(
    client: Client, expert_ballot: Any
) -> None:
    round_, me, url = expert_ballot
    c1, r1 = ri(round_, "C1"), ri(round_, "R1")
    refused = _autosave(client, url, {FIELD.format(c1): "7", f"r{r1}-feasibility": "9"})
    assert refused.status_code == 400
    assert refused.json()["errors"] == {
        f"r{r1}-feasibility": "Item R1, Feasibility: 9 is outside the scale; choose 1 to 5, or can't answer."
    }
    assert not Rating.objects.filter(ballot__panelist=me).exists()  # C1's valid rating was not kept either
    other_round = _autosave(client, url, {"r999999-agreement": "7"})
    assert other_round.json()["errors"] == {"r999999-agreement": "Item #999999 is not part of round 1."}


@pytest.mark.django_db
def test_an_autosave_into_a_submitted_ballot_is_refused_until_it_is_reopened(
    client: Client, expert_ballot: Any
) -> None:
    round_, me, url = expert_ballot
    c1 = ri(round_, "C1")
    assert client.post(url, {FIELD.format(c1): "7", "action": "submit-anyway"}).status_code == 302
    refused = _autosave(client, url, {FIELD.format(c1): "2"})
    assert refused.status_code == 409
    assert refused.json()["message"] == "This ballot is submitted; reopen it to revise your answers."
    assert Rating.objects.get(ballot__panelist=me).value == 7


@pytest.mark.django_db
def test_another_experts_ballot_is_not_found_and_untouched(client: Client, expert_ballot: Any) -> None:
    round_, _, _ = expert_ballot
    other = consented_panel(round_.study, ["B"])[0]
    theirs = Ballot.objects.create(round=round_, panelist=other)
    response = _autosave(client, f"/e/ballots/{theirs.pk}/", {FIELD.format(ri(round_, "C1")): "7"})
    assert (response.status_code, response.json()) == (404, {"message": "Not found."})
    assert not theirs.ratings.exists()


def _ends_session(panelist: Panelist, how: str) -> None:
    if how == "new link":
        staff = get_user_model().objects.create_user("facilitator", password=None, is_staff=True)
        panelist_link_issue(panelist=panelist, actor=staff)
    elif how == "revoked":
        panelist_revoke(panelist=panelist, actor_label="test")
    elif how == "withdrawn":
        panelist_withdraw(panelist=panelist, delete_answers=False)
    else:
        Panelist.objects.filter(pk=panelist.pk).update(
            token_issued_at=timezone.now() - timedelta(days=settings.DELPHI_TOKEN_MAX_AGE_DAYS, seconds=1)
        )


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["new link", "revoked", "withdrawn", "expired"])
def test_an_autosave_from_a_session_whose_link_ended_saves_nothing(
    client: Client, expert_ballot: Any, how: str
) -> None:
    round_, me, url = expert_ballot
    _ends_session(me, how)
    response = _autosave(client, url, {FIELD.format(ri(round_, "C1")): "7"})
    assert response.status_code == 404 and "This link is not valid" in response.content.decode()
    assert not Rating.objects.filter(ballot__panelist=me).exists()


@pytest.mark.django_db
def test_an_autosave_without_a_session_says_it_ended(client: Client, expert_ballot: Any) -> None:
    round_, me, url = expert_ballot
    response = _autosave(Client(), url, {FIELD.format(ri(round_, "C1")): "7"})
    assert response.status_code == 404 and "Your session has ended" in response.json()["message"]
    assert not Rating.objects.filter(ballot__panelist=me).exists()


@pytest.mark.django_db
def test_an_autosave_after_the_deadline_is_refused_and_the_round_closes(client: Client, expert_ballot: Any) -> None:
    round_, me, url = expert_ballot
    Round.objects.filter(pk=round_.pk).update(closes_at=timezone.now() - timedelta(seconds=1))
    response = _autosave(client, url, {FIELD.format(ri(round_, "C1")): "7"})
    assert response.status_code == 409
    assert response.json()["message"].startswith("Round 1 is closed; answers can no longer change. Its deadline passed")
    assert not Rating.objects.filter(ballot__panelist=me).exists()
    assert Round.objects.get(pk=round_.pk).status != Round.Status.OPEN  # the first touch after it closed the round


@pytest.mark.django_db(transaction=True)
def test_with_persistent_connections_the_read_is_prepared_once_and_still_one_logged_query(
    client: Client, expert_ballot: Any, django_assert_max_num_queries: Any
) -> None:
    require_postgres()
    round_, me, url = expert_ballot
    c1 = ri(round_, "C1")
    connection.close()  # the next connection is opened persistent, as DELPHI_DB_CONN_MAX_AGE makes it
    max_age, connection.settings_dict["CONN_MAX_AGE"] = connection.settings_dict["CONN_MAX_AGE"], 60
    try:
        for value in ["1", "2", "3", "4", "5", "6", "7"]:
            with django_assert_max_num_queries(_budget()) as queries:
                assert _autosave(client, url, {FIELD.format(c1): value}).status_code == 200
            read = next(q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT b.id"))
            assert f"WHERE b.id = {Ballot.objects.get(panelist=me).pk} AND b.panelist_id = {me.pk}" in read
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT generic_plans + custom_plans FROM pg_prepared_statements WHERE statement LIKE %s",
                ["SELECT b.id%"],
            )
            assert cursor.fetchall() == [(7,)]  # one statement, prepared once, run by every save
    finally:
        connection.close()
        connection.settings_dict["CONN_MAX_AGE"] = max_age
    assert list(Rating.objects.filter(ballot__panelist=me).values_list("value", flat=True)) == [7]
    assert RatingRevision.objects.filter(rating__ballot__panelist=me).count() == 7
