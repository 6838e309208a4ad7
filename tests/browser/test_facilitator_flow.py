"""A facilitator runs the study in a real browser (Chromium driven by Playwright): signs in, closes
round 1, carries its items forward, rewords one, and opens round 2."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from surveys.models import Item, Round
from surveys.services.rounds import round_create, round_open
from tests.factories import answer_round, consented_panel, small_study

pytestmark = [pytest.mark.browser]


def _confirm(page: Any, button: str) -> None:
    page.get_by_label("I have read the above and want to go ahead.").check()
    page.locator("#confirm-form").get_by_role("button", name=button).click()


def test_a_facilitator_closes_round_1_carries_items_forward_rewords_one_and_opens_round_2(
    transactional_db: None, live_server: Any, page: Any
) -> None:
    study = small_study()
    round_1 = round_open(round=round_create(study=study))
    panel = consented_panel(study, ["A", "A", "A", "B"])
    answer_round(
        round_1,
        {  # C1 and R1 reach consensus in; C2 does not
            p: {
                ("C1", "agreement"): 9,
                ("C2", "agreement"): [1, 9, 5, 3][i],
                ("R1", "agreement"): 8,
                ("R1", "feasibility"): 5,
            }
            for i, p in enumerate(panel)
        },
    )
    get_user_model().objects.create_user("facilitator", password="a long facilitator password", is_staff=True)

    # Sign in: the dashboard sends an anonymous visitor to the sign-in page and back.
    page.goto(f"{live_server.url}/facilitate/")
    assert "/admin/login/" in page.url
    page.fill("#id_username", "facilitator")
    page.fill("#id_password", "a long facilitator password")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="A small study").click()
    assert page.locator("#current-title").inner_text() == "Round 1: Open"

    # Close round 1 (its statistics are computed as it closes).
    page.get_by_role("link", name="Close round 1…").click()
    _confirm(page, "Close round 1")
    assert "Round 1 is closed" in page.locator(".messages").inner_text()
    assert page.locator("#current-title").inner_text() == "Round 1: Aggregated"
    assert "No consensus" in page.locator('#statistics tr[data-item="C2"]').inner_text()

    # Carry items forward into a draft round 2: C2 carries over, C1 and R1 are listed as decided.
    page.get_by_role("link", name="Prepare round 2…").click()
    _confirm(page, "Prepare the next round")
    assert page.locator("h1").inner_text() == "Prepare round 2"
    assert page.locator('#items tr[data-item="C2"]').is_visible()
    assert "decided: consensus in" in page.locator('#left-out tr[data-item="C1"]').inner_text()

    # Reword C2: the new wording replaces it in round 2 and keeps its lineage.
    row = page.locator('#items tr[data-item="C2"]')
    row.get_by_text("Reword C2").click()
    row.get_by_label("New wording").fill("Water is wet at room temperature.")
    row.get_by_role("button", name="Save the new wording").click()
    assert "C2 is now C2r2" in page.locator(".messages").inner_text()
    assert "rewords C2" in page.locator('#items tr[data-item="C2r2"]').inner_text()

    # Open round 2.
    page.get_by_role("link", name="Open round 2…").click()
    _confirm(page, "Open round 2")
    assert "Round 2 is open." in page.locator(".messages").inner_text()
    assert page.locator("#current-title").inner_text() == "Round 2: Open"

    round_2 = Round.objects.get(study=study, number=2)
    assert round_2.status == Round.Status.OPEN
    assert [ri.item.code for ri in round_2.round_items.select_related("item")] == ["C2r2"]
    reworded = Item.objects.get(study=study, code="C2r2")
    assert (reworded.text, reworded.replaces.code) == ("Water is wet at room temperature.", "C2")  # type: ignore[union-attr]
