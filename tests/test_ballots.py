"""The expert's write path: ballots, item rationales, the outside-IQR reason, open answers, consent and profile.

``two_rounds`` builds the round-2 scenario the view and browser tests use too.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from surveys.errors import DomainError, RatingError
from surveys.models import Ballot, Item, Panelist, Rating, RatingRevision, Round, Study, Suggestion
from surveys.models.ballots import RATIONALE_MAX_LENGTH
from surveys.services.aggregation import round_aggregate
from surveys.services.ballots import BallotRefused, RatingInput, ballot_reopen, ballot_save, ballot_submit
from surveys.services.experts import answers_save, panelist_consent, panelist_profile_update, suggestion_submit
from surveys.services.rounds import round_close, round_create, round_open
from surveys.services.study_files import study_import
from tests.factories import consented_panel, small_study, small_study_text

pytestmark = pytest.mark.django_db

# Round 1 of C1 on agreement: median 7, q1 = 6, q3 = 7 (linear quantiles), 60% agree.
C1_ROUND_ONE = [5, 6, 7, 7, 8]
OPEN_ITEM = '  - {code: O1, kind: open, section: claims, text: "Which claim is missing?", dimensions: []}\n'
OTHERS_REASONS = ["Blue by day, at least.", "Rayleigh scattering explains it."]


@dataclass
class TwoRounds:
    study: Study
    first: Round
    second: Round
    me: Panelist
    panel: list[Panelist]

    def ri(self, code: str, round_: Round | None = None) -> int:
        return (round_ or self.second).round_items.get(item__code=code).pk


def rate(round_: Round, panelist: Panelist, values: dict[tuple[str, str], int | None], reasons=None) -> Ballot:  # type: ignore[no-untyped-def]
    by_code = {ri.item.code: ri.pk for ri in round_.round_items.select_related("item")}
    entries = [RatingInput(by_code[code], dim, value) for (code, dim), value in values.items()]
    rationales = {by_code[code]: text for code, text in (reasons or {}).items()}
    return ballot_save(panelist=panelist, round=round_, entries=entries, rationales=rationales)


def two_rounds(
    *, reason: str = "optional", slug: str = "small-study", live: bool = False, second_items: list[Item] | None = None
) -> TwoRounds:
    """Round 1 answered by five experts (the first is "me") and aggregated; round 2 open."""
    study = small_study(slug)
    study.outside_iqr_reason = reason
    study.save(update_fields=["outside_iqr_reason"])
    first = round_open(round=round_create(study=study))
    panel = consented_panel(study, ["A", "A", "B", "B", "C"])
    for index, (panelist, value) in enumerate(zip(panel, C1_ROUND_ONE, strict=True)):
        reasons = {"C1": OTHERS_REASONS[index - 1]} if index in (1, 2) else {}
        if index == 0:
            reasons = {"C1": "My own reason from round one."}
        rate(first, panelist, {("C1", "agreement"): value, ("C2", "agreement"): 5, ("R1", "agreement"): 8}, reasons)
        ballot_submit(panelist=panelist, round=first)
    round_close(round=first, aggregate=False)
    round_aggregate(round=first)
    first.refresh_from_db()
    second = round_create(study=study, items=second_items)
    if live:
        second.is_live_feedback = True
        second.save(update_fields=["is_live_feedback"])
    second = round_open(round=second)
    return TwoRounds(study=study, first=first, second=second, me=panel[0], panel=panel)


def _rating(ballot: Ballot, code: str, dim: str) -> Rating:
    return ballot.ratings.get(round_item__item__code=code, dimension__key=dim)


@pytest.fixture
def one_round() -> tuple[Round, Panelist]:
    study = small_study()
    round_ = round_open(round=round_create(study=study))
    return round_, consented_panel(study, ["A"])[0]


def test_an_items_rationale_is_kept_on_its_first_rated_dimension(one_round) -> None:  # type: ignore[no-untyped-def]
    round_, me = one_round
    ballot = rate(round_, me, {("R1", "feasibility"): 4}, {"R1": "Cheap to do."})
    assert _rating(ballot, "R1", "feasibility").rationale == "Cheap to do."
    rate(round_, me, {("R1", "agreement"): 8, ("R1", "feasibility"): 4}, {"R1": "Cheap to do."})
    assert _rating(ballot, "R1", "agreement").rationale == "Cheap to do."
    assert _rating(ballot, "R1", "feasibility").rationale == ""


def test_a_rationale_for_an_item_not_yet_rated_is_refused_with_a_message(one_round) -> None:  # type: ignore[no-untyped-def]
    round_, me = one_round
    rate(round_, me, {("C2", "agreement"): 3})
    with pytest.raises(BallotRefused) as refused:
        rate(round_, me, {("C2", "agreement"): 4}, {"C1": "A reason without a rating."})
    assert "choose a rating" in str(refused.value)
    assert _rating(Ballot.objects.get(panelist=me), "C2", "agreement").value == 3  # the whole save was refused


def test_saving_the_same_answer_again_adds_no_revision(one_round) -> None:  # type: ignore[no-untyped-def]
    round_, me = one_round
    rate(round_, me, {("C1", "agreement"): 7}, {"C1": "Because."})
    rate(round_, me, {("C1", "agreement"): 7}, {"C1": "Because."})
    rate(round_, me, {("C1", "agreement"): 8}, {"C1": "Because."})
    assert list(RatingRevision.objects.values_list("value", flat=True)) == [7, 8]


WHOLE_FORM = {("C1", "agreement"): 7, ("C2", "agreement"): None, ("R1", "agreement"): 3, ("R1", "feasibility"): 4}


def test_a_whole_form_costs_the_queries_of_one_answer(one_round) -> None:  # type: ignore[no-untyped-def]
    round_, me = one_round
    other = consented_panel(round_.study, ["B"])[0]
    with CaptureQueriesContext(connection) as one:
        rate(round_, me, {("C1", "agreement"): 7})
    with CaptureQueriesContext(connection) as whole:
        rate(round_, other, WHOLE_FORM)
    assert len(whole) == len(one)  # new ratings and their revisions go in with one insert each
    assert RatingRevision.objects.filter(rating__ballot__panelist=other).count() == len(WHOLE_FORM)
    revised = {cell: 5 for cell in WHOLE_FORM}
    with CaptureQueriesContext(connection) as one_changed:
        rate(round_, me, {("C1", "agreement"): 5})
    with CaptureQueriesContext(connection) as all_changed:
        rate(round_, other, revised)
    assert len(all_changed) == len(one_changed)  # changed ratings are updated in one statement too
    saved = Rating.objects.filter(ballot__panelist=other).values_list("value", "updated_at")
    assert {value for value, _ in saved} == {5} and len({at for _, at in saved}) == 1
    assert RatingRevision.objects.filter(rating__ballot__panelist=other).count() == 2 * len(WHOLE_FORM)


def test_ratings_are_inserted_one_by_one_where_the_database_returns_no_ids_from_a_bulk_insert(
    one_round, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    round_, me = one_round
    monkeypatch.setattr(type(connection.features), "can_return_rows_from_bulk_insert", False)
    ballot = rate(round_, me, WHOLE_FORM)
    saved = {
        (r.round_item.item.code, r.dimension.key): r.value
        for r in ballot.ratings.select_related("round_item__item", "dimension")
    }
    assert saved == WHOLE_FORM
    revisions = RatingRevision.objects.filter(rating__ballot=ballot).values_list("rating_id", "value")
    assert sorted(revisions) == sorted(ballot.ratings.values_list("pk", "value"))


def test_a_rationale_over_the_limit_is_refused_and_nothing_changes(one_round) -> None:  # type: ignore[no-untyped-def]
    round_, me = one_round
    ballot = rate(round_, me, {("C1", "agreement"): 7})
    with pytest.raises(BallotRefused) as refused:
        rate(round_, me, {("C1", "agreement"): 2}, {"C1": "x" * (RATIONALE_MAX_LENGTH + 1)})
    assert f"the limit is {RATIONALE_MAX_LENGTH}" in str(refused.value)
    assert _rating(ballot, "C1", "agreement").value == 7


def test_a_ballot_with_only_an_open_answer_can_be_submitted() -> None:
    study = study_import(text=small_study_text("open-study") + OPEN_ITEM, filename="open.yaml").study
    open_item = study.items.get(code="O1")
    round_ = round_open(round=round_create(study=study, items=[open_item]))
    me = consented_panel(study, ["A"])[0]
    suggestion_submit(panelist=me, round=round_, item=open_item, text="Ask about the sea.")
    assert ballot_submit(panelist=me, round=round_).status == Ballot.Status.SUBMITTED


def test_an_open_answer_becomes_one_suggestion_that_later_answers_update_or_withdraw() -> None:
    study = study_import(text=small_study_text("open-study") + OPEN_ITEM, filename="open.yaml").study
    round_ = round_open(round=round_create(study=study))
    me = consented_panel(study, ["A"])[0]
    item = study.items.get(code="O1")
    suggestion_submit(panelist=me, round=round_, item=item, text="  The sea is deep.  ")
    suggestion_submit(panelist=me, round=round_, item=item, text="The sea is deep and cold.")
    suggestion = Suggestion.objects.get()
    assert (suggestion.text, suggestion.kind, suggestion.prompt_item, suggestion.round, suggestion.study) == (
        "The sea is deep and cold.",
        Suggestion.Kind.NEW_ITEM,
        item,
        round_,
        study,
    )
    assert suggestion_submit(panelist=me, round=round_, item=item, text="") is None
    assert not Suggestion.objects.exists()


def test_an_open_answer_is_refused_when_too_long_or_for_an_item_that_is_rated() -> None:
    study = study_import(text=small_study_text("open-study") + OPEN_ITEM, filename="open.yaml").study
    round_ = round_open(round=round_create(study=study))
    me = consented_panel(study, ["A"])[0]
    with pytest.raises(DomainError, match="the limit is 4000"):
        suggestion_submit(panelist=me, round=round_, item=study.items.get(code="O1"), text="x" * 4001)
    with pytest.raises(DomainError, match="not an open question"):
        suggestion_submit(panelist=me, round=round_, item=study.items.get(code="C1"), text="Hm.")
    assert not Suggestion.objects.exists()


def test_one_bad_field_refuses_the_whole_save_and_names_each_problem(one_round) -> None:  # type: ignore[no-untyped-def]
    round_, me = one_round
    ballot = rate(round_, me, {("C1", "agreement"): 7})
    c2 = round_.round_items.get(item__code="C2").pk
    with pytest.raises(BallotRefused) as refused:
        entries = [
            RatingInput(c2, "agreement", 5),
            RatingInput(c2, "agreement", 12),
            RatingInput(999999, "agreement", 3),
        ]
        answers_save(panelist=me, round=round_, rationales={}, entries=entries, open_answers={})
    assert "12 is outside the scale; choose 1 to 9" in str(refused.value)
    assert "Item #999999 is not part of round 1" in str(refused.value)
    assert list(ballot.ratings.values_list("round_item__item__code", "value")) == [("C1", 7)]


def test_a_refused_submission_keeps_the_answers_saved(one_round) -> None:  # type: ignore[no-untyped-def]
    round_, me = one_round
    Panelist.objects.filter(pk=me.pk).update(consent_at=timezone.now())
    with pytest.raises(DomainError, match="Rate at least one item"):
        answers_save(panelist=me, round=round_, entries=[], rationales={}, open_answers={}, submit=True)
    ballot = answers_save(
        panelist=me,
        round=round_,
        entries=[RatingInput(round_.round_items.first().pk, "agreement", 4)],
        rationales={},
        open_answers={},
        submit=True,
    )
    assert ballot.status == Ballot.Status.SUBMITTED


def test_a_submitted_ballot_is_read_only_until_reopened(one_round) -> None:  # type: ignore[no-untyped-def]
    round_, me = one_round
    rate(round_, me, {("C1", "agreement"): 7})
    ballot_submit(panelist=me, round=round_)
    with pytest.raises(RatingError, match="reopen it"):
        rate(round_, me, {("C1", "agreement"): 2})
    ballot_reopen(panelist=me, round=round_)
    assert _rating(rate(round_, me, {("C1", "agreement"): 2}), "C1", "agreement").value == 2


def test_nothing_changes_after_the_round_closes(one_round) -> None:  # type: ignore[no-untyped-def]
    round_, me = one_round
    rate(round_, me, {("C1", "agreement"): 7})
    round_close(round=round_, aggregate=False)
    with pytest.raises(RatingError, match="Round 1 is closed"):
        rate(round_, me, {("C1", "agreement"): 2})
    with pytest.raises(RatingError, match="Round 1 is closed"):
        ballot_reopen(panelist=me, round=round_)


# --- the reason asked for a rating outside the previous round's IQR --------------------------------


def test_required_reason_refuses_submission_naming_the_items_outside_the_iqr() -> None:
    s = two_rounds(reason="required")
    rate(s.second, s.me, {("C1", "agreement"): 9, ("C2", "agreement"): 5})
    with pytest.raises(DomainError) as refused:
        ballot_submit(panelist=s.me, round=s.second)
    assert "Item C1" in str(refused.value) and "C2" not in str(refused.value)
    assert Ballot.objects.get(panelist=s.me, round=s.second).status == Ballot.Status.DRAFT


def test_required_reason_is_satisfied_by_the_items_rationale() -> None:
    s = two_rounds(reason="required")
    rate(s.second, s.me, {("C1", "agreement"): 9}, {"C1": "New evidence since round one."})
    assert ballot_submit(panelist=s.me, round=s.second).status == Ballot.Status.SUBMITTED


@pytest.mark.parametrize("reason", ["optional", "off"])
def test_an_optional_or_switched_off_reason_never_blocks_submission(reason: str) -> None:
    s = two_rounds(reason=reason)
    rate(s.second, s.me, {("C1", "agreement"): 1})
    assert ballot_submit(panelist=s.me, round=s.second).status == Ballot.Status.SUBMITTED


def test_ratings_inside_the_iqr_or_cant_answer_need_no_reason() -> None:
    s = two_rounds(reason="required")
    rate(s.second, s.me, {("C1", "agreement"): 6, ("R1", "agreement"): None})
    assert ballot_submit(panelist=s.me, round=s.second).status == Ballot.Status.SUBMITTED


def test_an_iqr_withheld_for_too_few_ratings_asks_no_reason() -> None:
    s = two_rounds(reason="required")
    Study.objects.filter(pk=s.study.pk).update(min_group_size=6)
    rate(s.second, s.me, {("C1", "agreement"): 1})
    assert ballot_submit(panelist=s.me, round=s.second).status == Ballot.Status.SUBMITTED


def test_a_live_round_is_marked_for_recomputation_when_a_ballot_is_submitted(
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    study = small_study()
    round_ = round_create(study=study)
    Round.objects.filter(pk=round_.pk).update(is_live_feedback=True)
    round_ = round_open(round=round_)
    me = consented_panel(study, ["A"])[0]
    rate(round_, me, {("C1", "agreement"): 7})
    with django_capture_on_commit_callbacks() as callbacks:
        ballot_submit(panelist=me, round=round_, notify=False)
    round_.refresh_from_db()
    assert round_.is_live_stale and len(callbacks) == 1  # one debounced recomputation queued


# --- consent and profile ------------------------------------------------------------------------


def test_consent_is_recorded_once_with_its_time() -> None:
    study = small_study()
    from surveys.services.panel import panelist_create

    panelist, _ = panelist_create(study=study, email="a@example.org")
    first = panelist_consent(panelist=panelist).consent_at
    assert first is not None
    assert panelist_consent(panelist=panelist).consent_at == first


def test_the_profile_keeps_background_years_and_expertise_per_section() -> None:
    study = small_study()
    me = consented_panel(study, ["Europe"])[0]
    panelist_profile_update(
        panelist=me, background=" Diplomat ", years_experience=12, expertise={"claims": 4, "recs": None}
    )
    me.refresh_from_db()
    assert (me.background, me.years_experience, me.expertise) == ("Diplomat", 12, {"claims": 4})
    assert me.group == "Europe"  # the facilitator's, untouched


@pytest.mark.parametrize(
    ("expertise", "years", "message"),
    [({"claims": 6}, 1, "between 1 and 5"), ({"nope": 3}, 1, "not a section"), ({}, 81, "between 0 and 80")],
)
def test_the_profile_refuses_values_out_of_range(expertise: dict, years: int, message: str) -> None:
    me = consented_panel(small_study(), [""])[0]
    with pytest.raises(DomainError, match=message):
        panelist_profile_update(panelist=me, background="", years_experience=years, expertise=expertise)
