"""The facilitator's actions through the pages: each lifecycle move behind its confirmation, preparing
round 2, the panel (add, new link, revoke, remove), the email wording, and bad input that never 500s."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse

from surveys.models import Item, Panelist, Round, Study, Suggestion
from surveys.models.panel import hash_token
from surveys.services.aggregation import round_aggregate
from surveys.services.panel import panelist_create
from surveys.services.rounds import round_close, round_create, round_next, round_open
from tests.factories import answer_round, consented_panel, small_study

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client: Client) -> Client:
    client.force_login(get_user_model().objects.create_user("facilitator", password="x", is_staff=True))
    return client


def _url(name: str, *args: object) -> str:
    return reverse(f"facilitator:{name}", args=args)


def _messages(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(m) for m in response.context["messages"]] if response.context else []


def _aggregated_round_1(study: Study) -> Round:
    round_ = round_open(round=round_create(study=study))
    panel = consented_panel(study, ["A", "A", "A"])
    answer_round(
        round_,
        {
            p: {
                ("C1", "agreement"): 9,
                ("C2", "agreement"): [1, 9, 5][i],
                ("R1", "agreement"): 8,
                ("R1", "feasibility"): 5,
            }
            for i, p in enumerate(panel)
        },
    )
    round_close(round=round_, aggregate=False)
    round_aggregate(round=round_)
    return round_


# --- lifecycle moves and their confirmation ---------------------------------------------------------------------


def test_a_move_needs_the_confirmation_box_and_changes_nothing_without_it(staff_client: Client) -> None:
    study = small_study()
    page = staff_client.get(_url("round_create", study.slug))
    assert page.status_code == 200 and "Round 1 will hold every item of the study" in page.content.decode()
    refused = staff_client.post(_url("round_create", study.slug), {})
    assert refused.status_code == 400
    assert "Tick the box to confirm." in refused.content.decode()
    assert not study.rounds.exists()


def test_creating_round_one_leads_to_its_preparation_page(staff_client: Client) -> None:
    study = small_study()
    response = staff_client.post(_url("round_create", study.slug), {"confirm": "on"}, follow=True)
    assert response.redirect_chain[-1][0] == _url("round_prepare", study.slug, 1)
    assert "Round 1 was created as a draft" in _messages(response)[0]
    assert list(study.rounds.get().round_items.values_list("item__code", flat=True)) == ["C1", "C2", "R1"]


def test_opening_a_round_with_invitations_freezes_the_rule_and_emails_the_panel(
    staff_client: Client, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    study = small_study()
    round_create(study=study)
    consented_panel(study, ["A", "B"])
    confirm = staff_client.get(_url("round_open", study.slug, 1)).content.decode()
    assert "freezes the consensus rule" in confirm
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            _url("round_open", study.slug, 1),
            {"confirm": "on", "send_invitations": "on", "closes_at": "2099-03-01T18:00"},
            follow=True,
        )
    assert "Round 1 is open until 1 Mar 2099, 18:00 UTC. The invitations are on their way." in _messages(response)
    round_ = study.rounds.get()
    assert round_.status == Round.Status.OPEN and round_.closes_at.year == 2099
    assert Study.objects.get(pk=study.pk).is_rule_frozen
    assert len(mail.outbox) == 2


def test_closing_through_the_page_closes_and_aggregates_the_round(
    staff_client: Client, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    study = small_study()
    round_ = round_open(round=round_create(study=study))
    answer_round(round_, {p: {("C1", "agreement"): 8} for p in consented_panel(study, ["A", "A", "A"])})
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(_url("round_close", study.slug, 1), {"confirm": "on"}, follow=True)
    assert "Round 1 is closed" in _messages(response)[0]
    round_.refresh_from_db()
    assert round_.status == Round.Status.AGGREGATED
    assert round_.study.audit_events.get(action="round.closed").actor_label == "facilitator"


def test_an_illegal_move_through_the_page_says_why_and_changes_nothing(staff_client: Client) -> None:
    study = small_study()
    round_create(study=study)
    response = staff_client.post(_url("round_close", study.slug, 1), {"confirm": "on"})
    assert response.status_code == 400  # the confirmation page again, with the reason
    assert "Round 1 cannot go from &#x27;draft&#x27; to &#x27;closed&#x27;" in response.content.decode()
    assert study.rounds.get().status == Round.Status.DRAFT


def test_a_deadline_that_is_not_a_date_is_a_form_error_not_a_500(staff_client: Client) -> None:
    study = small_study()
    round_create(study=study)
    response = staff_client.post(_url("round_open", study.slug, 1), {"confirm": "on", "closes_at": "next tuesday"})
    assert response.status_code == 400
    assert "Enter a valid date/time." in response.content.decode()
    assert study.rounds.get().status == Round.Status.DRAFT


def test_the_deadline_of_an_open_round_can_be_moved(staff_client: Client) -> None:
    study = small_study()
    round_open(round=round_create(study=study))
    response = staff_client.post(_url("round_deadline", study.slug, 1), {"closes_at": "2099-05-01T09:30"}, follow=True)
    assert "Round 1 now closes on 1 May 2099, 09:30 UTC." in _messages(response)


def test_reminders_are_requested_from_the_dashboard_and_go_to_those_who_have_not_submitted(
    staff_client: Client, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    study = small_study()
    round_ = round_open(round=round_create(study=study))
    done, waiting = consented_panel(study, ["A", "B"])
    answer_round(round_, {done: {("C1", "agreement"): 8}})
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(_url("round_mail", study.slug, 1, "reminders"), {"confirm": "on"})
    assert [m.to for m in mail.outbox] == [[waiting.email]]
    assert staff_client.get(_url("round_mail", study.slug, 1, "spam")).status_code == 404


def test_the_statistics_can_be_recomputed_from_the_page(
    staff_client: Client, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    study = small_study()
    _aggregated_round_1(study)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(_url("round_aggregate", study.slug, 1), {"confirm": "on"}, follow=True)
    assert "being computed" in _messages(response)[0]
    assert study.audit_events.filter(action="round.aggregated").count() == 2


# --- preparing round 2 ------------------------------------------------------------------------------------------


def test_the_next_round_page_creates_the_draft_and_shows_carried_and_decided_items(staff_client: Client) -> None:
    study = small_study()
    _aggregated_round_1(study)
    response = staff_client.post(_url("round_next", study.slug), {"confirm": "on"}, follow=True)
    assert response.redirect_chain[-1][0] == _url("round_prepare", study.slug, 2)
    html = response.content.decode()
    items = html[html.index('id="items"') : html.index('id="left-out"')]
    assert 'data-item="C2"' in items and "no consensus" in items and "33% agree" in items
    left_out = html[html.index('id="left-out"') : html.index('id="suggestions"')]
    assert 'data-item="C1"' in left_out and "decided: consensus in" in left_out


def test_rewording_dropping_and_adding_back_through_the_preparation_page(staff_client: Client) -> None:
    study = small_study()
    _aggregated_round_1(study)
    round_2 = round_next(study=study)
    c1, c2 = Item.objects.get(study=study, code="C1"), Item.objects.get(study=study, code="C2")
    reworded = staff_client.post(
        _url("item_reword", study.slug, 2, c2.pk), {"text": "Water is mostly wet."}, follow=True
    )
    assert "C2 is now C2r2: “Water is mostly wet.”" in _messages(reworded)
    staff_client.post(_url("item_add", study.slug, 2, c1.pk))
    dropped = staff_client.post(_url("item_drop", study.slug, 2, c1.pk), follow=True)
    assert any("C1 was dropped from round 2" in m for m in _messages(dropped))
    assert list(round_2.round_items.values_list("item__code", flat=True)) == ["C2r2"]
    empty = staff_client.post(
        _url("item_reword", study.slug, 2, Item.objects.get(code="C2r2").pk), {"text": ""}, follow=True
    )
    assert "New wording: This field is required." in _messages(empty)[0]


def test_a_suggestion_is_added_with_the_facilitators_choices_and_shown_without_its_author(staff_client: Client) -> None:
    study = small_study()
    _aggregated_round_1(study)
    round_next(study=study)
    author = study.panelists.first()
    suggestion = Suggestion.objects.create(study=study, panelist=author, text="Rain is wet too.")
    page = staff_client.get(_url("round_prepare", study.slug, 2)).content.decode()
    assert "Rain is wet too." in page and author.email not in page and author.pseudonym not in page
    response = staff_client.post(
        _url("suggestion_accept", study.slug, 2, suggestion.pk),
        {
            "code": "C3",
            "kind": "claim",
            "section": study.sections.get(key="claims").pk,
            "dimensions": [study.dimensions.get(key="agreement").pk],
            "text": "Rain is always wet.",
        },
        follow=True,
    )
    assert "The suggestion became C3 in round 2." in _messages(response)
    assert Item.objects.get(study=study, code="C3").text == "Rain is always wet."
    other = Suggestion.objects.create(study=study, text="Snow is cold.")
    staff_client.post(_url("suggestion_reject", study.slug, 2, other.pk))
    other.refresh_from_db()
    assert other.status == Suggestion.Status.REJECTED


def test_the_preparation_page_of_an_open_round_sends_back_to_the_dashboard(staff_client: Client) -> None:
    study = small_study()
    round_open(round=round_create(study=study))
    response = staff_client.get(_url("round_prepare", study.slug, 1), follow=True)
    assert "Round 1 is open; its items can no longer change." in _messages(response)


# --- the panel -------------------------------------------------------------------------------------------------


def _link(html: str) -> str:
    match = re.search(r"/e/([\w-]+)/", html)
    assert match is not None
    return match.group(0)


def _opens(path: str) -> bool:
    """Whether an invitation link belongs to an expert still on the panel (checked against the stored hash)."""
    token = path.removeprefix("/e/").strip("/")
    return Panelist.objects.filter(token_hash=hash_token(token)).exclude(status=Panelist.Status.REVOKED).exists()


def test_adding_an_expert_shows_their_link_once(staff_client: Client) -> None:
    study = small_study()
    response = staff_client.post(_url("panelist_add", study.slug), {"email": "New@Example.org", "group": "Asia"})
    assert response.status_code == 200
    link = _link(response.content.decode())
    panelist = study.panelists.get()
    assert (panelist.email, panelist.group) == ("new@example.org", "Asia")
    assert _opens(link)
    assert link not in staff_client.get(_url("panel", study.slug)).content.decode()


def test_adding_an_expert_twice_or_with_a_bad_email_says_why(staff_client: Client) -> None:
    study = small_study()
    panelist_create(study=study, email="a@example.org")
    twice = staff_client.post(_url("panelist_add", study.slug), {"email": "a@example.org"}, follow=True)
    assert "a@example.org is already on the panel" in _messages(twice)[0]
    bad = staff_client.post(_url("panelist_add", study.slug), {"email": "nope"}, follow=True)
    assert "Enter a valid email address." in _messages(bad)[0]
    assert study.panelists.count() == 1


def test_issuing_a_new_link_replaces_the_old_one(staff_client: Client) -> None:
    study = small_study()
    panelist, old = panelist_create(study=study, email="a@example.org")
    response = staff_client.post(_url("panelist_action", study.slug, panelist.pk, "link"), {"confirm": "on"})
    new = _link(response.content.decode())
    assert not _opens(f"/e/{old}/")
    assert _opens(new)


def test_issuing_a_link_on_the_dashboard_records_the_facilitator_in_the_audit_trail(staff_client: Client) -> None:
    study = small_study()
    panelist, _ = panelist_create(study=study, email="a@example.org")
    staff_client.post(_url("panelist_action", study.slug, panelist.pk, "link"), {"confirm": "on"})
    event = study.audit_events.get(action="panelist.link_issued")
    assert event.actor is not None and event.actor.get_username() == "facilitator"
    assert (event.actor_label, event.detail) == ("facilitator", {"pseudonym": panelist.pseudonym})


def test_revoking_stops_the_link_and_an_expert_with_answers_cannot_be_removed(staff_client: Client) -> None:
    study = small_study()
    round_ = round_open(round=round_create(study=study))
    (answered,) = consented_panel(study, ["A"])
    answer_round(round_, {answered: {("C1", "agreement"): 8}})
    removed = staff_client.post(
        _url("panelist_action", study.slug, answered.pk, "remove"), {"confirm": "on"}, follow=True
    )
    assert (
        "has already answered, so removing them would lose their answers; revoke them instead" in _messages(removed)[0]
    )
    staff_client.post(_url("panelist_action", study.slug, answered.pk, "revoke"), {"confirm": "on"})
    answered.refresh_from_db()
    assert answered.status == Panelist.Status.REVOKED
    again = staff_client.post(
        _url("panelist_action", study.slug, answered.pk, "revoke"), {"confirm": "on"}, follow=True
    )
    assert any("cannot go from 'revoked' to 'revoked'" in m for m in _messages(again))
    link = staff_client.post(_url("panelist_action", study.slug, answered.pk, "link"), {"confirm": "on"}, follow=True)
    assert "a revoked expert gets no new link" in _messages(link)[0]


def test_an_expert_without_answers_can_be_removed(staff_client: Client) -> None:
    study = small_study()
    panelist, _ = panelist_create(study=study, email="a@example.org")
    confirm = staff_client.get(_url("panelist_action", study.slug, panelist.pk, "remove"))
    assert "a@example.org" in confirm.content.decode()
    staff_client.post(_url("panelist_action", study.slug, panelist.pk, "remove"), {"confirm": "on"})
    assert not study.panelists.exists()
    assert study.audit_events.get(action="panelist.removed").detail == {"pseudonym": panelist.pseudonym}


# --- email wording ---------------------------------------------------------------------------------------------------


def test_the_email_wording_is_edited_checked_and_reset(staff_client: Client) -> None:
    study = small_study()
    url = _url("message_edit", study.slug, "reminder")
    assert "Reminder: round {{ round.number }}" in staff_client.get(url).content.decode()
    broken = staff_client.post(url, {"subject": "Hi", "body": "No link here."})
    assert broken.status_code == 400 and "The body must contain {{ link }}" in broken.content.decode()
    staff_client.post(url, {"subject": "Nudge {{ round.number }}", "body": "Go: {{ link }}"})
    assert study.message_templates.get(kind="reminder").subject == "Nudge {{ round.number }}"
    assert "this study's own" in staff_client.get(_url("messages", study.slug)).content.decode()
    staff_client.post(url, {"reset": "1"})
    assert not study.message_templates.exists()


# --- bad input -------------------------------------------------------------------------------------------------


def test_unknown_studies_rounds_items_and_actions_are_404s_not_500s(staff_client: Client) -> None:
    study, other = small_study(), small_study("other-study")
    round_create(study=study)
    foreign = Item.objects.get(study=other, code="C1")
    assert staff_client.get(_url("study", "no-such-study")).status_code == 404
    assert staff_client.get(_url("round_open", study.slug, 9)).status_code == 404
    assert staff_client.post(_url("item_drop", study.slug, 1, foreign.pk)).status_code == 404
    assert staff_client.get(_url("panelist_action", study.slug, 1, "explode")).status_code == 404
    assert staff_client.get(_url("message_edit", study.slug, "spam")).status_code == 404
    assert staff_client.get(_url("item_drop", study.slug, 1, foreign.pk)).status_code == 405


def test_a_state_change_without_a_csrf_token_is_refused() -> None:
    study = small_study()
    round_open(round=round_create(study=study))
    client = Client(enforce_csrf_checks=True)
    client.force_login(get_user_model().objects.create_user("facilitator", password="x", is_staff=True))
    assert client.post(_url("round_close", study.slug, 1), {"confirm": "on"}).status_code == 403
    assert study.rounds.get().status == Round.Status.OPEN
