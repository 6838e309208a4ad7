"""The panel: the list of experts, adding one, importing a CSV (preview, then confirm), and per
expert: a new link (shown once), revoke, remove."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from surveys.errors import DomainError
from surveys.models import Panelist, Study
from surveys.selectors.facilitator import panel_list
from surveys.services import panel_roster, withdrawal
from surveys.services.mail import expert_link
from surveys.services.panel_import import PanelImportError, PanelRow, panel_import, panel_import_preview

from .access import acting, posted, staff_required, study_or_404
from .forms import ConfirmForm, PanelistForm, PanelUploadForm, first_error


def _session_key(study: Study) -> str:
    return f"facilitator:panel_import:{study.pk}"


def _panel_url(study: Study) -> str:
    return reverse("facilitator:panel", args=[study.slug])


def _link_page(request: HttpRequest, study: Study, panelist: Panelist, raw: str) -> HttpResponse:
    context = {"study": study, "panelist": panelist, "link": expert_link(raw)}
    return render(request, "surveys/facilitator/link_issued.html", context)


@require_GET
@staff_required
def panel_page(request: HttpRequest, slug: str) -> HttpResponse:
    study = study_or_404(slug)
    context = {
        "study": study,
        "panel": panel_list(study),
        "add_form": PanelistForm(),
        "upload_form": PanelUploadForm(),
    }
    return render(request, "surveys/facilitator/panel.html", context)


@require_POST
@staff_required
def panelist_add(request: HttpRequest, slug: str) -> HttpResponse:
    study = study_or_404(slug)
    form = PanelistForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return redirect(_panel_url(study))
    try:
        panelist, raw = panel_roster.panelist_add(study=study, **form.cleaned_data, actor=acting(request))
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect(_panel_url(study))
    messages.success(request, f"{panelist.email} joined the panel as {panelist.pseudonym}.")
    return _link_page(request, study, panelist, raw)


@require_http_methods(["GET", "POST"])
@staff_required
def panel_import_upload(request: HttpRequest, slug: str) -> HttpResponse:
    """GET: the upload form. POST: read the file and show the preview; nothing is imported yet."""
    study = study_or_404(slug)
    form = PanelUploadForm(posted(request), request.FILES if request.method == "POST" else None)
    context: dict[str, object] = {"study": study, "upload_form": form}
    if request.method == "POST":
        request.session.pop(_session_key(study), None)
        if form.is_valid():
            preview = panel_import_preview(study=study, text=form.cleaned_data["file"])
            context["preview"] = preview
            if preview.is_valid:
                request.session[_session_key(study)] = [row.as_data() for row in preview.rows]
        return render(request, "surveys/facilitator/panel_import.html", context, status=200 if form.is_valid() else 400)
    return render(request, "surveys/facilitator/panel_import.html", context)


@require_POST
@staff_required
def panel_import_confirm(request: HttpRequest, slug: str) -> HttpResponse:
    study = study_or_404(slug)
    kept = request.session.get(_session_key(study))
    if not isinstance(kept, list) or not kept:
        messages.error(request, "There is no checked file to import; upload it again.")
        return redirect(reverse("facilitator:panel_import", args=[study.slug]))
    try:
        added = panel_import(study=study, rows=[PanelRow.from_data(row) for row in kept], actor=acting(request))
    except PanelImportError as exc:
        messages.error(request, f"Nobody was added: {'; '.join(e.render() for e in exc.errors)}. Upload it again.")
        return redirect(reverse("facilitator:panel_import", args=[study.slug]))
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect(reverse("facilitator:panel_import", args=[study.slug]))
    finally:
        request.session.pop(_session_key(study), None)
    messages.success(request, f"{len(added)} expert(s) joined the panel. Invitations give each of them a link.")
    return redirect(_panel_url(study))


PANELIST_ACTIONS = {
    "link": (
        "Issue a new link for {p}",
        "A new personal link is shown once, on the next page; the expert's current link stops working at once.",
    ),
    "revoke": (
        "Revoke {p}",
        "Their link stops working at once and they get no more email. What they already submitted stays in "
        "the record. Revoking cannot be undone.",
    ),
    "erase": (
        "Withdraw {p} and delete their answers",
        "Do this when the expert asks for their answers to be deleted. Every rating, reason and open answer of "
        "theirs is deleted in every round, and the aggregated rounds are computed again without them. Their link "
        "stops working and they get no more email. This cannot be undone.",
    ),
    "remove": (
        "Remove {p} from the panel",
        "The expert is deleted. This is possible only while they have not answered; otherwise revoke them.",
    ),
}


@require_http_methods(["GET", "POST"])
@staff_required
def panelist_action(request: HttpRequest, slug: str, panelist_id: int, action: str) -> HttpResponse:
    if action not in PANELIST_ACTIONS:
        raise Http404("No such action.")
    study = study_or_404(slug)
    panelist = Panelist.objects.filter(study=study, pk=panelist_id).first()
    if panelist is None:
        raise Http404("No such expert.")
    form = ConfirmForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            if action == "link":
                raw = panel_roster.panelist_link_issue(panelist=panelist, actor=acting(request))
                return _link_page(request, study, panelist, raw)
            if action == "revoke":
                panel_roster.panelist_revoke(panelist=panelist, actor=acting(request))
                messages.success(request, f"{panelist.pseudonym} is revoked.")
            elif action == "erase":
                done = withdrawal.panelist_withdraw(panelist=panelist, delete_answers=True, actor=acting(request))
                messages.success(
                    request,
                    f"{panelist.pseudonym} is withdrawn; {done.ballots_deleted} ballot(s) deleted, "
                    f"{len(done.rounds_recomputed)} aggregated round(s) computed again.",
                )
            else:
                panel_roster.panelist_remove(panelist=panelist, actor=acting(request))
                messages.success(request, f"{panelist.pseudonym} was removed from the panel.")
        except DomainError as exc:
            messages.error(request, str(exc))
        return redirect(_panel_url(study))
    if request.method == "POST":
        messages.error(request, first_error(form))
    title, explanation = PANELIST_ACTIONS[action]
    who = f"{panelist.pseudonym} ({panelist.email})"
    context = {"study": study, "title": title.format(p=who), "explanation": [explanation], "form": form}
    return render(request, "surveys/facilitator/confirm.html", context, status=400 if request.method == "POST" else 200)
