"""The study's email wording: one page per kind of email, with the built-in default until saved."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods

from surveys.errors import DomainError
from surveys.models import DeliveryLog
from surveys.selectors.facilitator import message_templates
from surveys.services.message_templates import (
    ALLOWED_FILTERS,
    ALLOWED_TAGS,
    MessageTemplateInvalid,
    message_template_problem,
    message_template_problems,
    message_template_reset,
    message_template_save,
)

from .access import acting, posted, staff_required, study_or_404
from .forms import MessageTemplateForm

VARIABLES = ["{{ link }}", "{{ name }}", "{{ study.title }}", "{{ round.number }}", "{{ closes_at }}"]


@require_GET
@staff_required
def message_list(request: HttpRequest, slug: str) -> HttpResponse:
    study = study_or_404(slug)
    context = {"study": study, "templates": message_templates(study), "problems": message_template_problems(study)}
    return render(request, "surveys/facilitator/messages.html", context)


@require_http_methods(["GET", "POST"])
@staff_required
def message_edit(request: HttpRequest, slug: str, kind: str) -> HttpResponse:
    if kind not in DeliveryLog.Kind.values:
        raise Http404(gettext("No such email."))
    study = study_or_404(slug)
    current = next(t for t in message_templates(study) if t["kind"] == kind)
    form = MessageTemplateForm(posted(request), initial={"subject": current["subject"], "body": current["body"]})
    if request.method == "POST":
        try:
            if "reset" in request.POST:
                message_template_reset(study=study, kind=kind, actor=acting(request))
                back = gettext("The email “%(label)s” is back to the built-in wording.")
                messages.success(request, back % {"label": current["label"]})
                return redirect(reverse("facilitator:messages", args=[study.slug]))
            if form.is_valid():
                message_template_save(study=study, kind=kind, **form.cleaned_data, actor=acting(request))
                messages.success(request, gettext("The email “%(label)s” was saved.") % {"label": current["label"]})
                return redirect(reverse("facilitator:messages", args=[study.slug]))
        except MessageTemplateInvalid as exc:  # shown at the part that is wrong; nothing was saved
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        except DomainError as exc:
            messages.error(request, str(exc))
    context = {
        "study": study,
        "template": current,
        "form": form,
        "variables": VARIABLES,
        "deadline_snippet": "{% if closes_at %}…{% endif %}",
        "tags": ALLOWED_TAGS,
        "filters": ALLOWED_FILTERS,
        "problem": message_template_problem(study, kind) if current["is_custom"] else None,
    }
    return render(
        request, "surveys/facilitator/message_edit.html", context, status=400 if request.method == "POST" else 200
    )
