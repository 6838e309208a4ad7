"""The previous round's bands that ask for a reason, computed once per round and read with the round row
(issue 19, "The hot path"): stored when the round opens, refreshed when an earlier round's statistics
are replaced, and read without resolving lineage again."""

from __future__ import annotations

from typing import Any

import pytest

from surveys.models import Round, Study
from surveys.selectors.feedback import previous_iqr
from surveys.services.aggregation import round_aggregate
from surveys.services.ballots import ballot_submit
from surveys.services.round_items import item_reword
from surveys.services.rounds import round_close, round_create, round_open
from surveys.services.withdrawal import panelist_withdraw
from tests.test_ballots import rate, two_rounds

pytestmark = pytest.mark.django_db


def _bands_by_code(round_: Round) -> dict[tuple[str, str], tuple[float, float]]:
    round_ = Round.objects.select_related("study").get(pk=round_.pk)
    codes = dict(round_.round_items.values_list("pk", "item__code"))
    keys = dict(round_.study.dimensions.values_list("pk", "key"))
    return {(codes[ri], keys[dim]): band for (ri, dim), band in previous_iqr(round_).items()}


def test_opening_the_next_round_stores_the_previous_rounds_shown_bands_on_its_row() -> None:
    s = two_rounds()
    stored = Round.objects.get(pk=s.second.pk).reason_bands
    assert stored is not None
    c1, agreement = str(s.ri("C1")), str(s.study.dimensions.get(key="agreement").pk)
    assert stored[c1][agreement] == [6.0, 7.0, 5]  # round 1's C1: 5, 6, 7, 7, 8 (type-7 quartiles), n = 5
    assert _bands_by_code(s.second) == {
        ("C1", "agreement"): (6.0, 7.0),
        ("C2", "agreement"): (5.0, 5.0),
        ("R1", "agreement"): (8.0, 8.0),
    }
    assert Round.objects.get(pk=s.first.pk).reason_bands == {}  # round 1 has no previous round


def test_the_bands_are_read_from_the_round_row_without_a_query(django_assert_num_queries: Any) -> None:
    s = two_rounds()
    round_ = Round.objects.select_related("study").get(pk=s.second.pk)
    with django_assert_num_queries(0):
        bands = previous_iqr(round_)
    assert bands[(s.ri("C1"), s.study.dimensions.get(key="agreement").pk)] == (6.0, 7.0)


def test_a_reworded_item_keeps_the_band_of_its_lineage() -> None:
    s = two_rounds(slug="reworded")
    for panelist, value in zip(s.panel[:3], (2, 3, 4), strict=True):
        rate(s.second, panelist, {("C1", "agreement"): value})
        ballot_submit(panelist=panelist, round=s.second)
    round_close(round=s.second, aggregate=False)
    round_aggregate(round=s.second)
    draft = round_create(study=s.study)
    reworded = item_reword(round=draft, item=s.study.items.get(code="C1"), text="The sky is mostly blue.")
    third = round_open(round=draft)
    assert _bands_by_code(third)[(reworded.code, "agreement")] == (2.5, 3.5)  # round 2's C1: 2, 3, 4


def test_the_bands_follow_the_previous_round_when_its_statistics_are_recomputed() -> None:
    s = two_rounds()
    panelist_withdraw(panelist=s.panel[4], delete_answers=True)  # round 1 re-aggregated without their 8
    assert _bands_by_code(s.second)[("C1", "agreement")] == (5.75, 7.0)  # 5, 6, 7, 7


def test_a_band_from_fewer_ratings_than_the_anonymity_threshold_is_not_one() -> None:
    s = two_rounds()
    Study.objects.filter(pk=s.study.pk).update(min_group_size=6)  # after the bands were stored
    assert _bands_by_code(s.second) == {}


def test_in_live_mode_the_bands_are_still_the_previous_rounds() -> None:
    s = two_rounds(live=True, slug="live")
    rate(s.second, s.panel[1], {("C1", "agreement"): 1})
    assert _bands_by_code(s.second)[("C1", "agreement")] == (6.0, 7.0)


def test_a_round_whose_bands_were_never_stored_computes_them_as_before() -> None:
    s = two_rounds()
    Round.objects.filter(pk=s.second.pk).update(reason_bands=None)
    assert _bands_by_code(s.second)[("C1", "agreement")] == (6.0, 7.0)
