"""The round lifecycle, each move behind a confirmation page: create, open, close, aggregate, next,
the deadline, and the invitation and reminder emails."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from surveys.deadlines import moment_format, zone_info
from surveys.errors import DomainError
from surveys.models import Study
from surveys.services import rounds as lifecycle
from surveys.services.mail import invitations_request, reminders_request

from .access import acting, posted, round_or_404, staff_required, study_or_404
from .forms import ConfirmForm, DeadlineConfirmForm, DeadlineForm, OpenRoundForm, deadline_zone
from .open_fallback import fallback_field, fallback_note


@dataclass(frozen=True)
class Done:
    message: str
    url: str | None = None  # where to go next; the dashboard by default


Run = Callable[[dict[str, Any]], Done]


def _confirm(
    request: HttpRequest,
    study: Study,
    *,
    title: str,
    explanation: list[str],
    form_class: type[forms.Form],
    run: Run,
    initial: dict[str, Any] | None = None,
    adjust: Callable[[forms.Form], None] | None = None,
) -> HttpResponse:
    """GET: the confirmation page. POST with the box ticked: run, report, and go back.

    The study's time zone is active throughout, so a deadline is typed and shown in it."""
    with timezone.override(zone_info(study.time_zone)):
        form = form_class(posted(request), initial=initial)
        deadline_zone(form, study.time_zone)
        if adjust is not None:
            adjust(form)
        if request.method == "POST" and form.is_valid():
            try:
                done = run(form.cleaned_data)
            except DomainError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, done.message)
                return redirect(done.url or reverse("facilitator:study", args=[study.slug]))
        status = 400 if request.method == "POST" else 200
        context = {"study": study, "title": title, "explanation": explanation, "form": form}
        return render(request, "surveys/facilitator/confirm.html", context, status=status)


@require_http_methods(["GET", "POST"])
@staff_required
def round_create(request: HttpRequest, slug: str) -> HttpResponse:
    study = study_or_404(slug)

    def run(data: dict[str, Any]) -> Done:
        round_ = lifecycle.round_create(study=study, closes_at=data["closes_at"], actor=acting(request))
        return Done(
            gettext("Round %(n)d was created as a draft with every item of the study; review it, then open it.")
            % {"n": round_.number},
            reverse("facilitator:round_prepare", args=[study.slug, round_.number]),
        )

    return _confirm(
        request,
        study,
        title=gettext("Create round 1"),
        explanation=[gettext("Round 1 will hold every item of the study. It stays a draft until you open it.")],
        form_class=DeadlineConfirmForm,
        run=run,
    )


@require_http_methods(["GET", "POST"])
@staff_required
def round_open(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    study = study_or_404(slug)
    round_ = round_or_404(study, number)

    def run(data: dict[str, Any]) -> Done:
        opened = lifecycle.round_open(
            round=round_,
            closes_at=data["closes_at"],
            actor=acting(request),
            invite=data["send_invitations"],
            allow_fallback=bool(data.get("allow_fallback")),
        )
        if opened.closes_at:
            until = moment_format(opened.closes_at, study.time_zone)
            done = gettext("Round %(n)d is open until %(until)s.") % {"n": opened.number, "until": until}
        else:
            done = gettext("Round %(n)d is open.") % {"n": opened.number}
        if data["send_invitations"]:
            done += " " + gettext("The invitations are on their way.")
        return Done(done)

    explanation = [gettext("Experts can answer round %(n)d as soon as it opens.") % {"n": number}]
    if not study.is_rule_frozen:
        explanation.append(
            gettext("Opening the first round freezes the consensus rule and the stopping rule for good.")
        )
    explanation.append(gettext("Invitations give every expert a new personal link; earlier links stop working."))
    fallback = fallback_note(study, round_)
    if fallback:
        explanation.append(fallback)
    return _confirm(
        request,
        study,
        title=gettext("Open round %(n)d") % {"n": number},
        explanation=explanation,
        form_class=OpenRoundForm,
        run=run,
        initial={"closes_at": round_.closes_at, "send_invitations": True},
        adjust=lambda form: fallback_field(form, study, shown=bool(fallback)),
    )


@require_http_methods(["GET", "POST"])
@staff_required
def round_close(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    study = study_or_404(slug)
    round_ = round_or_404(study, number)

    def run(data: dict[str, Any]) -> Done:
        lifecycle.round_close(round=round_, actor=acting(request))
        return Done(gettext("Round %(n)d is closed; its statistics are being computed.") % {"n": number})

    return _confirm(
        request,
        study,
        title=gettext("Close round %(n)d") % {"n": number},
        explanation=[
            gettext(
                "Experts can no longer change their answers once the round closes, and a closed round never reopens."
            ),
            gettext("Drafts that were not submitted are not counted. The statistics are computed right after."),
        ],
        form_class=ConfirmForm,
        run=run,
    )


@require_http_methods(["GET", "POST"])
@staff_required
def round_aggregate(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    study = study_or_404(slug)
    round_ = round_or_404(study, number)

    def run(data: dict[str, Any]) -> Done:
        lifecycle.round_aggregate_request(round=round_)
        return Done(gettext("The statistics of round %(n)d are being computed.") % {"n": number})

    return _confirm(
        request,
        study,
        title=gettext("Compute the statistics of round %(n)d") % {"n": number},
        explanation=[gettext("Every statistic of the round is computed again and replaces the previous set.")],
        form_class=ConfirmForm,
        run=run,
    )


@require_http_methods(["GET", "POST"])
@staff_required
def round_next(request: HttpRequest, slug: str) -> HttpResponse:
    study = study_or_404(slug)

    def run(data: dict[str, Any]) -> Done:
        created = lifecycle.round_next(study=study, closes_at=data["closes_at"], actor=acting(request))
        return Done(
            gettext("Round %(n)d was created as a draft; review its items, then open it.") % {"n": created.number},
            reverse("facilitator:round_prepare", args=[study.slug, created.number]),
        )

    return _confirm(
        request,
        study,
        title=gettext("Prepare the next round"),
        explanation=[
            gettext(
                "Items without consensus carry forward; items with consensus in or out are retired and listed as "
                "decided. The new round stays a draft: you can reword, add or drop items before opening it."
            ),
        ],
        form_class=DeadlineConfirmForm,
        run=run,
    )


@require_http_methods(["GET", "POST"])
@staff_required
def round_deadline(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    study = study_or_404(slug)
    round_ = round_or_404(study, number)

    def run(data: dict[str, Any]) -> Done:
        changed = lifecycle.round_deadline_set(round=round_, closes_at=data["closes_at"], actor=acting(request))
        if changed.closes_at is None:
            return Done(gettext("Round %(n)d now has no deadline.") % {"n": number})
        when = moment_format(changed.closes_at, study.time_zone)
        return Done(gettext("Round %(n)d now closes on %(when)s.") % {"n": number, "when": when})

    return _confirm(
        request,
        study,
        title=gettext("Deadline of round %(n)d") % {"n": number},
        explanation=[gettext("An open round closes itself at its deadline. Leave it empty for no deadline.")],
        form_class=DeadlineForm,
        run=run,
        initial={"closes_at": round_.closes_at},
    )


MAIL = {
    "invitations": (
        invitations_request,
        _("Email the invitations of round %(n)d"),
        _(
            "Every expert who has not been invited to this round yet gets an invitation with a new personal link; "
            "their earlier link stops working. Nobody is invited twice."
        ),
        _("The invitations of round %(n)d are on their way; the dashboard counts what was sent."),
    ),
    "reminders": (
        reminders_request,
        _("Email the reminders of round %(n)d"),
        _(
            "Experts who have not submitted this round get one reminder with a new personal link; their earlier "
            "link stops working. Revoked experts and those who submitted get nothing, and nobody is reminded twice."
        ),
        _("The reminders of round %(n)d are on their way; the dashboard counts what was sent."),
    ),
}


@require_http_methods(["GET", "POST"])
@staff_required
def round_mail(request: HttpRequest, slug: str, number: int, kind: str) -> HttpResponse:
    if kind not in MAIL:
        raise Http404(gettext("No such email."))
    study = study_or_404(slug)
    round_ = round_or_404(study, number)
    request_mail, title, explanation, sent = MAIL[kind]

    def run(data: dict[str, Any]) -> Done:
        request_mail(round=round_)
        return Done(sent % {"n": number})

    return _confirm(
        request, study, title=title % {"n": number}, explanation=[str(explanation)], form_class=ConfirmForm, run=run
    )
