"""The database holds the invariants: constraints and state transitions."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from surveys.errors import IllegalTransition
from surveys.models import Ballot, Dimension, Item, Rating, Round, RoundItem
from tests.factories import PanelistFactory, small_study

pytestmark = pytest.mark.django_db


def _refused(make) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(IntegrityError), transaction.atomic():
        make()


def test_a_dimension_scale_needs_min_below_max() -> None:
    study = small_study()
    _refused(
        lambda: Dimension.objects.create(
            study=study,
            key="bad",
            label="Bad",
            scale_min=5,
            scale_max=5,
            agree_low=5,
            agree_high=5,
            disagree_low=5,
            disagree_high=5,
        )
    )


def test_an_agree_band_outside_the_scale_is_refused() -> None:
    study = small_study()
    _refused(
        lambda: Dimension.objects.create(
            study=study,
            key="bad",
            label="Bad",
            scale_min=1,
            scale_max=5,
            agree_low=4,
            agree_high=7,
            disagree_low=1,
            disagree_high=2,
        )
    )


def test_item_codes_are_unique_within_a_study() -> None:
    study = small_study()
    section = study.sections.first()
    _refused(lambda: Item.objects.create(study=study, code="C1", kind="claim", section=section, text="again"))


def test_an_unknown_item_kind_is_refused() -> None:
    study = small_study()
    _refused(
        lambda: Item.objects.create(study=study, code="Z9", kind="rumour", section=study.sections.first(), text="x")
    )


def test_a_rating_outside_its_scale_is_refused_by_the_database() -> None:
    study = small_study()
    round_ = Round.objects.create(study=study, number=1)
    round_item = RoundItem.objects.create(round=round_, item=study.items.get(code="C1"), order=1)
    ballot = Ballot.objects.create(round=round_, panelist=PanelistFactory(study=study))
    dim = study.dimensions.get(key="agreement")
    _refused(
        lambda: Rating.objects.create(
            ballot=ballot, round_item=round_item, dimension=dim, value=10, scale_min=1, scale_max=9
        )
    )


def test_a_null_rating_means_cant_answer_and_is_kept() -> None:
    study = small_study()
    round_ = Round.objects.create(study=study, number=1)
    round_item = RoundItem.objects.create(round=round_, item=study.items.get(code="C1"), order=1)
    ballot = Ballot.objects.create(round=round_, panelist=PanelistFactory(study=study))
    rating = Rating.objects.create(
        ballot=ballot,
        round_item=round_item,
        dimension=study.dimensions.get(key="agreement"),
        value=None,
        scale_min=1,
        scale_max=9,
    )
    assert Rating.objects.get(pk=rating.pk).value is None


def test_one_ballot_per_panelist_and_round() -> None:
    study = small_study()
    round_ = Round.objects.create(study=study, number=1)
    panelist = PanelistFactory(study=study)
    Ballot.objects.create(round=round_, panelist=panelist)
    _refused(lambda: Ballot.objects.create(round=round_, panelist=panelist))


def test_a_submitted_ballot_needs_a_submission_time() -> None:
    study = small_study()
    round_ = Round.objects.create(study=study, number=1)
    _refused(lambda: Ballot.objects.create(round=round_, panelist=PanelistFactory(study=study), status="submitted"))


def test_round_numbers_start_at_one_and_are_unique() -> None:
    study = small_study()
    _refused(lambda: Round.objects.create(study=study, number=0))
    Round.objects.create(study=study, number=1)
    _refused(lambda: Round.objects.create(study=study, number=1))


def test_emails_and_pseudonyms_are_unique_within_a_panel() -> None:
    study = small_study()
    PanelistFactory(study=study, email="a@example.org", pseudonym="Expert 001")
    _refused(lambda: PanelistFactory(study=study, email="a@example.org"))
    _refused(lambda: PanelistFactory(study=study, pseudonym="Expert 001"))


def test_a_closed_round_cannot_reopen() -> None:
    round_ = Round(number=1, status=Round.Status.CLOSED)
    with pytest.raises(IllegalTransition, match="cannot go from 'closed' to 'open'"):
        round_.move_to(Round.Status.OPEN)


def test_a_draft_round_cannot_skip_to_aggregated() -> None:
    round_ = Round(number=1, status=Round.Status.DRAFT)
    with pytest.raises(IllegalTransition, match="it can go to open"):
        round_.move_to(Round.Status.AGGREGATED)


def test_a_submitted_ballot_can_be_reopened_for_revision() -> None:
    ballot = Ballot(status=Ballot.Status.SUBMITTED)
    ballot.move_to(Ballot.Status.DRAFT)
    assert ballot.status == Ballot.Status.DRAFT


def test_an_item_cannot_replace_itself() -> None:
    study = small_study()
    item = study.items.get(code="C1")
    item.replaces_id = item.pk
    _refused(lambda: item.save())


def test_lineage_root_follows_rewordings_back() -> None:
    study = small_study()
    first = study.items.get(code="C1")
    second = Item.objects.create(
        study=study, code="C1b", kind="claim", section=first.section, text="Reworded", replaces=first
    )
    third = Item.objects.create(
        study=study, code="C1c", kind="claim", section=first.section, text="Again", replaces=second
    )
    assert third.lineage_root() == first
