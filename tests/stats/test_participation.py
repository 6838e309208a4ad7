"""The one definition of a round's panel (surveys.stats.participation), on small hand-made rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from surveys.stats.participation import (
    Member,
    RoundSpan,
    by_group,
    ever_on_panel,
    members_from_rows,
    participation,
    spans_from_rows,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


ROUND_1 = RoundSpan(id=10, number=1, status="aggregated", closed_at=at(10))
ROUND_2 = RoundSpan(id=20, number=2, status="aggregated", closed_at=at(20))
ROUND_3_OPEN = RoundSpan(id=30, number=3, status="open")


def test_an_expert_revoked_after_submitting_counts_as_invited_and_submitted() -> None:
    members = [Member(1), Member(2), Member(3, status="revoked", revoked_at=at(5))]
    ballots = [(10, 1, "submitted"), (10, 2, "submitted"), (10, 3, "submitted")]
    (row,) = participation([ROUND_1], members, ballots)
    assert (row.n_invited, row.n_submitted, row.response_rate) == (3, 3, 1.0)
    assert row.revoked == {3}


def test_an_expert_revoked_before_the_round_closed_without_submitting_was_not_asked() -> None:
    members = [Member(1), Member(2, status="revoked", revoked_at=at(5))]
    (row,) = participation([ROUND_1], members, [(10, 1, "submitted")])
    assert row.invited == {1} and row.response_rate == 1.0


def test_an_expert_revoked_after_the_round_closed_stays_invited_to_it() -> None:
    members = [Member(1), Member(2, status="revoked", revoked_at=at(15))]
    first, second = participation([ROUND_1, ROUND_2], members, [(10, 1, "submitted"), (20, 1, "submitted")])
    assert first.invited == {1, 2} and first.response_rate == 0.5
    assert second.invited == {1} and second.revoked == {2} and first.revoked == set()


def test_an_expert_who_joined_after_the_round_closed_was_not_invited_to_it() -> None:
    members = [Member(1, joined_at=at(0)), Member(2, joined_at=at(12))]
    first, second = participation([ROUND_1, ROUND_2], members, [])
    assert first.invited == {1} and second.invited == {1, 2}


def test_a_status_without_a_time_means_left_for_good() -> None:
    members = [Member(1), Member(2, status="withdrawn")]
    (row,) = participation([ROUND_1], members, [(10, 2, "submitted")])
    assert row.invited == {1, 2}  # still counted where they submitted
    (row,) = participation([ROUND_1], members, [])
    assert row.invited == {1}


def test_withdrawals_are_counted_in_the_round_they_fall_in() -> None:
    members = [Member(1, status="withdrawn", withdrawn_at=at(3)), Member(2, status="withdrawn", withdrawn_at=at(14))]
    first, second, third = participation([ROUND_1, ROUND_2, ROUND_3_OPEN], members, [])
    assert (first.withdrew, second.withdrew, third.withdrew) == ({1}, {2}, set())


def test_the_response_rate_never_exceeds_one_whatever_the_ballots() -> None:
    members = [Member(1, status="revoked"), Member(2, status="withdrawn")]  # nobody left on the panel
    ballots = [(10, 1, "submitted"), (10, 2, "submitted"), (10, 99, "submitted")]  # 99: not even a member
    (row,) = participation([ROUND_1], members, ballots)
    assert row.submitted <= row.invited and row.response_rate == 1.0


def test_drafts_are_not_submitted_and_only_invited_experts_hold_them() -> None:
    members = [Member(1), Member(2), Member(3, status="revoked", revoked_at=at(2))]
    ballots = [(10, 1, "submitted"), (10, 2, "draft"), (10, 3, "draft")]
    (row,) = participation([ROUND_1], members, ballots)
    assert (row.n_submitted, row.n_drafts, row.n_invited) == (1, 1, 2)


def test_attrition_is_the_share_of_last_rounds_respondents_who_did_not_answer() -> None:
    members = [Member(i) for i in range(1, 6)]
    ballots = [(10, i, "submitted") for i in (1, 2, 3, 4)] + [(20, i, "submitted") for i in (1, 2, 5)]
    first, second = participation([ROUND_2, ROUND_1], members, ballots)  # order is by number
    assert first.round_number == 1 and first.attrition is None and first.lost is None
    assert (second.lost, second.attrition) == (2, pytest.approx(0.5))
    assert (second.joined, second.retained_from_first) == (1, 2)


def test_an_open_round_shows_progress_not_attrition_or_a_response_rate() -> None:
    members = [Member(i) for i in range(1, 5)]
    ballots = [(10, i, "submitted") for i in (1, 2, 3, 4)] + [(30, 1, "submitted")]
    _, _, running = participation([ROUND_1, ROUND_2, ROUND_3_OPEN], members, ballots)
    assert running.progress == pytest.approx(0.25)
    assert running.response_rate is None and running.attrition is None
    assert running.lost == 0  # round 2 had no respondent


def test_a_draft_round_has_neither_progress_nor_a_response_rate() -> None:
    (row,) = participation([RoundSpan(id=40, number=1, status="draft")], [Member(1), Member(2)], [])
    assert row.n_invited == 2 and row.progress is None and row.response_rate is None


def test_per_group_rows_add_up_to_the_whole_panel_and_skip_empty_groups() -> None:
    members = [Member(1, "A"), Member(2, "A"), Member(3, "B"), Member(4, "C", status="revoked")]
    ballots = [(10, 1, "submitted"), (10, 3, "submitted")]
    whole = participation([ROUND_1], members, ballots)
    groups = by_group(whole, {m.id: m.group for m in members})
    assert [(g.group, g.n_invited, g.n_submitted) for g in groups] == [("A", 2, 1), ("B", 1, 1)]
    assert sum(g.n_invited for g in groups) == whole[0].n_invited
    assert [g.group for g in by_group(whole, {m.id: m.group for m in members}, keep_empty=True)] == ["A", "B", "C"]


def test_the_panel_a_report_counts_is_everyone_invited_or_still_on_the_panel() -> None:
    members = [
        Member(1),
        Member(2, status="revoked", revoked_at=at(5)),  # revoked before round 1 closed, no answer
        Member(3, status="revoked", revoked_at=at(15)),  # revoked after round 1 closed: was asked
        Member(4, status="withdrawn", withdrawn_at=at(1)),  # submitted, then withdrew
    ]
    rows = participation([ROUND_1], members, [(10, 4, "submitted")])
    assert ever_on_panel(rows, members) == {1, 3, 4}


def test_rows_from_the_database_shape_become_members_and_spans() -> None:
    members = members_from_rows([{"id": 7, "group": None, "status": "active", "created_at": at(0)}])
    spans = spans_from_rows([{"id": 1, "number": 1, "status": "closed", "closed_at": at(1)}])
    assert members == [Member(7, "", "active", at(0))]
    assert spans[0].end == at(1)
