"""What the questionnaire page promises is true, with or without JavaScript (issue 12, item 8).

A reason typed before its rating is refused with the typed text shown again (never dropped), and
the message names the item; Submit with items unanswered asks first, naming how many and which;
the footer says what is true without the page's script; a required reason is not labelled optional.
The same page with its script is driven in Chromium in tests/browser/test_questionnaire_promises.py.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client

from surveys.models import Ballot, Panelist, Round
from surveys.services.rounds import round_create, round_open
from tests.factories import consented_panel, small_study
from tests.test_ballots import rate, two_rounds
from tests.test_expert_views import begin, ri

pytestmark = pytest.mark.django_db


class _VisibleText(HTMLParser):
    """The text a reader sees inside the first element whose attributes include ``attrs``: without
    its ``hidden`` parts, whitespace collapsed."""

    VOID = {"input", "br", "img", "meta", "link", "hr", "source", "wbr"}

    def __init__(self, attrs: dict[str, str]) -> None:
        super().__init__()
        self.wanted = attrs
        self.depth = 0  # open elements inside the match (0: outside it)
        self.hidden_at = 0  # the depth at which a hidden part began (0: none)
        self.done = False
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.VOID or self.done:
            return
        found = dict(attrs)
        if self.depth == 0:
            if all(found.get(k) == v for k, v in self.wanted.items()):
                self.depth = 1
            return
        self.depth += 1
        if "hidden" in found and not self.hidden_at:
            self.hidden_at = self.depth

    def handle_endtag(self, tag: str) -> None:
        if self.depth == 0 or tag in self.VOID:
            return
        if self.hidden_at == self.depth:
            self.hidden_at = 0
        self.depth -= 1
        self.done = self.done or self.depth == 0

    def handle_data(self, data: str) -> None:
        if self.depth and not self.hidden_at and not self.done:
            self.parts.append(data)

    @property
    def text(self) -> str:
        return " ".join("".join(self.parts).split())


def visible_text(page: str, **attrs: str) -> str:
    parser = _VisibleText({k.rstrip("_").replace("_", "-"): v for k, v in attrs.items()})  # for_ -> for
    parser.feed(page)
    return parser.text


@pytest.fixture
def open_round() -> tuple[Round, Panelist]:
    study = small_study()
    round_ = round_open(round=round_create(study=study))
    return round_, consented_panel(study, ["A"])[0]


def _all_rated(round_: Round) -> dict[str, str]:
    c1, c2, r1 = ri(round_, "C1"), ri(round_, "C2"), ri(round_, "R1")
    return {f"r{c1}-agreement": "7", f"r{c2}-agreement": "5", f"r{r1}-agreement": "8", f"r{r1}-feasibility": "4"}


# --- what the footer says --------------------------------------------------------------------------


def test_without_javascript_the_footer_says_that_only_save_keeps_the_answers(client: Client, open_round: Any) -> None:
    round_, me = open_round
    page = client.get(begin(client, me, round_)).content.decode()
    footer = visible_text(page, id="save-status")
    assert footer == "Nothing is saved until you press Save (or Submit my answers)."
    assert "saved as you go" not in footer
    # The page's script shows the autosave's promise instead, from the template's words.
    assert 'data-autosave="Your answers are saved as you go."' in page


# --- the reason's label ------------------------------------------------------------------------------


def test_a_required_reason_for_a_rating_outside_the_iqr_is_labelled_required(client: Client) -> None:
    s = two_rounds(reason="required")
    url = begin(client, s.me, s.second)
    rate(s.second, s.me, {("C1", "agreement"): 2, ("C2", "agreement"): 5})  # C1 outside [6, 7]; C2 inside [5, 5]
    page = client.get(url).content.decode()
    assert visible_text(page, for_=f"rationale-{s.ri('C1')}") == "Your reasons for C1 (required)"
    assert visible_text(page, for_=f"rationale-{s.ri('C2')}") == (
        "Your reasons for C2 (required if your rating is outside the panel's middle half)"
    )


def test_a_reason_the_study_never_requires_is_labelled_optional(client: Client) -> None:
    s = two_rounds(reason="optional")
    url = begin(client, s.me, s.second)
    rate(s.second, s.me, {("C1", "agreement"): 2})
    page = client.get(url).content.decode()
    assert visible_text(page, for_=f"rationale-{s.ri('C1')}") == "Your reasons for C1 (optional)"


# --- a reason typed before its rating ----------------------------------------------------------------


def test_a_reason_without_a_rating_is_refused_naming_the_item_and_shown_again(client: Client, open_round: Any) -> None:
    round_, me = open_round
    url = begin(client, me, round_)
    c1, c2 = ri(round_, "C1"), ri(round_, "C2")
    form = {f"r{c1}-agreement": "7", f"rationale-{c2}": "Wet, but only when it rains.", "action": "save"}
    response = client.post(url, form)
    page = response.content.decode()
    assert response.status_code == 400
    assert visible_text(page, id=f"rationale-{c2}-field").endswith(
        "Item C2: choose a rating (or can't answer) to save this reason."
    )
    assert f'name="rationale-{c2}" rows="3"' in page and "Wet, but only when it rains.</textarea>" in page
    assert f'id="r{c1}-agreement-7" value="7" checked' in page  # the rest of the form is shown as typed
    assert not Ballot.objects.get(panelist=me).ratings.exists()  # all or nothing: nothing half-saved

    form[f"r{c2}-agreement"] = "4"  # rated now: the same reason is saved with the rating
    assert client.post(url, form).status_code == 302
    ratings = Ballot.objects.get(panelist=me).ratings
    assert ratings.get(round_item_id=c2).rationale == "Wet, but only when it rains."


def test_the_autosave_refuses_a_reason_without_a_rating_naming_the_item(client: Client, open_round: Any) -> None:
    round_, me = open_round
    url = begin(client, me, round_)
    c2 = ri(round_, "C2")
    response = client.post(f"{url}autosave/", {f"rationale-{c2}": "Wet."})
    assert response.status_code == 400
    assert response.json()["errors"] == {
        f"rationale-{c2}": "Item C2: choose a rating (or can't answer) to save this reason."
    }


def test_the_page_holds_the_words_its_script_shows_beside_a_reason_waiting_for_a_rating(
    client: Client, open_round: Any
) -> None:
    round_, me = open_round
    page = client.get(begin(client, me, round_)).content.decode()
    c2 = ri(round_, "C2")
    assert f'id="rationale-{c2}-note"' in page
    assert 'data-needs-rating="Choose a rating for item C2 to save this reason."' in page


# --- submitting with items unanswered ----------------------------------------------------------------


def test_submit_with_items_unanswered_saves_and_asks_naming_how_many_and_which(client: Client, open_round: Any) -> None:
    round_, me = open_round
    url = begin(client, me, round_)
    c1, r1 = ri(round_, "C1"), ri(round_, "R1")
    response = client.post(url, {f"r{c1}-agreement": "7", f"r{r1}-agreement": "8", "action": "submit"})
    assert response.status_code == 302 and response["Location"] == f"{url}?confirm=submit"
    ballot = Ballot.objects.get(panelist=me)
    assert ballot.status == Ballot.Status.DRAFT  # not submitted yet
    assert ballot.ratings.get(round_item_id=c1).value == 7  # but saved

    page = client.get(response["Location"]).content.decode()
    confirm = visible_text(page, id="confirm-submit")
    assert confirm.startswith("2 of 3 items are unanswered: submit anyway?")
    assert "Not answered yet: C2, R1." in confirm  # R1 has a rating, but not on feasibility
    assert "Submit anyway, with 2 unanswered" in confirm

    response = client.post(url, {f"r{c1}-agreement": "7", "action": "submit-anyway"})
    assert response.status_code == 302 and response["Location"] == url
    assert Ballot.objects.get(panelist=me).status == Ballot.Status.SUBMITTED


def test_submit_with_every_item_answered_asks_nothing(client: Client, open_round: Any) -> None:
    round_, me = open_round
    url = begin(client, me, round_)
    response = client.post(url, {**_all_rated(round_), "action": "submit"})
    assert response.status_code == 302 and response["Location"] == url
    assert Ballot.objects.get(panelist=me).status == Ballot.Status.SUBMITTED


def test_the_confirmation_is_not_shown_once_every_item_is_answered(client: Client, open_round: Any) -> None:
    round_, me = open_round
    url = begin(client, me, round_)
    client.post(url, {**_all_rated(round_), "action": "save"})
    page = client.get(f"{url}?confirm=submit").content.decode()
    assert 'id="confirm-submit"' not in page


def test_a_missing_required_reason_is_refused_before_asking_about_unanswered_items(client: Client) -> None:
    s = two_rounds(reason="required")
    url = begin(client, s.me, s.second)
    c1 = s.ri("C1")
    response = client.post(url, {f"r{c1}-agreement": "2", "action": "submit"})  # outside [6, 7], no reason
    assert response.status_code == 400
    assert "Item C1: your rating lies outside the middle half" in response.content.decode()
    assert 'id="confirm-submit"' not in response.content.decode()

    response = client.post(url, {f"r{c1}-agreement": "2", f"rationale-{c1}": "New evidence.", "action": "submit"})
    assert response["Location"] == f"{url}?confirm=submit"
    page = client.get(response["Location"]).content.decode()
    assert visible_text(page, id="confirm-submit").startswith("2 of 3 items are unanswered: submit anyway?")
