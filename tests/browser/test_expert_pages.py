"""The expert's pages in a real browser (Debian's Chromium through Playwright): the whole round-1 path
from the invitation link to submission, round-2 feedback and the reason prompt, axe-core, and 375 px."""

from __future__ import annotations

from typing import Any

import pytest

from surveys.models import Ballot, Panelist, Rating
from surveys.services.panel import panelist_create, panelist_token_rotate
from surveys.services.rounds import round_create, round_open
from surveys.services.study_files import study_import
from tests.browser.conftest import axe_serious_violations
from tests.factories import small_study_text
from tests.test_ballots import OPEN_ITEM, two_rounds

# The database fixture comes before live_server in each test's arguments, so the live server stops
# before the test database is dropped.
pytestmark = [pytest.mark.browser]


def _expect() -> Any:
    from playwright.sync_api import expect

    return expect


def _item(page: Any, text: str) -> Any:
    return page.locator("article.item", has_text=text)


def _to_questionnaire(page: Any, live_server: Any, panelist: Panelist, round_number: int) -> None:
    """Open a fresh invitation link of a consented expert and go to their ballot."""
    page.goto(f"{live_server.url}/e/{panelist_token_rotate(panelist=panelist)}/")
    page.get_by_role("link", name=f"Go to round {round_number}").click()
    page.get_by_role("button", name=f"Begin round {round_number}").click()
    page.wait_for_url("**/e/ballots/*/")


def test_an_expert_opens_the_link_consents_rates_reloads_and_submits(
    transactional_db: None, live_server: Any, page: Any
) -> None:
    expect = _expect()
    study = study_import(text=small_study_text("browser-study") + OPEN_ITEM, filename="browser.yaml").study
    round_open(round=round_create(study=study))
    panelist, raw = panelist_create(study=study, email="expert@example.org")

    page.goto(f"{live_server.url}/e/{raw}/")
    assert page.url == f"{live_server.url}/e/welcome/"  # the token is not kept in the address
    expect(page.get_by_role("heading", name="About this study")).to_be_visible()
    page.get_by_role("button", name="I agree, continue").click()
    page.get_by_label("Your background").fill("Economist")  # the group is the facilitator's: no field
    page.get_by_label("Years of experience in this field").fill("12")
    page.get_by_role("group", name="Claims").get_by_label("4").check()
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_role("button", name="Begin round 1").click()
    expect(page.locator("#progress-text")).to_have_text("0 of 4 items answered")

    c1 = _item(page, "The sky is blue.")
    with page.expect_response(lambda r: r.url.endswith("/autosave/")):
        c1.get_by_role("radio", name="7", exact=True).check()
    with page.expect_response(lambda r: r.url.endswith("/autosave/")):
        page.keyboard.press("ArrowRight")  # radios work by keyboard: 7 → 8
    expect(c1.get_by_role("radio", name="8", exact=True)).to_be_checked()
    with page.expect_response(lambda r: r.url.endswith("/autosave/")):
        c1.get_by_label("Your reasons for C1").fill("I looked up today.")
    r1 = _item(page, "We should swim.")
    with page.expect_response(lambda r: r.url.endswith("/autosave/")):
        r1.get_by_role("group", name="How far do you agree?").get_by_role("radio", name="Can't answer").check()
    with page.expect_response(lambda r: r.url.endswith("/autosave/")):
        r1.get_by_role("group", name="Feasibility").get_by_role("radio", name="5 Very feasible").check()
    with page.expect_response(lambda r: r.url.endswith("/autosave/")):
        _item(page, "Which claim is missing?").get_by_label("Your answer").fill("Clouds.")
    expect(page.locator("#save-status")).to_contain_text("Saved at")
    expect(page.locator("#progress-text")).to_have_text("3 of 4 items answered")

    page.reload()  # a closed tab or a reload loses nothing: the draft is in the database
    c1 = _item(page, "The sky is blue.")
    expect(c1.get_by_role("radio", name="8", exact=True)).to_be_checked()
    expect(c1.get_by_label("Your reasons for C1")).to_have_value("I looked up today.")
    expect(_item(page, "We should swim.").get_by_role("radio", name="5 Very feasible")).to_be_checked()
    expect(_item(page, "Which claim is missing?").get_by_label("Your answer")).to_have_value("Clouds.")
    expect(page.locator("#progress-text")).to_have_text("3 of 4 items answered")

    page.get_by_role("button", name="Submit my answers").click()
    expect(page.get_by_role("alert")).to_contain_text("1 of 4 items is unanswered: submit anyway?")
    page.get_by_role("button", name="Submit anyway").click()
    expect(page.get_by_text("Your answers are submitted.").first).to_be_visible()
    expect(page.get_by_role("button", name="Revise my answers")).to_be_visible()
    assert raw not in page.url
    ballot = Ballot.objects.get(panelist=panelist)
    assert ballot.status == Ballot.Status.SUBMITTED
    assert Rating.objects.get(ballot=ballot, round_item__item__code="C1").value == 8
    panelist.refresh_from_db()
    assert (panelist.background, panelist.years_experience, panelist.expertise) == ("Economist", 12, {"claims": 4})


def test_in_round_two_the_expert_sees_feedback_and_is_asked_for_a_reason_outside_the_iqr(
    transactional_db: None, live_server: Any, page: Any
) -> None:
    expect = _expect()
    s = two_rounds(reason="required")
    _to_questionnaire(page, live_server, s.me, 2)
    c1 = _item(page, "The sky is blue.")
    expect(c1.locator("svg.chart[role=img] title")).to_contain_text("median 7, middle half from 6 to 7")
    expect(c1.locator(".feedback-figures")).to_contain_text("your previous rating: 5")
    expect(c1.get_by_text("Reasons other experts gave (2)")).to_be_visible()
    prompt = c1.locator(".reason-prompt")
    expect(prompt).to_be_hidden()

    c1.get_by_role("radio", name="9 Strongly agree").check()  # outside [6, 7]: asked at once
    expect(prompt).to_be_visible()
    c1.get_by_role("radio", name="6", exact=True).check()
    expect(prompt).to_be_hidden()
    with page.expect_response(lambda r: r.url.endswith("/autosave/")):
        c1.get_by_role("radio", name="2", exact=True).check()
    expect(prompt).to_be_visible()

    page.get_by_role("button", name="Submit my answers").click()  # no reason yet: refused
    expect(page.get_by_role("alert")).to_contain_text("Item C1: your rating lies outside the middle half")
    assert Ballot.objects.get(panelist=s.me, round=s.second).status == Ballot.Status.DRAFT
    c1 = _item(page, "The sky is blue.")
    expect(c1.get_by_role("radio", name="2", exact=True)).to_be_checked()
    # Typing and then pressing Submit at once, as people do: the blur's autosave and the submit overlap.
    c1.get_by_label("Your reasons for C1").fill("The new report changed my view.")
    page.get_by_role("button", name="Submit my answers").click()
    page.get_by_role("button", name="Submit anyway").click()  # C2 and R1 are unanswered: asked first
    expect(page.get_by_text("Your answers are submitted.").first).to_be_visible()
    ballot = Ballot.objects.get(panelist=s.me, round=s.second)
    assert ballot.status == Ballot.Status.SUBMITTED
    assert ballot.ratings.get(round_item__item__code="C1").rationale == "The new report changed my view."


def test_the_expert_pages_have_no_serious_accessibility_violations(
    transactional_db: None, live_server: Any, page: Any, axe_source: str
) -> None:
    s = two_rounds(reason="required")
    _, raw = panelist_create(study=s.study, email="new@example.org")
    checked = {}
    page.goto(f"{live_server.url}/e/{raw}/")
    checked["welcome and consent"] = axe_serious_violations(page, axe_source)
    page.get_by_role("button", name="I agree, continue").click()
    checked["profile"] = axe_serious_violations(page, axe_source)
    page.get_by_role("button", name="Save and continue").click()
    checked["round page"] = axe_serious_violations(page, axe_source)
    page.get_by_role("button", name="Begin round 2").click()
    _item(page, "The sky is blue.").get_by_role("radio", name="9 Strongly agree").check()
    checked["questionnaire with feedback"] = axe_serious_violations(page, axe_source)

    first_round = Ballot.objects.get(panelist=s.me, round=s.first)
    other = page.context.new_page()
    other.goto(f"{live_server.url}/e/{panelist_token_rotate(panelist=s.me)}/")
    other.goto(f"{live_server.url}/e/ballots/{first_round.pk}/")  # round 1: closed, read-only
    checked["closed questionnaire"] = axe_serious_violations(other, axe_source)
    assert {where: found for where, found in checked.items() if found} == {}


def test_the_questionnaire_works_at_375_pixels_with_visible_focus(
    transactional_db: None, live_server: Any, page: Any
) -> None:
    expect = _expect()
    page.set_viewport_size({"width": 375, "height": 800})
    s = two_rounds()
    _to_questionnaire(page, live_server, s.me, 2)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scrolling
    c1 = _item(page, "The sky is blue.")
    radio = c1.get_by_role("radio", name="8", exact=True)
    box = radio.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375
    c1.get_by_label("Your reasons for C1").focus()
    page.keyboard.press("Shift+Tab")  # back into C1's last scale, by keyboard
    focused = page.evaluate(
        "() => { const el = document.activeElement; const label = el.closest('label');"
        " return [el.type, getComputedStyle(label).outlineStyle, getComputedStyle(label).outlineWidth]; }"
    )
    assert focused[0] == "radio" and focused[1] != "none" and focused[2] != "0px"
    page.keyboard.press("Space")
    expect(page.locator("#save-status")).to_contain_text("Saved at")
