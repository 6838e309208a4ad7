"""The round lifecycle as services: every transition, every illegal one, the beat task, carry-forward,
preparing a draft round, the headless ``round`` command, and the close/submit race on PostgreSQL."""

from __future__ import annotations

import io
import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone

from surveys.errors import DomainError, IllegalTransition, RatingError
from surveys.models import AuditEvent, Ballot, Item, ItemStatistic, Rating, Round, Study, Suggestion
from surveys.services.aggregation import round_aggregate
from surveys.services.ballots import RatingInput, ballot_save, ballot_submit
from surveys.services.round_items import round_item_add, round_item_drop
from surveys.services.rounds import (
    item_reword,
    round_aggregate_request,
    round_carry_forward,
    round_close,
    round_create,
    round_deadline_set,
    round_next,
    round_open,
)
from surveys.services.suggestions import suggestion_accept, suggestion_reject
from surveys.tasks import close_due_rounds
from tests.factories import answer_round, consented_panel, small_study
from tests.services import require_postgres

# C1: consensus in (all agree); C2: no consensus; R1: agreement in, feasibility in.
ANSWERS = {
    ("C1", "agreement"): [9, 8, 8, 7, 9],
    ("C2", "agreement"): [1, 9, 5, 2, 8],
    ("R1", "agreement"): [8, 8, 9, 7, 8],
    ("R1", "feasibility"): [5, 4, 4, 5, 4],
}


def _actions(study: Study) -> list[str]:
    events = AuditEvent.objects.filter(study=study).exclude(action="study.imported").order_by("created_at", "id")
    return list(events.values_list("action", flat=True))


def _aggregated_round_1(study: Study) -> Round:
    round_ = round_open(round=round_create(study=study))
    panel = consented_panel(study, ["A", "A", "A", "B", "B"])
    answer_round(round_, {p: {key: values[i] for key, values in ANSWERS.items()} for i, p in enumerate(panel)})
    round_close(round=round_, aggregate=False)
    round_aggregate(round=round_)
    round_.refresh_from_db()
    return round_


# --- transitions -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_round_goes_from_draft_to_open_to_closed_to_aggregated_with_an_audit_event_each() -> None:
    study = small_study()
    round_ = round_create(study=study)
    assert round_.status == Round.Status.DRAFT
    round_open(round=round_)
    round_close(round=round_, aggregate=False)
    round_aggregate(round=round_)
    round_.refresh_from_db()
    assert round_.status == Round.Status.AGGREGATED
    assert round_.opened_at and round_.closed_at and round_.aggregated_at
    assert _actions(study) == ["round.created", "study.rule_frozen", "round.opened", "round.closed", "round.aggregated"]


@pytest.mark.django_db
def test_opening_round_one_freezes_the_consensus_rule_and_starts_the_study() -> None:
    study = small_study()
    round_open(round=round_create(study=study))
    study.refresh_from_db()
    assert study.is_rule_frozen
    assert study.status == Study.Status.RUNNING


@pytest.mark.django_db
def test_opening_a_round_can_set_its_deadline() -> None:
    closes_at = timezone.now() + timedelta(days=7)
    round_ = round_open(round=round_create(study=small_study()), closes_at=closes_at)
    assert round_.closes_at == closes_at


@pytest.mark.django_db
def test_an_open_round_cannot_be_opened_again() -> None:
    round_ = round_open(round=round_create(study=small_study()))
    with pytest.raises(IllegalTransition, match="Round 1 cannot go from 'open' to 'open'"):
        round_open(round=round_)


@pytest.mark.django_db
def test_a_draft_round_cannot_be_closed() -> None:
    round_ = round_create(study=small_study())
    with pytest.raises(IllegalTransition, match="cannot go from 'draft' to 'closed'; from 'draft' it can go to open"):
        round_close(round=round_)
    round_.refresh_from_db()
    assert round_.status == Round.Status.DRAFT


@pytest.mark.django_db
def test_a_round_cannot_be_closed_twice() -> None:
    round_ = round_open(round=round_create(study=small_study()))
    round_close(round=round_, aggregate=False)
    with pytest.raises(IllegalTransition, match="cannot go from 'closed' to 'closed'"):
        round_close(round=round_, aggregate=False)
    assert AuditEvent.objects.filter(round=round_, action="round.closed").count() == 1


@pytest.mark.django_db
def test_a_closed_round_never_reopens() -> None:
    round_ = round_open(round=round_create(study=small_study()))
    round_close(round=round_, aggregate=False)
    with pytest.raises(IllegalTransition, match="cannot go from 'closed' to 'open'"):
        round_open(round=round_)


@pytest.mark.django_db
def test_a_round_cannot_open_with_a_deadline_in_the_past() -> None:
    round_ = round_create(study=small_study())
    with pytest.raises(DomainError, match="deadline in the past"):
        round_open(round=round_, closes_at=timezone.now() - timedelta(minutes=1))
    round_.refresh_from_db()
    assert round_.status == Round.Status.DRAFT


@pytest.mark.django_db
def test_a_second_round_cannot_be_created_while_one_is_not_closed() -> None:
    study = small_study()
    round_open(round=round_create(study=study))
    with pytest.raises(DomainError, match="already has a round that is not closed; close it first"):
        round_create(study=study)


@pytest.mark.django_db
def test_an_open_round_cannot_be_aggregated_as_final() -> None:
    round_ = round_open(round=round_create(study=small_study()))
    with pytest.raises(DomainError, match="close it before"):
        round_aggregate_request(round=round_)


@pytest.mark.django_db
def test_the_deadline_of_a_closed_round_cannot_change() -> None:
    round_ = round_open(round=round_create(study=small_study()))
    round_close(round=round_, aggregate=False)
    with pytest.raises(DomainError, match="its deadline can no longer change"):
        round_deadline_set(round=round_, closes_at=timezone.now() + timedelta(days=1))


@pytest.mark.django_db
def test_the_deadline_of_an_open_round_can_move_but_not_into_the_past() -> None:
    round_ = round_open(round=round_create(study=small_study()))
    later = timezone.now() + timedelta(days=3)
    assert round_deadline_set(round=round_, closes_at=later).closes_at == later
    with pytest.raises(DomainError, match="cannot have a deadline in the past"):
        round_deadline_set(round=round_, closes_at=timezone.now() - timedelta(hours=1))


@pytest.mark.django_db
def test_closing_by_hand_aggregates_the_round_once_the_close_commits(django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    study = small_study()
    round_ = round_open(round=round_create(study=study))
    answer_round(round_, {p: {("C1", "agreement"): 8} for p in consented_panel(study, ["A", "A", "A"])})
    with django_capture_on_commit_callbacks(execute=True):
        round_close(round=round_)
    round_.refresh_from_db()
    assert round_.status == Round.Status.AGGREGATED


# --- the beat task -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_beat_task_closes_and_aggregates_only_rounds_past_their_deadline(
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    due_study, later_study = small_study("due"), small_study("later")
    due = round_open(round=round_create(study=due_study))
    answer_round(due, {p: {("C1", "agreement"): 8} for p in consented_panel(due_study, ["A", "A", "A"])})
    later = round_open(round=round_create(study=later_study), closes_at=timezone.now() + timedelta(days=1))
    Round.objects.filter(pk=due.pk).update(closes_at=timezone.now() - timedelta(seconds=1))

    with django_capture_on_commit_callbacks(execute=True):  # the aggregation is enqueued once the close commits
        assert close_due_rounds() == [due.pk]

    due.refresh_from_db()
    later.refresh_from_db()
    assert due.status == Round.Status.AGGREGATED
    assert later.status == Round.Status.OPEN
    assert AuditEvent.objects.get(round=due, action="round.closed").actor_label == "deadline"
    assert close_due_rounds() == []  # nothing left to claim


@pytest.mark.django_db
def test_a_ballot_after_the_deadline_close_is_refused_with_a_message() -> None:
    study = small_study()
    round_ = round_open(round=round_create(study=study))
    (panelist,) = consented_panel(study, ["A"])
    Round.objects.filter(pk=round_.pk).update(closes_at=timezone.now() - timedelta(seconds=1))
    close_due_rounds()
    c1 = round_.round_items.get(item__code="C1")
    with pytest.raises(RatingError, match=r"Round 1 is (closed|aggregated); answers can no longer change"):
        ballot_save(panelist=panelist, round=round_, entries=[RatingInput(c1.pk, "agreement", 8)])
    assert not Rating.objects.filter(ballot__panelist=panelist).exists()


# --- next round, carry-forward, preparing the draft -----------------------------------------------------


@pytest.mark.django_db
def test_the_next_round_carries_items_without_consensus_and_lists_the_decided_ones() -> None:
    study = small_study()
    round_1 = _aggregated_round_1(study)
    plan = round_carry_forward(round_1)
    assert [i.code for i in plan.carried] == ["C2"]
    assert [(i.code, v) for i, v in plan.decided] == [("C1", "in"), ("R1", "in")]

    round_2 = round_next(study=study)
    assert round_2.number == 2 and round_2.status == Round.Status.DRAFT
    assert list(round_2.round_items.values_list("item__code", flat=True)) == ["C2"]
    event = AuditEvent.objects.get(round=round_2, action="round.created")
    assert event.detail["decided"] == {"C1": "in", "R1": "in"}


@pytest.mark.django_db
def test_the_next_round_needs_the_last_round_aggregated() -> None:
    study = small_study()
    round_open(round=round_create(study=study))
    with pytest.raises(DomainError, match="aggregate it before carrying items forward"):
        round_next(study=study)


@pytest.mark.django_db
def test_the_next_round_needs_a_first_round() -> None:
    with pytest.raises(DomainError, match="has no round yet; create round 1 first"):
        round_next(study=small_study())


@pytest.mark.django_db
def test_a_next_round_with_every_item_decided_is_refused_and_says_the_study_can_stop() -> None:
    study = small_study()
    _aggregated_round_1(study)
    with pytest.raises(DomainError, match="would hold no items; the study can stop here"):
        round_next(study=study, drop=list(study.items.filter(code="C2")))


@pytest.mark.django_db
def test_rewording_keeps_the_lineage_and_replaces_the_item_in_the_draft() -> None:
    study = small_study()
    _aggregated_round_1(study)
    round_2 = round_next(study=study)
    c2 = Item.objects.get(study=study, code="C2")
    new = item_reword(round=round_2, item=c2, text="Water is mostly wet.")
    assert (new.code, new.replaces, new.text) == ("C2r2", c2, "Water is mostly wet.")
    assert list(new.dimensions.all()) == list(c2.dimensions.all())
    assert list(round_2.round_items.values_list("item__code", flat=True)) == ["C2r2"]
    assert AuditEvent.objects.get(action="item.reworded").detail == {"replaces": "C2"}


@pytest.mark.django_db
def test_rewording_an_item_twice_before_opening_corrects_the_new_wording_in_place() -> None:
    study = small_study()
    _aggregated_round_1(study)
    round_2 = round_next(study=study)
    first = item_reword(round=round_2, item=Item.objects.get(study=study, code="C2"), text="Water is mostly wet.")
    second = item_reword(round=round_2, item=first, text="Water is usually wet.")
    assert second.pk == first.pk
    assert (second.code, second.text, second.replaces.code) == ("C2r2", "Water is usually wet.", "C2")
    assert Item.objects.filter(study=study).count() == 4


@pytest.mark.django_db
def test_rewording_is_refused_once_the_round_is_open() -> None:
    study = small_study()
    round_ = round_open(round=round_create(study=study))
    with pytest.raises(DomainError, match="Round 1 is open; items can be reworded only before it opens"):
        item_reword(round=round_, item=Item.objects.get(study=study, code="C1"), text="New.")


@pytest.mark.django_db
def test_rewording_refuses_an_empty_text_a_taken_code_and_an_item_not_in_the_round() -> None:
    study = small_study()
    _aggregated_round_1(study)
    round_2 = round_next(study=study)
    c1, c2 = Item.objects.get(study=study, code="C1"), Item.objects.get(study=study, code="C2")
    with pytest.raises(DomainError, match="The new wording of C2 is empty"):
        item_reword(round=round_2, item=c2, text="  ")
    with pytest.raises(DomainError, match="The code R1 is taken"):
        item_reword(round=round_2, item=c2, text="Other.", code="R1")
    with pytest.raises(DomainError, match="The code 'C 2' is not usable"):
        item_reword(round=round_2, item=c2, text="Other.", code="C 2")
    with pytest.raises(DomainError, match="C1 is not in round 2"):
        item_reword(round=round_2, item=c1, text="Other.")


@pytest.mark.django_db
def test_a_decided_item_can_be_added_back_and_a_carried_one_dropped() -> None:
    study = small_study()
    _aggregated_round_1(study)
    round_2 = round_next(study=study)
    c1, c2 = Item.objects.get(study=study, code="C1"), Item.objects.get(study=study, code="C2")
    round_item_add(round=round_2, item=c1)
    round_item_drop(round=round_2, item=c2)
    assert list(round_2.round_items.values_list("item__code", flat=True)) == ["C1"]
    with pytest.raises(DomainError, match="C1 is the last item of round 2"):
        round_item_drop(round=round_2, item=c1)
    with pytest.raises(DomainError, match="C1 is in round 2 already"):
        round_item_add(round=round_2, item=c1)


@pytest.mark.django_db
def test_an_earlier_wording_cannot_be_added_next_to_its_rewording() -> None:
    study = small_study()
    _aggregated_round_1(study)
    round_2 = round_next(study=study)
    c2 = Item.objects.get(study=study, code="C2")
    item_reword(round=round_2, item=c2, text="Water is mostly wet.")
    with pytest.raises(DomainError, match=r"C2 is in round 2 already \(as C2r2\)"):
        round_item_add(round=round_2, item=c2)


@pytest.mark.django_db
def test_a_suggested_item_becomes_an_item_of_the_draft_round_with_the_chosen_code_and_dimensions() -> None:
    study = small_study()
    _aggregated_round_1(study)
    round_2 = round_next(study=study)
    suggestion = Suggestion.objects.create(study=study, text="Rain is wet too.")
    item = suggestion_accept(
        suggestion=suggestion,
        round=round_2,
        code="C3",
        kind="claim",
        section=study.sections.get(key="claims"),
        dimensions=list(study.dimensions.filter(key="agreement")),
    )
    assert (item.code, item.text, item.kind) == ("C3", "Rain is wet too.", "claim")
    assert [d.key for d in item.dimensions.all()] == ["agreement"]
    assert list(round_2.round_items.order_by("order").values_list("item__code", flat=True)) == ["C2", "C3"]
    suggestion.refresh_from_db()
    assert (suggestion.status, suggestion.created_item) == (Suggestion.Status.ACCEPTED, item)
    with pytest.raises(DomainError, match="This suggestion was accepted already"):
        suggestion_reject(suggestion=suggestion)


@pytest.mark.django_db
def test_a_suggested_rewording_rewords_its_target_and_keeps_the_lineage() -> None:
    study = small_study()
    _aggregated_round_1(study)
    round_2 = round_next(study=study)
    c2 = Item.objects.get(study=study, code="C2")
    suggestion = Suggestion.objects.create(
        study=study, kind=Suggestion.Kind.REWORDING, target_item=c2, text="Water is wet at room temperature."
    )
    item = suggestion_accept(suggestion=suggestion, round=round_2)
    assert (item.code, item.replaces) == ("C2r2", c2)


@pytest.mark.django_db
def test_a_suggestion_needs_a_free_code_a_section_and_a_dimension() -> None:
    study = small_study()
    _aggregated_round_1(study)
    round_2 = round_next(study=study)
    suggestion = Suggestion.objects.create(study=study, text="Rain is wet too.")
    claims = study.sections.get(key="claims")
    agreement = list(study.dimensions.filter(key="agreement"))
    with pytest.raises(DomainError, match="The code C1 is taken"):
        suggestion_accept(
            suggestion=suggestion, round=round_2, code="C1", kind="claim", section=claims, dimensions=agreement
        )
    with pytest.raises(DomainError, match="at least one dimension"):
        suggestion_accept(suggestion=suggestion, round=round_2, code="C3", kind="claim", section=claims)
    with pytest.raises(DomainError, match="Open questions are asked in round 1 only"):
        suggestion_accept(suggestion=suggestion, round=round_2, code="C3", kind="open", section=claims)
    with pytest.raises(DomainError, match="Choose a section"):
        suggestion_accept(suggestion=suggestion, round=round_2, code="C3", kind="claim", dimensions=agreement)
    suggestion.refresh_from_db()
    assert suggestion.status == Suggestion.Status.NEW


@pytest.mark.django_db
def test_suggestions_are_added_only_to_a_draft_round() -> None:
    study = small_study()
    round_ = round_open(round=round_create(study=study))
    suggestion = Suggestion.objects.create(study=study, text="Rain is wet too.")
    with pytest.raises(DomainError, match="suggestions can be added only before it opens"):
        suggestion_accept(suggestion=suggestion, round=round_, code="C3", kind="claim")


@pytest.mark.django_db
def test_round_two_opens_with_its_prepared_items_and_the_rule_stays_frozen_as_it_was() -> None:
    study = small_study()
    _aggregated_round_1(study)
    frozen_at = Study.objects.get(pk=study.pk).consensus_rule_frozen_at
    round_2 = round_next(study=study)
    item_reword(round=round_2, item=Item.objects.get(study=study, code="C2"), text="Water is mostly wet.")
    round_open(round=round_2)
    study.refresh_from_db()
    assert study.consensus_rule_frozen_at == frozen_at
    assert AuditEvent.objects.filter(study=study, action="study.rule_frozen").count() == 1
    with pytest.raises(DomainError, match="items can be dropped only before it opens"):
        round_item_drop(round=round_2, item=Item.objects.get(study=study, code="C2r2"))


# --- the headless command ----------------------------------------------------------------------------


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("round", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_the_round_command_runs_the_lifecycle_headless(django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    study = small_study()
    assert "Round 1 of 'small-study' is open" in _run("open", "small-study", "--closes-at", "2099-01-01T12:00")
    panel = consented_panel(study, ["A", "A", "A", "B", "B"])
    round_1 = study.rounds.get(number=1)
    assert round_1.closes_at.year == 2099
    answer_round(round_1, {p: {key: values[i] for key, values in ANSWERS.items()} for i, p in enumerate(panel)})
    with django_capture_on_commit_callbacks(execute=True):  # as in autocommit: the aggregation runs eagerly
        assert "Round 1 of 'small-study' is closed" in _run("close", "small-study")
    assert Round.objects.get(pk=round_1.pk).status == Round.Status.AGGREGATED
    assert "Round 2 of 'small-study' is a draft with C2" in _run("next", "small-study")
    assert "Round 2 of 'small-study' is open" in _run("open", "small-study")  # --invite: test_round_open_invite
    assert [e.actor_label for e in AuditEvent.objects.filter(action="round.opened")] == ["command", "command"]


@pytest.mark.django_db
def test_the_round_command_exits_2_with_the_reason_when_a_move_is_not_allowed() -> None:
    small_study()
    with pytest.raises(CommandError, match="has no open round to close") as refused:
        _run("close", "small-study")
    assert refused.value.returncode == 2
    with pytest.raises(CommandError, match="There is no study 'nope'"):
        _run("open", "nope")
    with pytest.raises(CommandError, match="is not a date and time"):
        _run("open", "small-study", "--closes-at", "tomorrow")


# --- the close/submit race, on PostgreSQL with two connections -------------------------------------------


def _race_setup() -> tuple[Round, list, list[RatingInput]]:  # type: ignore[type-arg]
    study = small_study()
    round_ = round_open(round=round_create(study=study))
    panel = consented_panel(study, ["A", "A", "A"])
    codes = {ri.item.code: ri.pk for ri in round_.round_items.select_related("item")}
    entries = [
        RatingInput(codes["C1"], "agreement", 8, "Plainly."),
        RatingInput(codes["C2"], "agreement", 3),
        RatingInput(codes["R1"], "agreement", 7),
        RatingInput(codes["R1"], "feasibility", 4),
    ]
    return round_, panel, entries


def _in_thread(target, results: dict, key: str) -> threading.Thread:  # type: ignore[no-untyped-def,type-arg]
    def run() -> None:
        try:
            results[key] = target()
        except BaseException as exc:
            results[key] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_ballot_holding_the_round_when_the_close_arrives_is_fully_in() -> None:
    require_postgres()
    round_, (panelist, *_), entries = _race_setup()
    saving, may_commit = threading.Event(), threading.Event()
    results: dict[str, object] = {}

    def submit() -> Ballot:
        with transaction.atomic():  # one transaction holding the round FOR UPDATE
            ballot_save(panelist=panelist, round=round_, entries=entries)
            saving.set()
            may_commit.wait(10)
            return ballot_submit(panelist=panelist, round=round_)

    ballot_thread = _in_thread(submit, results, "ballot")
    assert saving.wait(10)
    close_thread = _in_thread(lambda: round_close(round=round_, aggregate=False), results, "close")
    close_thread.join(0.5)
    assert close_thread.is_alive(), "the close must wait for the ballot's lock"
    may_commit.set()
    ballot_thread.join(10)
    close_thread.join(10)

    assert isinstance(results["ballot"], Ballot) and isinstance(results["close"], Round)
    ballot = Ballot.objects.get(panelist=panelist, round=round_)
    assert ballot.status == Ballot.Status.SUBMITTED
    assert ballot.ratings.count() == len(entries)
    assert Round.objects.get(pk=round_.pk).status == Round.Status.CLOSED
    summary = round_aggregate(round=round_)
    assert summary.n_submitted == 1
    c1 = ItemStatistic.objects.get(round=round_, round_item__item__code="C1", dimension__key="agreement", group="")
    assert (c1.n, c1.median) == (1, 8.0)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_ballot_arriving_while_the_close_commits_is_refused_whole_with_a_message() -> None:
    require_postgres()
    round_, (panelist, *_), entries = _race_setup()
    closing, may_commit = threading.Event(), threading.Event()
    results: dict[str, object] = {}

    def close() -> Round:
        with transaction.atomic():  # the conditional UPDATE holds the round's row lock until commit
            closed = round_close(round=round_, aggregate=False)
            closing.set()
            may_commit.wait(10)
            return closed

    close_thread = _in_thread(close, results, "close")
    assert closing.wait(10)
    ballot_thread = _in_thread(lambda: ballot_save(panelist=panelist, round=round_, entries=entries), results, "ballot")
    ballot_thread.join(0.5)
    assert ballot_thread.is_alive(), "the ballot must wait for the close's lock"
    may_commit.set()
    close_thread.join(10)
    ballot_thread.join(10)

    assert isinstance(results["close"], Round)
    refused = results["ballot"]
    assert isinstance(refused, RatingError)
    assert str(refused) == "Round 1 is closed; answers can no longer change."
    assert not Ballot.objects.filter(panelist=panelist).exists()
    assert not Rating.objects.filter(ballot__round=round_).exists()


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_ballots_racing_a_close_are_each_either_whole_or_refused() -> None:
    require_postgres()
    round_, panel, entries = _race_setup()
    start = threading.Barrier(len(panel) + 1)
    results: dict[str, object] = {}

    def submitter(panelist):  # type: ignore[no-untyped-def]
        def run() -> Ballot:
            start.wait(10)
            with transaction.atomic():
                ballot_save(panelist=panelist, round=round_, entries=entries)
                return ballot_submit(panelist=panelist, round=round_)

        return run

    def closer() -> Round:
        start.wait(10)
        return round_close(round=round_, aggregate=False)

    threads = [_in_thread(submitter(p), results, str(p.pk)) for p in panel]
    threads.append(_in_thread(closer, results, "close"))
    for thread in threads:
        thread.join(20)

    assert isinstance(results.pop("close"), Round)
    for panelist in panel:
        outcome = results[str(panelist.pk)]
        ballot = Ballot.objects.filter(panelist=panelist, round=round_).first()
        if isinstance(outcome, Ballot):
            assert ballot is not None and ballot.status == Ballot.Status.SUBMITTED
            assert ballot.ratings.count() == len(entries)
        else:
            assert isinstance(outcome, RatingError) and "answers can no longer change" in str(outcome)
            assert ballot is None
    submitted = sum(isinstance(o, Ballot) for o in results.values())
    assert round_aggregate(round=round_).n_submitted == submitted
