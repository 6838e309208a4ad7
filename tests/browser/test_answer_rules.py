"""The questionnaire's script applies the server's answer rules as it reads them from the page
(``data-answered-by``, ``data-outside``; surveys/answer_rules.py), in a real browser."""

from __future__ import annotations

from typing import Any

import pytest

from surveys.services.panel import panelist_token_rotate
from surveys.services.rounds import round_create, round_open
from surveys.services.study_files import study_import
from tests.factories import consented_panel, small_study_text
from tests.test_ballots import OPEN_ITEM, two_rounds

pytestmark = [pytest.mark.browser]


def _expect() -> Any:
    from playwright.sync_api import expect

    return expect


def _open_ballot(page: Any, live_server: Any, panelist: Any) -> None:
    page.goto(f"{live_server.url}/e/{panelist_token_rotate(panelist=panelist)}/")
    page.goto(f"{live_server.url}/e/round/")
    page.get_by_role("button", name="Begin round").click()
    page.wait_for_url("**/e/ballots/*/")


def _autosave(response: Any) -> bool:
    return response.url.endswith("/autosave/")


def test_a_sections_count_follows_the_fields_each_item_is_answered_by(
    transactional_db: None, live_server: Any, page: Any
) -> None:
    expect = _expect()
    study = study_import(text=small_study_text("rules-browser") + OPEN_ITEM, filename="rules.yaml").study
    round_open(round=round_create(study=study))
    _open_ballot(page, live_server, consented_panel(study, ["A"])[0])
    claims = page.locator("section[data-section]", has_text="Claims").locator("[data-section-answered]")
    recs = page.locator("section[data-section]", has_text="Recommendations").locator("[data-section-answered]")
    r1 = page.locator("article.item", has_text="We should swim.")

    with page.expect_response(_autosave):
        r1.get_by_role("group", name="How far do you agree?").get_by_role("radio", name="8", exact=True).check()
    expect(recs).to_have_text("0")  # one of its two dimensions is rated: not answered yet
    with page.expect_response(_autosave):
        r1.get_by_role("group", name="Feasibility").get_by_role("radio", name="Can't answer").check()
    expect(recs).to_have_text("1")  # can't answer counts as a rating

    answer = page.locator("article.item", has_text="Which claim is missing?").get_by_label("Your answer")
    with page.expect_response(_autosave):
        answer.fill("   ")
        answer.blur()
    expect(claims).to_have_text("0")  # blanks answer nothing
    with page.expect_response(_autosave):
        answer.fill("Clouds.")
        answer.blur()
    expect(claims).to_have_text("1")
    expect(page.locator("#progress-text")).to_have_text("2 of 4 items answered")  # the server's count agrees


def test_the_reason_prompt_follows_the_points_the_server_marked_outside(
    transactional_db: None, live_server: Any, page: Any
) -> None:
    expect = _expect()
    s = two_rounds(reason="optional")
    _open_ballot(page, live_server, s.me)
    c1 = page.locator("article.item", has_text="The sky is blue.")
    prompt = c1.locator(".reason-prompt")
    marked = c1.locator("input[data-outside]")
    expect(marked).to_have_count(7)  # every point but 6 and 7, round 1's middle half
    c1.get_by_role("radio", name="3", exact=True).check()
    expect(prompt).to_be_visible()
    expect(c1).to_have_class("item outside")
    c1.get_by_role("radio", name="Can't answer").check()  # can't answer never asks for a reason
    expect(prompt).to_be_hidden()
    c1.get_by_role("radio", name="3", exact=True).check()
    expect(prompt).to_be_visible()
    c1.get_by_role("radio", name="6", exact=True).check()  # the band's end is inside it
    expect(prompt).to_be_hidden()
