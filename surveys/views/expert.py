"""Pages an expert reaches through their personal invitation link.

The link ``/e/<token>/`` only opens a session: the session keeps the panelist's id (never the
token) under a fresh session key, and the expert is sent on to token-free URLs, so the token is not
in later URLs, the history or Referer headers. Every other page finds the expert through the session.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from surveys.errors import DomainError
from surveys.expert_language import SESSION_LANGUAGE_KEY, activate_for, language_for, switchable_languages
from surveys.forms.profile import ProfileForm
from surveys.forms.questionnaire import parse_answers
from surveys.models import Ballot, Panelist, Round, Study
from surveys.models.ballots import RATIONALE_MAX_LENGTH
from surveys.ratelimit import token_guess_limit
from surveys.selectors import expert as reads
from surveys.selectors.questionnaire import questionnaire_view
from surveys.services import experts, withdrawal
from surveys.services.ballots import BallotRefused, ballot_reopen, ballot_start, ballot_submit, items_missing_reason
from surveys.services.rounds import round_close_if_due
from surveys.views.pages import wants_json

SESSION_KEY = "delphi_panelist_id"
SUBMIT, SUBMIT_ANYWAY = "submit", "submit-anyway"  # the questionnaire's submit buttons (``action``)
#: The fingerprint of the link that opened the session (``surveys.selectors.expert.link_fingerprint``).
SESSION_LINK_KEY = "delphi_link"

View = Callable[..., HttpResponse]


def invalid_link(request: HttpRequest) -> HttpResponse:
    # The same page and status for unknown, expired and revoked tokens: it reveals nothing.
    return render(request, "surveys/expert/invalid_link.html", status=404)


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "surveys/expert/not_found.html", status=404)


SESSION_ENDED = gettext_lazy(
    "Your session has ended. To continue, open the personal link in the most recent email from this study; "
    "what you saved is kept."
)


def session_ended(request: HttpRequest) -> HttpResponse:
    """No session at all (it expired, or this browser never opened the link): say how to get back in.
    JSON for the questionnaire's autosave, which shows the message beside the Save button."""
    if wants_json(request):
        return JsonResponse({"message": str(SESSION_ENDED)}, status=404)
    return render(request, "surveys/expert/session_ended.html", status=404)


def expert_required(view: View) -> View:
    """The session's panelist, while still on the panel; otherwise the invalid-link page (or, with no
    session at all, the page saying it ended and how to get back in). Never cached. The page is in
    the panelist's language (``surveys.expert_language``), and shows the expert's language switcher."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if SESSION_KEY not in request.session:
            return session_ended(request)
        panelist = reads.panelist_for_session(request.session.get(SESSION_KEY), request.session.get(SESSION_LINK_KEY))
        if panelist is None:
            return invalid_link(request)
        activate_for(request, language_for(panelist))
        request.is_expert_page = True  # type: ignore[attr-defined]  # base.html: the expert's switcher, with
        request.expert_languages = switchable_languages(panelist.study)  # type: ignore[attr-defined]  # these
        return view(request, panelist, *args, **kwargs)

    return never_cache(wrapper)


def _touched(round_: Round | None) -> Round | None:
    """The round an expert's page reads, closed first (and aggregated) if its deadline has passed, so
    the page shows it closed whether or not beat has run. Free before the deadline."""
    if round_ is not None:
        round_close_if_due(round=round_)
    return round_


@never_cache
@require_GET
def entry(request: HttpRequest, token: str) -> HttpResponse:
    limit = token_guess_limit()
    retry_after = limit.retry_after(request)
    if retry_after is not None:
        response = render(request, "surveys/expert/too_many_attempts.html", status=429)
        response["Retry-After"] = str(retry_after)
        return response
    panelist = reads.panelist_by_invitation(token)
    if panelist is None:
        limit.record_failure(request)
        return invalid_link(request)
    request.session.cycle_key()  # a new session key: nothing set before the link carries over
    request.session[SESSION_KEY] = panelist.pk
    request.session[SESSION_LINK_KEY] = reads.link_fingerprint(panelist)
    request.session[SESSION_LANGUAGE_KEY] = language_for(panelist)  # saved with the keys above
    return redirect("surveys:expert_welcome")


@require_GET
@expert_required
def welcome(request: HttpRequest, panelist: Panelist) -> HttpResponse:
    context = {"study": panelist.study, "panelist": panelist, "round": _touched(reads.current_round(panelist))}
    return render(request, "surveys/expert/welcome.html", context)


@require_http_methods(["GET", "POST"])
@expert_required
def consent(request: HttpRequest, panelist: Panelist) -> HttpResponse:
    if request.method == "GET":  # e.g. the address typed or reloaded: the step the expert is at
        return redirect("surveys:expert_welcome" if panelist.consent_at is None else "surveys:expert_round")
    try:
        experts.panelist_consent(panelist=panelist)
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect("surveys:expert_welcome")
    return redirect("surveys:expert_profile")


@require_http_methods(["GET", "POST"])
@expert_required
def profile(request: HttpRequest, panelist: Panelist) -> HttpResponse:
    if panelist.consent_at is None:
        return redirect("surveys:expert_welcome")
    form = ProfileForm(request.POST or None, sections=reads.study_sections(panelist.study_id), panelist=panelist)
    if request.method == "POST" and form.is_valid():
        try:
            experts.panelist_profile_update(
                panelist=panelist,
                background=form.cleaned_data["background"],
                years_experience=form.cleaned_data["years_experience"],
                expertise=form.expertise(),
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, gettext("Your profile is saved."))
            return redirect("surveys:expert_round")
    # The group is the facilitator's: shown, never a field (a posted "group" is not even read).
    context = {"study": panelist.study, "form": form, "panelist_group": panelist.group}
    return render(request, "surveys/expert/profile.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@expert_required
def current_round(request: HttpRequest, panelist: Panelist) -> HttpResponse:
    """The study's current round: the expert's ballot in it, or a page to begin it."""
    if panelist.consent_at is None:
        return redirect("surveys:expert_welcome")
    round_ = _touched(reads.current_round(panelist))
    ballot = reads.ballot_in_round(panelist, round_) if round_ is not None else None
    if ballot is not None:
        return redirect("surveys:expert_ballot", ballot_id=ballot.pk)
    if request.method == "POST" and round_ is not None:
        try:
            ballot = ballot_start(panelist=panelist, round=round_)
        except DomainError as exc:
            messages.error(request, str(exc))
            return redirect("surveys:expert_round")
        return redirect("surveys:expert_ballot", ballot_id=ballot.pk)
    return render(request, "surveys/expert/round.html", {"study": panelist.study, "round": round_})


def _render_ballot(
    request: HttpRequest,
    ballot: Ballot,
    *,
    posted: Any = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
    is_confirming_submit: bool = False,
) -> HttpResponse:
    view = questionnaire_view(reads.questionnaire_data(ballot), posted=posted, errors=errors)
    view.is_confirming_submit = is_confirming_submit
    context = {"q": view, "study": ballot.round.study, "round": ballot.round, "rationale_max": RATIONALE_MAX_LENGTH}
    context["open_max"] = experts.OPEN_ANSWER_MAX_LENGTH
    return render(request, "surveys/expert/questionnaire.html", context, status=status)


def _asks_to_confirm(ballot: Ballot) -> bool:
    """Whether Submit asks first because some items are unanswered. Not when none is answered, nor
    when a required reason is missing: the submission refuses those itself, and its message comes
    first, so the expert is not asked to confirm a submission that would then be refused."""
    answered, total = reads.ballot_progress(ballot)
    if not 0 < answered < total:
        return False
    requires_reason = ballot.round.study.outside_iqr_reason == Study.OutsideIqrReason.REQUIRED
    return not (requires_reason and items_missing_reason(ballot))


@require_http_methods(["GET", "POST"])
@expert_required
def ballot_page(request: HttpRequest, panelist: Panelist, ballot_id: int) -> HttpResponse:
    """The questionnaire. A post (the Save or Submit button, which work without JavaScript) saves
    the whole form; a refused post shows the page again with what was typed and what was wrong.

    Submit with some items unanswered saves the answers and asks first (``?confirm=submit``, a page
    that names how many and which); its "Submit anyway" button posts ``submit-anyway``."""
    ballot = reads.expert_ballot(panelist, ballot_id)
    if ballot is None:
        return _not_found(request)
    _touched(ballot.round)
    if request.method == "GET":
        return _render_ballot(request, ballot, is_confirming_submit=request.GET.get("confirm") == "submit")
    parsed = parse_answers(request.POST)
    action = request.POST.get("action")
    submit = action in (SUBMIT, SUBMIT_ANYWAY)
    if parsed.errors:
        return _render_ballot(request, ballot, posted=request.POST, errors=parsed.errors, status=400)
    try:
        experts.answers_save(
            panelist=panelist,
            round=ballot.round,
            entries=parsed.entries,
            rationales=parsed.rationales,
            open_answers=parsed.open_answers,
        )
        if submit and action != SUBMIT_ANYWAY and _asks_to_confirm(ballot):
            return redirect(reverse("surveys:expert_ballot", kwargs={"ballot_id": ballot.pk}) + "?confirm=submit")
        if submit:
            ballot_submit(panelist=panelist, round=ballot.round)
    except BallotRefused as exc:
        return _render_ballot(request, ballot, posted=request.POST, errors=exc.errors, status=400)
    except DomainError as exc:  # closed round, submitted ballot, nothing to submit: shown as stored
        messages.error(request, str(exc))
        ballot = reads.expert_ballot(panelist, ballot_id) or ballot
        return _render_ballot(request, ballot, status=400 if ballot.round.is_open else 409)
    messages.success(
        request, gettext("Your answers are submitted. Thank you!") if submit else gettext("Your answers are saved.")
    )
    return redirect("surveys:expert_ballot", ballot_id=ballot.pk)


@require_POST
@expert_required
def reopen(request: HttpRequest, panelist: Panelist, ballot_id: int) -> HttpResponse:
    ballot = reads.expert_ballot(panelist, ballot_id)
    if ballot is None:
        return _not_found(request)
    _touched(ballot.round)
    try:
        ballot_reopen(panelist=panelist, round=ballot.round)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, gettext("Your ballot is open again: revise your answers, then submit them again."))
    return redirect("surveys:expert_ballot", ballot_id=ballot.pk)


WITHDRAW_CHOICES = {"keep": False, "delete": True}  # the withdrawal page's ``answers`` choice -> delete them


@require_http_methods(["GET", "POST"])
@expert_required
def withdraw(request: HttpRequest, panelist: Panelist) -> HttpResponse:
    """Leave the study: keep the answers given so far, or delete them all (surveys.services.withdrawal)."""
    context: dict[str, Any] = {"study": panelist.study, "panelist": panelist}
    if request.method == "GET":
        return render(request, "surveys/expert/withdraw.html", context)
    choice = request.POST.get("answers", "")
    if choice not in WITHDRAW_CHOICES:
        context["error"] = gettext("Choose whether to keep or delete your answers.")
        return render(request, "surveys/expert/withdraw.html", context, status=400)
    try:
        done = withdrawal.panelist_withdraw(panelist=panelist, delete_answers=WITHDRAW_CHOICES[choice])
    except DomainError as exc:
        context["error"] = str(exc)
        return render(request, "surveys/expert/withdraw.html", context, status=409)
    request.session.flush()  # the link no longer opens anything; neither does this session
    context.update(done=done, deleted=WITHDRAW_CHOICES[choice])
    return render(request, "surveys/expert/withdrawn.html", context)
