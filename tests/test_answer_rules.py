"""The two answer rules (surveys/answer_rules.py), and the page carrying their results as data attributes
so that the questionnaire's script only reads them (issue 19, item 8)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.test import Client

from surveys.answer_rules import is_outside_band, item_is_answered
from surveys.services.rounds import round_create, round_open
from surveys.services.study_files import study_import
from tests.factories import consented_panel, small_study_text
from tests.test_ballots import OPEN_ITEM, two_rounds
from tests.test_expert_views import begin


@pytest.mark.parametrize(
    ("value", "band", "outside"),
    [
        (5, (6.0, 7.0), True),
        (8, (6.0, 7.0), True),
        (6, (6.0, 7.0), False),  # the band is closed: its ends are inside
        (7, (6.0, 7.0), False),
        (6, (6.5, 7.0), True),  # a half-point quartile: 6 lies below it
        (None, (6.0, 7.0), False),  # can't answer is never outside
        (1, None, False),  # no band shown, nothing asks for a reason
    ],
)
def test_a_rating_is_outside_the_band_only_when_a_point_lies_beyond_a_shown_band(
    value: int | None, band: tuple[float, float] | None, outside: bool
) -> None:
    assert is_outside_band(value, band) is outside


def test_a_rated_item_is_answered_once_each_dimension_holds_a_rating() -> None:
    assert not item_is_answered(is_open=False, n_dimensions=2, n_rated=1)
    assert item_is_answered(is_open=False, n_dimensions=2, n_rated=2)
    assert not item_is_answered(is_open=False, n_dimensions=0, n_rated=0)  # nothing to rate: never answered


def test_an_open_question_is_answered_by_more_than_blanks() -> None:
    assert not item_is_answered(is_open=True, open_answer=" \n\t")
    assert item_is_answered(is_open=True, open_answer=" Clouds. ")


class _Inputs(HTMLParser):
    """The page's articles (data-item -> attributes) and rating inputs (id -> attributes)."""

    def __init__(self) -> None:
        super().__init__()
        self.articles: dict[str, dict[str, str | None]] = {}
        self.inputs: dict[str, dict[str, str | None]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "article" and "data-item" in found:
            self.articles[str(found["data-item"])] = found
        elif tag == "input" and found.get("type") == "radio":
            self.inputs[str(found["id"])] = found


def _parsed(html: str) -> _Inputs:
    parser = _Inputs()
    parser.feed(html)
    return parser


@pytest.mark.django_db
def test_each_point_outside_the_previous_iqr_carries_data_outside(client: Client) -> None:
    s = two_rounds(reason="required")
    page = _parsed(client.get(begin(client, s.me, s.second)).content.decode())
    c1, r1 = s.ri("C1"), s.ri("R1")
    outside = {point for point in range(1, 10) if page.inputs[f"r{c1}-agreement-{point}"].get("data-outside") == "1"}
    assert outside == {1, 2, 3, 4, 5, 8, 9}  # round 1's C1 band is [6, 7]
    assert "data-outside" not in page.inputs[f"r{c1}-agreement-na"]  # can't answer never asks
    assert {p for p in range(1, 10) if "data-outside" in page.inputs[f"r{r1}-agreement-{p}"]} == set(range(1, 10)) - {8}
    assert not any("data-outside" in page.inputs[f"r{r1}-feasibility-{p}"] for p in range(1, 6))  # no band shown


@pytest.mark.django_db
def test_no_point_carries_data_outside_when_the_study_asks_no_reason(client: Client) -> None:
    s = two_rounds(reason="off")
    page = _parsed(client.get(begin(client, s.me, s.second)).content.decode())
    assert page.inputs and not any("data-outside" in attrs for attrs in page.inputs.values())


@pytest.mark.django_db
def test_each_item_names_the_fields_that_make_it_answered(client: Client) -> None:
    study = study_import(text=small_study_text("rules") + OPEN_ITEM, filename="rules.yaml").study
    round_ = round_open(round=round_create(study=study))
    me = consented_panel(study, ["A"])[0]
    page = _parsed(client.get(begin(client, me, round_)).content.decode())
    ids = dict(round_.round_items.values_list("item__code", "pk"))
    answered_by = {code: page.articles[str(pk)].get("data-answered-by") for code, pk in ids.items()}
    assert answered_by == {
        "C1": f"r{ids['C1']}-agreement",
        "C2": f"r{ids['C2']}-agreement",
        "R1": f"r{ids['R1']}-agreement r{ids['R1']}-feasibility",
        "O1": f"open-{ids['O1']}",
    }
