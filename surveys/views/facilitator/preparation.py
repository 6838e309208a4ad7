"""Preparing a draft round: its items with last round's results, what was decided or dropped, rewording,
adding from suggestions, dropping. Opening it goes through the lifecycle's confirmation page."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from surveys.errors import DomainError
from surveys.models import Item, ItemStatistic, Round, Suggestion
from surveys.selectors.preparation import round_preparation
from surveys.services import round_items, suggestions

from .access import acting, round_or_404, staff_required, study_or_404
from .forms import RewordForm, SuggestionAcceptForm, first_error


def _back(round_: Round) -> HttpResponse:
    return redirect(reverse("facilitator:round_prepare", args=[round_.study.slug, round_.number]))


def _item(round_: Round, item_id: int) -> Item:
    item = Item.objects.filter(study_id=round_.study_id, pk=item_id).first()
    if item is None:
        raise Http404(gettext("No such item."))
    return item


@require_GET
@staff_required
def round_prepare(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    round_ = round_or_404(study_or_404(slug), number)
    if round_.status != Round.Status.DRAFT:
        state = {"n": number, "status": str(round_.get_status_display()).lower()}
        messages.info(request, gettext("Round %(n)d is %(status)s; its items can no longer change.") % state)
        return redirect(reverse("facilitator:study", args=[slug]))
    p = round_preparation(round_)
    forms = [
        SuggestionAcceptForm.for_suggestion(s, study=round_.study, sections=p.sections, dimensions=p.dimensions)
        for s in p.suggestions
    ]
    context = {
        "study": round_.study,
        "p": p,
        "suggestions": list(zip(p.suggestions, forms, strict=True)),
        "Verdict": ItemStatistic.Verdict,  # the templates compare verdicts against the enum
    }
    return render(request, "surveys/facilitator/prepare.html", context)


@require_POST
@staff_required
def item_reword(request: HttpRequest, slug: str, number: int, item_id: int) -> HttpResponse:
    round_ = round_or_404(study_or_404(slug), number)
    item = _item(round_, item_id)
    form = RewordForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"{item.code}: {first_error(form)}")
        return _back(round_)
    try:
        new = round_items.item_reword(
            round=round_,
            item=item,
            text=form.cleaned_data["text"],
            code=form.cleaned_data["code"] or None,
            actor=acting(request),
        )
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        codes = {"old": item.code, "new": new.code, "text": new.text}
        if new.pk != item.pk:
            messages.success(request, gettext("%(old)s is now %(new)s: “%(text)s”") % codes)
        else:
            messages.success(request, gettext("%(new)s was corrected: “%(text)s”") % codes)
    return _back(round_)


@require_POST
@staff_required
def item_drop(request: HttpRequest, slug: str, number: int, item_id: int) -> HttpResponse:
    round_ = round_or_404(study_or_404(slug), number)
    item = _item(round_, item_id)
    try:
        round_items.round_item_drop(round=round_, item=item, actor=acting(request))
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        dropped = gettext("%(code)s was dropped from round %(n)d; you can add it back below.")
        messages.success(request, dropped % {"code": item.code, "n": number})
    return _back(round_)


@require_POST
@staff_required
def item_add(request: HttpRequest, slug: str, number: int, item_id: int) -> HttpResponse:
    round_ = round_or_404(study_or_404(slug), number)
    item = _item(round_, item_id)
    try:
        round_items.round_item_add(round=round_, item=item, actor=acting(request))
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, gettext("%(code)s was added to round %(n)d.") % {"code": item.code, "n": number})
    return _back(round_)


def _suggestion(round_: Round, suggestion_id: int) -> Suggestion:
    suggestion = Suggestion.objects.filter(study_id=round_.study_id, pk=suggestion_id).first()
    if suggestion is None:
        raise Http404(gettext("No such suggestion."))
    return suggestion


@require_POST
@staff_required
def suggestion_accept(request: HttpRequest, slug: str, number: int, suggestion_id: int) -> HttpResponse:
    round_ = round_or_404(study_or_404(slug), number)
    suggestion = _suggestion(round_, suggestion_id)
    form = SuggestionAcceptForm(request.POST, study=round_.study)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return _back(round_)
    data = form.cleaned_data
    try:
        item = suggestions.suggestion_accept(
            suggestion=suggestion,
            round=round_,
            code=data["code"],
            kind=data["kind"],
            section=data["section"],
            dimensions=list(data["dimensions"]),
            text=data["text"],
            actor=acting(request),
        )
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        became = {"code": item.code, "n": number}
        messages.success(request, gettext("The suggestion became %(code)s in round %(n)d.") % became)
    return _back(round_)


@require_POST
@staff_required
def suggestion_reject(request: HttpRequest, slug: str, number: int, suggestion_id: int) -> HttpResponse:
    round_ = round_or_404(study_or_404(slug), number)
    try:
        suggestions.suggestion_reject(suggestion=_suggestion(round_, suggestion_id), actor=acting(request))
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, gettext("The suggestion was set aside."))
    return _back(round_)
