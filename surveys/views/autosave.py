"""The questionnaire's autosave (``/e/ballots/<id>/autosave/``): one item saved as the expert answers it.

The hot path of the platform, in at most four queries (``surveys.services.autosave``): the session
comes from the cache, and the one read that loads the ballot also checks the session's link, as
``expert_required`` does for the other expert pages. Answers JSON, which the page's script shows
beside the Save button.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from surveys.errors import DomainError
from surveys.expert_language import SESSION_LANGUAGE_KEY
from surveys.forms.questionnaire import ParsedAnswers, parse_answers
from surveys.models import Panelist
from surveys.selectors import expert as reads
from surveys.services import experts
from surveys.services.autosave import BallotNotFound, SessionEnded, ballot_autosave
from surveys.services.ballots import BallotRefused, RoundNotOpen
from surveys.services.rounds import round_close_if_due
from surveys.views.expert import SESSION_KEY, SESSION_LINK_KEY, expert_required, invalid_link, session_ended


@never_cache
@require_POST
def autosave(request: HttpRequest, ballot_id: int) -> HttpResponse:
    """Save one item as the expert answers it (the page's script): the rules of the Save button, whose
    way (``answers_save``) an open answer takes."""
    if SESSION_KEY not in request.session:
        return session_ended(request)
    if language := request.session.get(SESSION_LANGUAGE_KEY):  # the expert's pages' language, no query
        translation.activate(language)
    parsed = parse_answers(request.POST)
    if parsed.errors or parsed.open_answers:
        return _autosave_in_full(request, ballot_id, parsed)
    try:
        saved = ballot_autosave(
            panelist_id=request.session.get(SESSION_KEY),
            fingerprint=request.session.get(SESSION_LINK_KEY),
            ballot_id=ballot_id,
            entries=parsed.entries,
            rationales=parsed.rationales,
            language=request.session.get(SESSION_LANGUAGE_KEY) or "",
        )
    except SessionEnded:
        return invalid_link(request)
    except BallotNotFound:
        return JsonResponse({"message": gettext("Not found.")}, status=404)
    except BallotRefused as exc:
        return JsonResponse({"message": gettext("Not saved."), "errors": exc.errors}, status=400)
    except RoundNotOpen as exc:
        round_close_if_due(round=exc.round)  # the first touch after the deadline closes the round
        return JsonResponse({"message": str(exc)}, status=409)
    except DomainError as exc:
        return JsonResponse({"message": str(exc)}, status=409)
    return JsonResponse({"message": gettext("Saved."), "answered": saved.answered, "total": saved.total})


@expert_required
def _autosave_in_full(request: HttpRequest, panelist: Panelist, ballot_id: int, parsed: ParsedAnswers) -> HttpResponse:
    """An autosave that names an open answer, or a field that could not be read: ``answers_save``."""
    ballot = reads.expert_ballot(panelist, ballot_id)
    if ballot is None:
        return JsonResponse({"message": gettext("Not found.")}, status=404)
    round_close_if_due(round=ballot.round)  # past the deadline, the first touch closes the round
    if parsed.errors:
        return JsonResponse({"message": gettext("Not saved."), "errors": parsed.errors}, status=400)
    try:
        experts.answers_save(
            panelist=panelist,
            round=ballot.round,
            entries=parsed.entries,
            rationales=parsed.rationales,
            open_answers=parsed.open_answers,
        )
    except BallotRefused as exc:
        return JsonResponse({"message": gettext("Not saved."), "errors": exc.errors}, status=400)
    except DomainError as exc:
        return JsonResponse({"message": str(exc)}, status=409)
    answered, total = reads.ballot_progress(ballot)
    return JsonResponse({"message": gettext("Saved."), "answered": answered, "total": total})
