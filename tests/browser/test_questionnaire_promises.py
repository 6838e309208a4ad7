"""The questionnaire keeps what the expert types, in a real browser (issue 12, item 8): a reason typed
before its rating, text typed just before leaving, Submit with items unanswered, the footer in each
mode, and the required reason's label. The no-JavaScript side is in tests/test_questionnaire_promises.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from surveys.models import Ballot, Panelist, Rating, Round
from surveys.services.panel import panelist_token_rotate
from surveys.services.rounds import round_create, round_open
from tests.factories import consented_panel, small_study
from tests.test_ballots import two_rounds

pytestmark = [pytest.mark.browser]


def _expect() -> Any:
    from playwright.sync_api import expect

    return expect


def _item(page: Any, text: str) -> Any:
    return page.locator("article.item", has_text=text)


def _autosave(response: Any) -> bool:
    return response.url.endswith("/autosave/")


def _open_ballot(page: Any, live_server: Any, panelist: Panelist) -> str:
    """Open a fresh invitation link of a consented expert, begin the current round; the ballot's URL."""
    page.goto(f"{live_server.url}/e/{panelist_token_rotate(panelist=panelist)}/")
    page.goto(f"{live_server.url}/e/round/")
    page.get_by_role("button", name="Begin round").click()
    page.wait_for_url("**/e/ballots/*/")
    return str(page.url)


def _one_round() -> tuple[Round, Panelist]:
    study = small_study("promises")
    return round_open(round=round_create(study=study)), consented_panel(study, ["A"])[0]


def _eventually(check: Callable[[], bool], seconds: float = 10) -> bool:
    """Whether ``check`` holds within ``seconds``: a request sent as the page left has no answer to wait on."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def _rationale(panelist: Panelist, code: str) -> str:
    rating = Rating.objects.filter(ballot__panelist=panelist, round_item__item__code=code).order_by("pk").first()
    return rating.rationale if rating is not None else ""


def test_a_reason_typed_before_the_rating_waits_on_the_page_and_is_saved_with_the_rating(
    transactional_db: None, live_server: Any, page: Any
) -> None:
    expect = _expect()
    _, me = _one_round()
    url = _open_ballot(page, live_server, me)
    saves: list[str] = []
    page.on("request", lambda r: saves.append(r.url) if r.url.endswith("/autosave/") else None)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.type), d.dismiss()))

    c2 = _item(page, "Water is wet.")
    c2.get_by_label("Your reasons for C2").fill("Wet, but only when it rains.")
    # Said at once, beside the field, naming the item; nothing is sent that the server would refuse.
    expect(c2.locator(".field-note")).to_have_text("Choose a rating for item C2 to save this reason.")

    # Leaving now would lose it: the browser asks first (dismissed here, so the page stays).
    page.get_by_role("link", name="A small study").click()
    expect(page).to_have_url(url)
    assert dialogs == ["beforeunload"]
    assert saves == []
    expect(c2.get_by_label("Your reasons for C2")).to_have_value("Wet, but only when it rains.")

    with page.expect_response(_autosave) as response:
        c2.get_by_role("radio", name="4", exact=True).check()
    assert response.value.ok
    expect(c2.locator(".field-note")).to_have_text("")
    page.reload()
    expect(_item(page, "Water is wet.").get_by_label("Your reasons for C2")).to_have_value(
        "Wet, but only when it rains."
    )
    assert _rationale(me, "C2") == "Wet, but only when it rains."


def test_text_typed_then_leaving_at_once_by_a_link_is_saved(
    transactional_db: None, live_server: Any, page: Any
) -> None:
    expect = _expect()
    _, me = _one_round()
    url = _open_ballot(page, live_server, me)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.type), d.dismiss()))
    c1 = _item(page, "The sky is blue.")
    with page.expect_response(_autosave):
        c1.get_by_role("radio", name="7", exact=True).check()

    c1.get_by_label("Your reasons for C1").fill("I looked up today.")
    page.get_by_role("link", name="A small study").click()  # at once: well inside the typing pause
    page.wait_for_url("**/e/welcome/")
    assert dialogs == []  # nothing would be lost, so nothing is asked

    assert _eventually(lambda: _rationale(me, "C1") == "I looked up today.")
    page.goto(url)
    expect(_item(page, "The sky is blue.").get_by_label("Your reasons for C1")).to_have_value("I looked up today.")


def test_text_typed_then_leaving_at_once_by_the_address_bar_is_saved(
    transactional_db: None, live_server: Any, page: Any
) -> None:
    expect = _expect()
    _, me = _one_round()
    url = _open_ballot(page, live_server, me)
    c1 = _item(page, "The sky is blue.")
    with page.expect_response(_autosave):
        c1.get_by_role("radio", name="7", exact=True).check()

    c1.get_by_label("Your reasons for C1").fill("Typed, then off to another site.")  # the field keeps focus
    page.goto(f"{live_server.url}/e/welcome/")

    assert _eventually(lambda: _rationale(me, "C1") == "Typed, then off to another site.")
    page.goto(url)
    expect(_item(page, "The sky is blue.").get_by_label("Your reasons for C1")).to_have_value(
        "Typed, then off to another site."
    )


def test_text_typed_then_closing_the_tab_at_once_is_saved(transactional_db: None, live_server: Any, page: Any) -> None:
    expect = _expect()
    _, me = _one_round()
    url = _open_ballot(page, live_server, me)
    with page.expect_response(_autosave):
        _item(page, "The sky is blue.").get_by_role("radio", name="7", exact=True).check()

    _item(page, "The sky is blue.").get_by_label("Your reasons for C1").fill("Typed, then the tab closed.")
    page.close(run_before_unload=True)  # as the tab's close button does: the page's unload handlers run

    assert _eventually(lambda: _rationale(me, "C1") == "Typed, then the tab closed.")
    again = page.context.new_page()
    again.goto(url)
    expect(_item(again, "The sky is blue.").get_by_label("Your reasons for C1")).to_have_value(
        "Typed, then the tab closed."
    )


def test_submit_with_items_unanswered_asks_first_naming_how_many(
    transactional_db: None, live_server: Any, page: Any
) -> None:
    expect = _expect()
    round_, me = _one_round()
    _open_ballot(page, live_server, me)
    with page.expect_response(_autosave):
        _item(page, "The sky is blue.").get_by_role("radio", name="7", exact=True).check()

    page.get_by_role("button", name="Submit my answers").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("2 of 3 items are unanswered: submit anyway?")
    expect(alert).to_contain_text("Not answered yet: C2, R1.")
    assert Ballot.objects.get(panelist=me, round=round_).status == Ballot.Status.DRAFT

    page.get_by_role("button", name="Submit anyway, with 2 unanswered").click()
    expect(page.get_by_text("Your answers are submitted.").first).to_be_visible()
    assert Ballot.objects.get(panelist=me, round=round_).status == Ballot.Status.SUBMITTED


def test_the_footer_says_what_is_true_with_and_without_javascript(
    transactional_db: None, live_server: Any, page: Any
) -> None:
    expect = _expect()
    _, me = _one_round()
    url = _open_ballot(page, live_server, me)
    expect(page.locator("#save-status")).to_have_text("Your answers are saved as you go.")

    without_js = page.context.browser.new_context(java_script_enabled=False)
    try:
        other = without_js.new_page()
        other.goto(f"{live_server.url}/e/{panelist_token_rotate(panelist=me)}/")
        other.goto(url)
        expect(other.locator("#save-status")).to_have_text(
            "Nothing is saved until you press Save (or Submit my answers)."
        )
    finally:
        without_js.close()


def test_a_required_reasons_label_follows_the_rating_in_and_out_of_the_iqr(
    transactional_db: None, live_server: Any, page: Any
) -> None:
    expect = _expect()
    s = two_rounds(reason="required")
    _open_ballot(page, live_server, s.me)
    c1 = _item(page, "The sky is blue.")
    label = c1.locator(f"label[for=rationale-{s.ri('C1')}]")
    expect(label).to_have_text(
        "Your reasons for C1 (required if your rating is outside the panel's middle half)", use_inner_text=True
    )

    with page.expect_response(_autosave):
        c1.get_by_role("radio", name="9 Strongly agree").check()  # outside [6, 7]
    expect(label).to_have_text("Your reasons for C1 (required)", use_inner_text=True)
    expect(label).not_to_contain_text("optional")
    with page.expect_response(_autosave):
        c1.get_by_role("radio", name="6", exact=True).check()
    expect(label).to_have_text(
        "Your reasons for C1 (required if your rating is outside the panel's middle half)", use_inner_text=True
    )
