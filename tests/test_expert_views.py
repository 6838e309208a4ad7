"""The expert's pages: the invitation link and its session, consent and profile, the questionnaire in
every state, autosave, bad input, open questions, controlled feedback, live mode and the query budget."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from surveys.expert_language import SESSION_LANGUAGE_KEY
from surveys.models import Ballot, ItemStatistic, Panelist, Rating, Round, Study, Suggestion
from surveys.models.ballots import RATIONALE_MAX_LENGTH
from surveys.services.aggregation import round_aggregate
from surveys.services.ballots import ballot_start, ballot_submit
from surveys.services.panel import panelist_create
from surveys.services.round_items import item_reword
from surveys.services.rounds import round_close, round_create, round_open
from surveys.services.study_files import study_import
from surveys.views.expert import SESSION_KEY, SESSION_LINK_KEY
from tests.factories import answer_round, consented_panel, small_study, small_study_text
from tests.test_ballots import C1_ROUND_ONE, OPEN_ITEM, OTHERS_REASONS, TwoRounds, rate, two_rounds

pytestmark = pytest.mark.django_db


def enter(client: Client, panelist: Panelist) -> None:
    """Open a session for ``panelist`` the way the invitation link does (a fresh token)."""
    from surveys.services.panel import panelist_token_rotate

    response = client.get(f"/e/{panelist_token_rotate(panelist=panelist)}/")
    assert response.status_code == 302


def begin(client: Client, panelist: Panelist, round_: Round) -> str:
    """The URL of the panelist's ballot in ``round_`` (begun through the round page)."""
    enter(client, panelist)
    response = client.post("/e/round/")
    assert response.status_code == 302, response.content
    assert Ballot.objects.filter(panelist=panelist, round=round_).exists()
    return response["Location"]


@pytest.fixture
def open_round() -> tuple[Round, Panelist]:
    study = small_study()
    round_ = round_open(round=round_create(study=study))
    return round_, consented_panel(study, ["A"])[0]


def ri(round_: Round, code: str) -> int:
    return round_.round_items.get(item__code=code).pk


# --- the link and its session ------------------------------------------------------------------------


def test_the_link_opens_a_session_holding_the_panelist_id_and_link_fingerprint_not_the_token(client: Client) -> None:
    study = small_study()
    panelist, raw = panelist_create(study=study, email="a@example.org")
    client.get("/")  # a session may exist before the link is opened
    before = client.session.session_key
    response = client.get(f"/e/{raw}/")
    assert response.status_code == 302 and response["Location"] == "/e/welcome/"
    session = client.session
    link = panelist.token_issued_at.isoformat()  # and the language its pages are in, for the autosave
    assert dict(session.items()) == {SESSION_KEY: panelist.pk, SESSION_LINK_KEY: link, SESSION_LANGUAGE_KEY: "en"}
    assert session.session_key != before
    assert raw not in str(dict(session.items()))
    welcome = client.get("/e/welcome/")
    assert "Two claims and one recommendation." in welcome.content.decode()
    assert raw not in welcome.content.decode()


def test_an_expired_link_gets_the_same_page_as_an_unknown_one(client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    study = small_study()
    panelist, raw = panelist_create(study=study, email="a@example.org")
    Panelist.objects.filter(pk=panelist.pk).update(
        token_issued_at=timezone.now() - timedelta(days=settings.DELPHI_TOKEN_MAX_AGE_DAYS + 1)
    )
    expired = client.get(f"/e/{raw}/")
    unknown = client.get("/e/" + "x" * 43 + "/")
    assert expired.status_code == unknown.status_code == 404
    assert expired.content == unknown.content
    assert SESSION_KEY not in client.session


def test_the_expert_pages_without_a_session_say_it_ended_and_how_to_get_back_in(client: Client) -> None:
    for url in ("/e/welcome/", "/e/profile/", "/e/round/", "/e/ballots/1/"):
        response = client.get(url)
        assert response.status_code == 404
        assert "Your session has ended" in response.content.decode()
        assert "open the personal link in the most recent email" in response.content.decode()


def test_revoking_a_panelist_ends_their_open_session(client: Client, open_round) -> None:  # type: ignore[no-untyped-def]
    _, me = open_round
    enter(client, me)
    Panelist.objects.filter(pk=me.pk).update(status=Panelist.Status.REVOKED)
    assert client.get("/e/welcome/").status_code == 404


# --- consent and profile -------------------------------------------------------------------------------


def test_consent_is_recorded_and_leads_to_the_profile(client: Client) -> None:
    study = small_study()
    panelist, raw = panelist_create(study=study, email="a@example.org")
    page = client.get(f"/e/{raw}/", follow=True).content.decode()
    assert "I agree, continue" in page
    assert client.get("/e/round/")["Location"] == "/e/welcome/"  # no questionnaire before consent
    response = client.post("/e/consent/")
    assert response["Location"] == "/e/profile/"
    panelist.refresh_from_db()
    assert panelist.consent_at is not None


def test_the_profile_saves_background_years_and_expertise_per_section(client: Client, open_round) -> None:  # type: ignore[no-untyped-def]
    _, me = open_round
    enter(client, me)
    page = client.get("/e/profile/").content.decode()
    assert "Claims" in page and "Recommendations" in page
    response = client.post(
        "/e/profile/",
        {"background": "Border economist", "years_experience": "15", "expertise-claims": "4", "expertise-recs": ""},
    )
    assert response["Location"] == "/e/round/"
    me.refresh_from_db()
    assert (me.background, me.years_experience, me.expertise) == ("Border economist", 15, {"claims": 4})


def test_the_profile_refuses_expertise_outside_one_to_five_with_a_message(client: Client, open_round) -> None:  # type: ignore[no-untyped-def]
    _, me = open_round
    enter(client, me)
    response = client.post("/e/profile/", {"years_experience": "200", "expertise-claims": "9"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Select a valid choice" in page and "less than or equal to 80" in page
    me.refresh_from_db()
    assert me.expertise == {} and me.years_experience is None


# --- the questionnaire in each state ---------------------------------------------------------------------


def test_the_round_page_offers_to_begin_and_a_post_begins_the_ballot(client: Client, open_round) -> None:  # type: ignore[no-untyped-def]
    round_, me = open_round
    enter(client, me)
    assert "Begin round 1" in client.get("/e/round/").content.decode()
    assert not Ballot.objects.exists()  # looking is not answering
    url = begin(client, me, round_)
    assert client.get("/e/round/")["Location"] == url


def test_a_draft_shows_saved_answers_grouped_by_section_with_progress(client: Client, open_round) -> None:  # type: ignore[no-untyped-def]
    round_, me = open_round
    url = begin(client, me, round_)
    rate(round_, me, {("C1", "agreement"): 7}, {"C1": "I have seen it."})
    response = client.get(url)
    page = response.content.decode()
    assert response.status_code == 200
    c1 = ri(round_, "C1")
    assert f'id="r{c1}-agreement-7" value="7" checked' in page
    assert "I have seen it.</textarea>" in page
    assert "1 of 3 items answered" in page
    assert page.index(">Claims") < page.index("The sky is blue.") < page.index(">Recommendations")
    assert f'maxlength="{RATIONALE_MAX_LENGTH}"' in page
    assert "csrfmiddlewaretoken" in page and 'data-autosave-url="' in page
    assert "Strongly disagree" in page and "Can't answer" in page


def test_the_save_button_saves_the_whole_form_without_javascript(client: Client, open_round) -> None:  # type: ignore[no-untyped-def]
    round_, me = open_round
    url = begin(client, me, round_)
    c1, r1 = ri(round_, "C1"), ri(round_, "R1")
    form = {
        f"r{c1}-agreement": "8",
        f"rationale-{c1}": "Seen it.",
        f"r{r1}-agreement": "na",
        f"r{r1}-feasibility": "",
        f"rationale-{r1}": "",
        "action": "save",
    }
    response = client.post(url, form, follow=True)
    assert "Your answers are saved." in response.content.decode()
    ballot = Ballot.objects.get(panelist=me)
    assert sorted(ballot.ratings.values_list("round_item__item__code", "dimension__key", "value", "rationale")) == [
        ("C1", "agreement", 8, "Seen it."),
        ("R1", "agreement", None, ""),
    ]


def test_submitting_marks_the_ballot_submitted_and_offers_to_revise(client: Client, open_round) -> None:  # type: ignore[no-untyped-def]
    round_, me = open_round
    url = begin(client, me, round_)
    c1, c2, r1 = ri(round_, "C1"), ri(round_, "C2"), ri(round_, "R1")
    every_item = {f"r{c1}-agreement": "8", f"r{c2}-agreement": "5", f"r{r1}-agreement": "na", f"r{r1}-feasibility": "4"}
    response = client.post(url, {**every_item, "action": "submit"}, follow=True)  # unanswered ones: asked first
    page = response.content.decode()
    assert Ballot.objects.get(panelist=me).status == Ballot.Status.SUBMITTED
    assert "Your answers are submitted." in page and "Revise my answers" in page
    assert "disabled" in page and "data-autosave-url" not in page


def test_revise_reopens_a_submitted_ballot_until_the_round_closes(client: Client, open_round) -> None:  # type: ignore[no-untyped-def]
    round_, me = open_round
    url = begin(client, me, round_)
    rate(round_, me, {("C1", "agreement"): 7})
    ballot_submit(panelist=me, round=round_)
    page = client.post(f"{url}reopen/", follow=True).content.decode()
    assert Ballot.objects.get(panelist=me).status == Ballot.Status.DRAFT
    assert "Submit my answers" in page


def test_a_closed_round_shows_the_answers_read_only_and_says_so(client: Client, open_round) -> None:  # type: ignore[no-untyped-def]
    round_, me = open_round
    url = begin(client, me, round_)
    rate(round_, me, {("C1", "agreement"): 7})
    round_close(round=round_, aggregate=False)
    page = client.get(url).content.decode()
    assert "This round is closed." in page
    assert 'value="7" checked disabled' in page
    assert "Submit my answers" not in page and "Revise my answers" not in page
    assert client.get("/e/round/")["Location"] == url


def test_a_closed_round_without_a_ballot_says_it_is_closed(client: Client, open_round) -> None:  # type: ignore[no-untyped-def]
    round_, me = open_round
    round_close(round=round_, aggregate=False)
    enter(client, me)
    page = client.get("/e/round/").content.decode()
    assert "Round 1 is closed" in page and "Begin round" not in page


def test_another_experts_ballot_is_not_found(client: Client, open_round) -> None:  # type: ignore[no-untyped-def]
    round_, me = open_round
    other = consented_panel(round_.study, ["B"])[0]
    theirs = ballot_start(panelist=other, round=round_)
    rate(round_, other, {("C1", "agreement"): 2})
    enter(client, me)
    c1 = ri(round_, "C1")
    assert client.get(f"/e/ballots/{theirs.pk}/").status_code == 404
    assert client.post(f"/e/ballots/{theirs.pk}/", {f"r{c1}-agreement": "9"}).status_code == 404
    assert client.post(f"/e/ballots/{theirs.pk}/autosave/", {f"r{c1}-agreement": "9"}).status_code == 404
    assert client.post(f"/e/ballots/{theirs.pk}/reopen/").status_code == 404
    assert Rating.objects.get(ballot=theirs).value == 2
    assert not Ballot.objects.filter(panelist=me).exists()


# --- autosave and bad input --------------------------------------------------------------------------------


def test_autosave_saves_one_item_and_returns_the_progress(client: Client, open_round) -> None:  # type: ignore[no-untyped-def]
    round_, me = open_round
    url = begin(client, me, round_)
    r1 = ri(round_, "R1")
    response = client.post(
        f"{url}autosave/", {f"r{r1}-agreement": "7", f"r{r1}-feasibility": "2", f"rationale-{r1}": "Hm"}
    )
    assert response.status_code == 200
    assert response.json() == {"message": "Saved.", "answered": 1, "total": 3}
    assert _values(me) == {("R1", "agreement"): 7, ("R1", "feasibility"): 2}


def test_autosave_needs_the_csrf_token(open_round) -> None:  # type: ignore[no-untyped-def]
    round_, me = open_round
    client = Client(enforce_csrf_checks=True)
    enter(client, me)
    ballot = ballot_start(panelist=me, round=round_)
    response = client.post(f"/e/ballots/{ballot.pk}/autosave/", {f"r{ri(round_, 'C1')}-agreement": "7"})
    assert response.status_code == 403
    assert not Rating.objects.exists()


def _values(panelist: Panelist) -> dict[tuple[str, str], int | None]:
    rows = Rating.objects.filter(ballot__panelist=panelist).values_list(
        "round_item__item__code", "dimension__key", "value"
    )
    return {(code, key): value for code, key, value in rows}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("r{c2}-agreement", "10", "10 is outside the scale; choose 1 to 9, or can't answer."),
        ("r{c2}-agreement", "seven", "is not a rating"),
        ("r999999-agreement", "5", "Item #999999 is not part of round 1."),
        ("r{c2}-feasibility", "3", "Item C2 is not rated on 'feasibility'."),
        ("rationale-{c1}", "x" * (RATIONALE_MAX_LENGTH + 1), f"the limit is {RATIONALE_MAX_LENGTH}"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_else_is_lost(
    client: Client,
    open_round,  # type: ignore[no-untyped-def]
    field: str,
    value: str,
    message: str,
) -> None:
    round_, me = open_round
    url = begin(client, me, round_)
    c1, c2 = ri(round_, "C1"), ri(round_, "C2")
    rate(round_, me, {("C1", "agreement"): 7, ("C2", "agreement"): 3})
    name = field.format(c1=c1, c2=c2)
    autosave = client.post(f"{url}autosave/", {f"r{c1}-agreement": "2", name: value})
    assert autosave.status_code == 400
    assert message in " ".join(autosave.json()["errors"].values())
    page = client.post(url, {f"r{c1}-agreement": "2", name: value, "action": "save"})
    assert page.status_code == 400
    text = page.content.decode()
    assert "Some answers need your attention" in text
    assert f'id="r{c1}-agreement-2" value="2" checked' in text  # what was typed is still on the page
    assert _values(me) == {("C1", "agreement"): 7, ("C2", "agreement"): 3}


def test_a_post_to_a_closed_round_is_refused_with_a_message(client: Client, open_round) -> None:  # type: ignore[no-untyped-def]
    round_, me = open_round
    url = begin(client, me, round_)
    rate(round_, me, {("C1", "agreement"): 7})
    round_close(round=round_, aggregate=False)
    c1 = ri(round_, "C1")
    autosave = client.post(f"{url}autosave/", {f"r{c1}-agreement": "2"})
    assert autosave.status_code == 409 and "Round 1 is closed" in autosave.json()["message"]
    page = client.post(url, {f"r{c1}-agreement": "2", "action": "save"})
    assert page.status_code == 409
    assert "answers can no longer change" in page.content.decode()
    assert _values(me) == {("C1", "agreement"): 7}


def test_a_submitted_ballot_refuses_autosave_until_reopened(client: Client, open_round) -> None:  # type: ignore[no-untyped-def]
    round_, me = open_round
    url = begin(client, me, round_)
    rate(round_, me, {("C1", "agreement"): 7})
    ballot_submit(panelist=me, round=round_)
    response = client.post(f"{url}autosave/", {f"r{ri(round_, 'C1')}-agreement": "2"})
    assert response.status_code == 409 and "reopen it" in response.json()["message"]
    assert _values(me) == {("C1", "agreement"): 7}


# --- open questions --------------------------------------------------------------------------------------


def test_an_open_question_is_a_textarea_whose_answer_becomes_a_suggestion(client: Client) -> None:
    study = study_import(text=small_study_text("open-study") + OPEN_ITEM, filename="open.yaml").study
    round_ = round_open(round=round_create(study=study))
    me = consented_panel(study, ["A"])[0]
    url = begin(client, me, round_)
    o1 = ri(round_, "O1")
    assert f'<textarea id="open-{o1}" name="open-{o1}" rows="4" maxlength="4000"' in client.get(url).content.decode()
    assert client.post(f"{url}autosave/", {f"open-{o1}": "Ask about the sea."}).json()["answered"] == 1
    too_long = client.post(f"{url}autosave/", {f"open-{o1}": "x" * 4001})
    assert too_long.status_code == 400 and "the limit is 4000" in too_long.json()["errors"][f"open-{o1}"]
    suggestion = Suggestion.objects.get()
    assert (suggestion.text, suggestion.prompt_item.code, suggestion.panelist) == ("Ask about the sea.", "O1", me)


# --- controlled feedback -------------------------------------------------------------------------------


def _feedback_page(client: Client, s: TwoRounds) -> str:
    url = begin(client, s.me, s.second)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_round_two_shows_the_panels_feedback_for_each_item(client: Client) -> None:
    s = two_rounds()
    page = _feedback_page(client, s)
    assert "Feedback from round 1" in page
    assert "median <strong>7</strong>, middle half 6–7" in page
    assert "60% agree" in page  # 7, 7 and 8 of 5, 6, 7, 7, 8 fall in the agree band 7–9
    assert "verdict so far: no consensus yet" in page  # cos needs 70%
    assert "your previous rating: 5" in page
    assert '<svg class="chart" role="img" aria-labelledby=' in page and "<title id=" in page
    assert "how many experts chose each rating</caption>" in page
    c1 = s.ri("C1")
    assert f'id="r{c1}-agreement-8" value="8" data-outside="1"' in page  # outside round 1's [6, 7]
    assert f'id="r{c1}-agreement-7" value="7">' in page
    assert f'<label class="point in-band median" for="r{c1}-agreement-7">' in page


def test_the_others_rationales_are_shown_without_names_and_without_the_experts_own(client: Client) -> None:
    s = two_rounds()
    page = _feedback_page(client, s)
    assert "Reasons other experts gave (2)" in page
    assert page.index(OTHERS_REASONS[0]) < page.index(OTHERS_REASONS[1])  # sorted, not in the order they came
    assert "My own reason from round one." not in page
    for panelist in s.panel:
        assert panelist.pseudonym not in page and panelist.email not in page


def test_feedback_follows_a_reworded_item_back_to_its_earlier_wording(client: Client) -> None:
    s = two_rounds()
    # A third round rewording C1 as C1b: the feedback of round 2 must come from C1's lineage.
    answer_round(s.second, {p: {("C1", "agreement"): v} for p, v in zip(s.panel, C1_ROUND_ONE, strict=True)})
    round_close(round=s.second, aggregate=False)
    round_aggregate(round=s.second)
    third = round_create(study=s.study)
    reworded = item_reword(round=third, item=s.study.items.get(code="C1"), text="The sky looks blue.", code="C1b")
    round_open(round=third)
    url = begin(client, s.me, third)
    page = client.get(url).content.decode()
    assert reworded.replaces.code == "C1"
    assert "The sky looks blue." in page and "Feedback from round 2" in page
    assert "median <strong>7</strong>, middle half 6–7" in page


def test_feedback_is_withheld_when_fewer_than_the_minimum_rated(client: Client) -> None:
    s = two_rounds()
    Study.objects.filter(pk=s.study.pk).update(min_group_size=6)
    page = _feedback_page(client, s)
    assert "fewer than 6 experts rated it" in page
    assert "<svg" not in page and OTHERS_REASONS[0] not in page


def test_a_rating_outside_the_iqr_asks_for_a_reason_on_the_page(client: Client) -> None:
    s = two_rounds(reason="required")
    url = begin(client, s.me, s.second)
    c1 = s.ri("C1")
    page = client.post(url, {f"r{c1}-agreement": "9", f"rationale-{c1}": "", "action": "submit"}, follow=True)
    text = page.content.decode()
    assert page.status_code == 400
    assert "Item C1: your rating lies outside the middle half" in text
    assert f'<p class="reason-prompt" id="rationale-{c1}-prompt">' in text  # shown, not hidden
    ballot = Ballot.objects.get(panelist=s.me, round=s.second)
    assert ballot.status == Ballot.Status.DRAFT and _rating_value(ballot, "C1") == 9  # the answer is kept


def test_no_reason_is_asked_when_the_study_switches_it_off(client: Client) -> None:
    s = two_rounds(reason="off")
    page = _feedback_page(client, s)
    assert "reason-prompt" not in page and "data-outside" not in page


def _rating_value(ballot: Ballot, code: str) -> int | None:
    return ballot.ratings.get(round_item__item__code=code, dimension__key="agreement").value


# --- live mode ----------------------------------------------------------------------------------------


def _live_statistic(round_: Round, code: str, n: int) -> None:
    round_item = round_.round_items.get(item__code=code)
    ItemStatistic.objects.create(
        round=round_,
        round_item=round_item,
        dimension=round_item.item.dimensions.get(key="agreement"),
        group="",
        n=n,
        abstentions=0,
        median=4.0,
        q1=3.0,
        q3=5.0,
        iqr=2.0,
        pct_agree=0.25,
        verdict="none",
        distribution={"3": 1, "4": 2, "5": 1},
        computed_at=timezone.now(),
    )


def test_live_feedback_stays_hidden_until_enough_experts_answered(client: Client) -> None:
    study = small_study()
    round_ = round_create(study=study)
    Round.objects.filter(pk=round_.pk).update(is_live_feedback=True)
    round_ = round_open(round=round_)
    me = consented_panel(study, ["A"])[0]
    _live_statistic(round_, "C1", n=2)
    page = _feedback_page(client, TwoRounds(study, round_, round_, me, [me]))
    assert "Live feedback" in page and "once at least 3 experts have submitted" in page
    assert "<svg" not in page


def test_live_feedback_shows_the_current_rounds_statistics_once_enough_answered(client: Client) -> None:
    study = small_study()
    round_ = round_create(study=study)
    Round.objects.filter(pk=round_.pk).update(is_live_feedback=True)
    round_ = round_open(round=round_)
    me = consented_panel(study, ["A"])[0]
    _live_statistic(round_, "C1", n=4)
    page = _feedback_page(client, TwoRounds(study, round_, round_, me, [me]))
    assert "How the panel answered so far" in page
    assert "median <strong>4</strong>, middle half 3–5" in page and "25% agree" in page


# --- the query budget -------------------------------------------------------------------------------------


def _study_with(n_items: int, slug: str) -> TwoRounds:
    lines = [line for line in small_study_text(slug).splitlines() if not line.strip().startswith("- {code:")]
    items = [
        f"  - {{code: X{i}, kind: claim, section: {'claims' if i % 2 else 'recs'}, text: Claim {i}., "
        f"dimensions: [agreement, feasibility]}}"
        for i in range(n_items)
    ]
    study = study_import(text="\n".join(lines + items) + "\n", filename=f"{slug}.yaml").study
    first = round_open(round=round_create(study=study))
    panel = consented_panel(study, ["A", "A", "B", "B"])
    values = {(f"X{i}", "agreement"): 3 + i % 5 for i in range(n_items)}
    for index, panelist in enumerate(panel):
        rate(first, panelist, values, {f"X{i}": f"Reason {index}-{i}" for i in range(0, n_items, 3)})
        ballot_submit(panelist=panelist, round=first)
    round_close(round=first, aggregate=False)
    round_aggregate(round=first)
    second = round_open(round=round_create(study=study))
    rate(second, panel[0], {(f"X{i}", "agreement"): 5 for i in range(n_items)}, {"X1": "Changed my mind."})
    return TwoRounds(study, first, second, panel[0], panel)


def _queries_for_page(s: TwoRounds) -> int:
    client = Client()
    enter(client, s.me)
    url = f"/e/ballots/{Ballot.objects.get(panelist=s.me, round=s.second).pk}/"
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    assert "Feedback from round 1" in response.content.decode()
    return len(queries)


def test_the_questionnaire_with_feedback_costs_the_same_queries_for_25_and_100_items() -> None:
    small, large = _queries_for_page(_study_with(25, "s25")), _queries_for_page(_study_with(100, "s100"))
    assert small == large
    assert large <= 16
