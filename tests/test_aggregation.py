"""Aggregation of a round: Celery task, idempotency, replaced statistics, stopping rule."""

from __future__ import annotations

import io
import threading

import numpy as np
import pytest
from django.core.management import call_command
from django.db import connection

from surveys.errors import DomainError
from surveys.models import ItemStatistic, Round, RoundStatistic
from surveys.services.aggregation import round_aggregate
from surveys.services.rounds import round_close, round_create, round_open
from surveys.tasks import aggregate_round, aggregate_round_live
from tests.factories import answer_round, consented_panel, small_study
from tests.services import require_postgres

C1_VALUES = [9, 8, 8, 7, 9, 8]  # consensus in under cos: 100% agree
C2_VALUES = [1, 9, 5, 2, 8, 5]  # no consensus


def _rated_round(study, *, groups=("A", "A", "A", "B", "B", "C")):  # type: ignore[no-untyped-def]
    round_ = round_open(round=round_create(study=study))
    panel = consented_panel(study, list(groups))
    answer_round(
        round_,
        {
            p: {("C1", "agreement"): C1_VALUES[i], ("C2", "agreement"): C2_VALUES[i], ("R1", "agreement"): None}
            for i, p in enumerate(panel)
        },
    )
    return round_, panel


def _whole(round_, code, dim="agreement") -> ItemStatistic:  # type: ignore[no-untyped-def]
    return ItemStatistic.objects.get(round=round_, round_item__item__code=code, dimension__key=dim, group="")


@pytest.mark.django_db
def test_closing_a_round_aggregates_it_through_celery(django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    round_, _ = _rated_round(small_study())
    with django_capture_on_commit_callbacks(execute=True):
        round_close(round=round_)
    round_.refresh_from_db()
    assert round_.status == Round.Status.AGGREGATED
    c1 = _whole(round_, "C1")
    assert (c1.n, c1.median, c1.verdict) == (6, 8.0, "in")
    assert c1.q1 == pytest.approx(float(np.quantile(C1_VALUES, 0.25, method="linear")))
    assert c1.sd == pytest.approx(float(np.std(C1_VALUES, ddof=1)))
    assert c1.distribution == {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0, "6": 0, "7": 1, "8": 3, "9": 2}
    assert _whole(round_, "C2").verdict == "none"


@pytest.mark.django_db
def test_an_item_with_only_abstentions_gets_n_zero_and_no_verdict() -> None:
    round_, _ = _rated_round(small_study())
    round_close(round=round_, aggregate=False)
    round_aggregate(round=round_)
    r1 = _whole(round_, "R1")
    assert (r1.n, r1.abstentions, r1.median, r1.verdict) == (0, 6, None, "")
    feasibility = _whole(round_, "R1", "feasibility")  # nobody rated it at all
    assert (feasibility.n, feasibility.verdict) == (0, "")


@pytest.mark.django_db
def test_groups_below_the_minimum_size_are_suppressed() -> None:
    round_, _ = _rated_round(small_study())
    round_close(round=round_, aggregate=False)
    round_aggregate(round=round_)
    groups = set(ItemStatistic.objects.filter(round=round_).values_list("group", flat=True))
    assert groups == {"", "A"}  # B has 2 and C has 1 expert: below min_group_size 3


@pytest.mark.django_db
def test_aggregating_twice_replaces_the_same_set() -> None:
    round_, _ = _rated_round(small_study())
    round_close(round=round_, aggregate=False)
    aggregate_round.delay(round_.pk)
    first = list(ItemStatistic.objects.filter(round=round_).values_list("round_item", "dimension", "group", "median"))
    aggregate_round.delay(round_.pk)
    second = list(ItemStatistic.objects.filter(round=round_).values_list("round_item", "dimension", "group", "median"))
    assert sorted(first, key=str) == sorted(second, key=str)
    assert RoundStatistic.objects.filter(round=round_).count() == 1


@pytest.mark.django_db
def test_the_ratings_of_an_open_round_are_not_aggregated_as_final_statistics() -> None:
    round_, _ = _rated_round(small_study())
    with pytest.raises(DomainError, match="is open; close it before aggregating"):
        round_aggregate(round=round_)
    assert not ItemStatistic.objects.filter(round=round_).exists()
    assert Round.objects.get(pk=round_.pk).status == Round.Status.OPEN


@pytest.mark.django_db
def test_round_statistics_hold_response_rate_and_the_stopping_decision() -> None:
    study = small_study()
    round_, _ = _rated_round(study)
    consented_panel(study, ["D", "D"])  # invited, never answered
    round_close(round=round_, aggregate=False)
    summary = round_aggregate(round=round_)
    assert (summary.n_invited, summary.n_submitted) == (8, 6)
    assert summary.response_rate == pytest.approx(0.75)
    assert (summary.n_in, summary.n_none) == (1, 1)
    assert summary.is_stop_met is False
    assert "Round 1 of at most 3" in summary.stop_reason


@pytest.mark.django_db
def test_live_feedback_is_debounced_into_one_recomputation() -> None:
    round_, _ = _rated_round(small_study())
    Round.objects.filter(pk=round_.pk).update(is_live_feedback=True, is_live_stale=True)
    assert aggregate_round_live(round_.pk) is True
    assert aggregate_round_live(round_.pk) is False  # nothing new since: no second computation
    round_.refresh_from_db()
    assert round_.status == Round.Status.OPEN
    assert _whole(round_, "C1").n == 6


@pytest.mark.django_db
def test_the_aggregate_command_runs_headless() -> None:
    round_, _ = _rated_round(small_study())
    round_close(round=round_, aggregate=False)
    out = io.StringIO()
    call_command("aggregate", "small-study", "1", stdout=out)
    assert "6 ballots, 1 consensus in" in out.getvalue()
    round_.refresh_from_db()
    assert round_.status == Round.Status.AGGREGATED


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_aggregations_at_once_leave_one_consistent_set() -> None:
    require_postgres()
    round_, _ = _rated_round(small_study())
    round_close(round=round_, aggregate=False)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            round_aggregate(round=round_)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    rows = ItemStatistic.objects.filter(round=round_)
    assert rows.count() == len({(r.round_item_id, r.dimension_id, r.group) for r in rows})
    assert rows.filter(group="").count() == 4
