"""Saves share the round, and still cannot race its close (issue 19, "The hot path"), on PostgreSQL with
real connections in threads: the autosave holds the round ``FOR SHARE``, so autosaves in a round do not
wait for each other, while the close's conditional UPDATE waits for those in flight and a save after
it finds the round closed. The submit-vs-close races are in tests/test_round_lifecycle.py."""

from __future__ import annotations

import threading

import pytest
from django.db import transaction

from surveys.errors import RatingError
from surveys.models import Ballot, Panelist, Rating, Round
from surveys.selectors.expert import link_fingerprint
from surveys.services.autosave import Autosaved, ballot_autosave
from surveys.services.ballots import RatingInput, ballot_start, ballot_submit
from surveys.services.rounds import round_close
from tests.services import require_postgres
from tests.test_round_lifecycle import _in_thread, _race_setup

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _autosave(panelist: Panelist, ballot: Ballot, entries: list[RatingInput]) -> Autosaved:
    return ballot_autosave(
        panelist_id=panelist.pk,
        fingerprint=link_fingerprint(panelist),
        ballot_id=ballot.pk,
        entries=entries,
        rationales={},
    )


def _begun(round_: Round, panel: list[Panelist]) -> list[Ballot]:
    return [ballot_start(panelist=p, round=round_) for p in panel]


def _holding(target, results: dict, key: str) -> tuple[threading.Thread, threading.Event, threading.Event]:  # type: ignore[no-untyped-def,type-arg]
    """Run ``target`` in a transaction kept open (its locks held) until the second event is set."""
    done, may_commit = threading.Event(), threading.Event()

    def run() -> object:
        with transaction.atomic():
            outcome = target()
            done.set()
            may_commit.wait(10)
            return outcome

    return _in_thread(run, results, key), done, may_commit


def test_an_autosave_holding_the_round_when_the_close_arrives_is_in() -> None:
    require_postgres()
    round_, (panelist, *_), entries = _race_setup()
    (ballot,) = _begun(round_, [panelist])
    results: dict[str, object] = {}
    saving, saved, may_commit = _holding(lambda: _autosave(panelist, ballot, entries), results, "save")
    assert saved.wait(10)
    closing = _in_thread(lambda: round_close(round=round_, aggregate=False), results, "close")
    closing.join(0.5)
    assert closing.is_alive(), "the close must wait for the autosave in flight"
    may_commit.set()
    saving.join(10)
    closing.join(10)

    assert isinstance(results["save"], Autosaved) and isinstance(results["close"], Round)
    assert ballot.ratings.count() == len(entries)
    assert Round.objects.get(pk=round_.pk).status == Round.Status.CLOSED


def test_an_autosave_arriving_while_the_close_commits_is_refused_and_saves_nothing() -> None:
    require_postgres()
    round_, (panelist, *_), entries = _race_setup()
    (ballot,) = _begun(round_, [panelist])
    results: dict[str, object] = {}
    closing, closed, may_commit = _holding(lambda: round_close(round=round_, aggregate=False), results, "close")
    assert closed.wait(10)
    saving = _in_thread(lambda: _autosave(panelist, ballot, entries), results, "save")
    saving.join(0.5)
    assert saving.is_alive(), "the autosave must wait for the close's lock"
    may_commit.set()
    closing.join(10)
    saving.join(10)

    refused = results["save"]
    assert isinstance(refused, RatingError)
    assert str(refused) == "Round 1 is closed; answers can no longer change."
    assert not Rating.objects.filter(ballot__round=round_).exists()


def test_autosaves_of_different_experts_in_one_round_do_not_wait_for_each_other() -> None:
    require_postgres()
    round_, (first, second, _), entries = _race_setup()
    mine, theirs = _begun(round_, [first, second])
    results: dict[str, object] = {}
    holding, saved, may_commit = _holding(lambda: _autosave(first, mine, entries), results, "first")
    assert saved.wait(10)
    other = _in_thread(lambda: _autosave(second, theirs, entries), results, "second")
    other.join(5)
    try:
        assert not other.is_alive(), "a save must not wait for another expert's save in the same round"
        assert isinstance(results["second"], Autosaved)
    finally:
        may_commit.set()
        holding.join(10)
        other.join(10)
    assert theirs.ratings.count() == mine.ratings.count() == len(entries)


def test_two_autosaves_of_one_ballot_run_one_after_the_other() -> None:
    require_postgres()
    round_, (panelist, *_), entries = _race_setup()
    (ballot,) = _begun(round_, [panelist])
    results: dict[str, object] = {}
    holding, saved, may_commit = _holding(lambda: _autosave(panelist, ballot, entries[:1]), results, "first")
    assert saved.wait(10)
    second = _in_thread(lambda: _autosave(panelist, ballot, entries), results, "second")  # the same C1 again, more
    second.join(0.5)
    assert second.is_alive(), "a second save of the same ballot waits for the first"
    may_commit.set()
    holding.join(10)
    second.join(10)
    assert isinstance(results["second"], Autosaved) and results["second"].answered == 3
    assert ballot.ratings.count() == len(entries)  # no duplicate rating, no unique-constraint error


def test_an_autosave_arriving_while_its_ballot_is_submitted_waits_then_is_refused() -> None:
    require_postgres()
    round_, (panelist, *_), entries = _race_setup()
    (ballot,) = _begun(round_, [panelist])
    _autosave(panelist, ballot, entries[:1])
    results: dict[str, object] = {}
    submitting, submitted, may_commit = _holding(
        lambda: ballot_submit(panelist=panelist, round=round_, notify=False), results, "submit"
    )
    assert submitted.wait(10)
    saving = _in_thread(lambda: _autosave(panelist, ballot, entries), results, "save")
    saving.join(0.5)
    assert saving.is_alive(), "the autosave must wait for the submission of its ballot"
    may_commit.set()
    submitting.join(10)
    saving.join(10)

    assert isinstance(results["submit"], Ballot)
    refused = results["save"]
    assert (
        isinstance(refused, RatingError)
        and str(refused) == "This ballot is submitted; reopen it to revise your answers."
    )
    assert ballot.ratings.count() == 1  # a submitted ballot is read-only


def test_autosaves_racing_a_close_are_each_whole_or_refused() -> None:
    require_postgres()
    round_, panel, entries = _race_setup()
    ballots = _begun(round_, panel)
    start = threading.Barrier(len(panel) + 1)
    results: dict[str, object] = {}

    def saver(panelist: Panelist, ballot: Ballot):  # type: ignore[no-untyped-def]
        def run() -> Autosaved:
            start.wait(10)
            return _autosave(panelist, ballot, entries)

        return run

    def closer() -> Round:
        start.wait(10)
        return round_close(round=round_, aggregate=False)

    threads = [_in_thread(saver(p, b), results, str(p.pk)) for p, b in zip(panel, ballots, strict=True)]
    threads.append(_in_thread(closer, results, "close"))
    for thread in threads:
        thread.join(20)

    assert isinstance(results.pop("close"), Round)
    for panelist, ballot in zip(panel, ballots, strict=True):
        outcome, kept = results[str(panelist.pk)], ballot.ratings.count()
        if isinstance(outcome, Autosaved):
            assert kept == len(entries)
        else:
            assert isinstance(outcome, RatingError) and "answers can no longer change" in str(outcome)
            assert kept == 0
