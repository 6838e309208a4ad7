"""The panel: the list of experts, adding one, importing a CSV (preview, then confirm), and per
expert: a new link (shown once), revoke, remove."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from surveys.errors import DomainError
from surveys.models import Panelist, Study
from surveys.selectors.facilitator import panel_list
from surveys.services import panel_roster, withdrawal
from surveys.services.mail import expert_link
from surveys.services.panel_import import PanelImportError, PanelRow, panel_import, panel_import_preview
from surveys.services.panelist_fields import accepted_languages

from .access import acting, posted, staff_required, study_or_404
from .forms import ConfirmForm, PanelistEditForm, PanelistForm, PanelUploadForm, first_error


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
    joined = {"email": panelist.email, "pseudonym": panelist.pseudonym}
    messages.success(request, gettext("%(email)s joined the panel as %(pseudonym)s.") % joined)
    return _link_page(request, study, panelist, raw)


@require_http_methods(["GET", "POST"])
@staff_required
def panel_import_upload(request: HttpRequest, slug: str) -> HttpResponse:
    """GET: the upload form. POST: read the file and show the preview; nothing is imported yet."""
    study = study_or_404(slug)
    form = PanelUploadForm(posted(request), request.FILES if request.method == "POST" else None)
    context: dict[str, object] = {"study": study, "upload_form": form, "languages": accepted_languages(study)}
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
        messages.error(request, gettext("There is no checked file to import; upload it again."))
        return redirect(reverse("facilitator:panel_import", args=[study.slug]))
    try:
        added = panel_import(study=study, rows=[PanelRow.from_data(row) for row in kept], actor=acting(request))
    except PanelImportError as exc:
        problems = "; ".join(e.render() for e in exc.errors)
        messages.error(request, gettext("Nobody was added: %(problems)s. Upload it again.") % {"problems": problems})
        return redirect(reverse("facilitator:panel_import", args=[study.slug]))
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect(reverse("facilitator:panel_import", args=[study.slug]))
    finally:
        request.session.pop(_session_key(study), None)
    joined_n = ngettext(
        "%(n)d expert joined the panel. Invitations give each of them a link.",
        "%(n)d experts joined the panel. Invitations give each of them a link.",
        len(added),
    )
    messages.success(request, joined_n % {"n": len(added)})
    return redirect(_panel_url(study))


@require_http_methods(["GET", "POST"])
@staff_required
def panelist_edit(request: HttpRequest, slug: str, panelist_id: int) -> HttpResponse:
    """An expert's name, group and language, changed through the same service as the API's PATCH."""
    study = study_or_404(slug)
    panelist = Panelist.objects.filter(study=study, pk=panelist_id).first()
    if panelist is None:
        raise Http404(gettext("No such expert."))
    languages = accepted_languages(study)
    if panelist.language not in languages:
        languages = [*languages, panelist.language]  # shown as it is until the facilitator picks another
    initial = {"name": panelist.name, "group": panelist.group, "language": panelist.language}
    form = PanelistEditForm(posted(request), initial=initial, languages=languages)
    if request.method == "POST" and form.is_valid():
        try:
            panel_roster.panelist_update(panelist=panelist, actor=acting(request), **form.cleaned_data)
        except panel_roster.PanelistInvalid as exc:
            for field, problem in exc.errors.items():
                form.add_error(field if field in form.fields else None, problem)
        else:
            messages.success(request, gettext("%(pseudonym)s was saved.") % {"pseudonym": panelist.pseudonym})
            return redirect(_panel_url(study))
    context = {"study": study, "panelist": panelist, "form": form}
    status = 400 if request.method == "POST" else 200
    return render(request, "surveys/facilitator/panelist_edit.html", context, status=status)


PANELIST_ACTIONS = {
    "link": (
        _("Issue a new link for %(p)s"),
        _("A new personal link is shown once, on the next page; the expert's current link stops working at once."),
    ),
    "revoke": (
        _("Revoke %(p)s"),
        _(
            "Their link stops working at once and they get no more email. What they already submitted stays in "
            "the record. Revoking cannot be undone."
        ),
    ),
    "erase": (
        _("Withdraw %(p)s and delete their answers"),
        _(
            "Do this when the expert asks for their answers to be deleted. Every rating, reason and open answer of "
            "theirs is deleted in every round, and the aggregated rounds are computed again without them. Their "
            "link stops working and they get no more email. This cannot be undone."
        ),
    ),
    "remove": (
        _("Remove %(p)s from the panel"),
        _("The expert is deleted. This is possible only while they have not answered; otherwise revoke them."),
    ),
}


@require_http_methods(["GET", "POST"])
@staff_required
def panelist_action(request: HttpRequest, slug: str, panelist_id: int, action: str) -> HttpResponse:
    if action not in PANELIST_ACTIONS:
        raise Http404(gettext("No such action."))
    study = study_or_404(slug)
    panelist = Panelist.objects.filter(study=study, pk=panelist_id).first()
    if panelist is None:
        raise Http404(gettext("No such expert."))
    form = ConfirmForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            if action == "link":
                raw = panel_roster.panelist_link_issue(panelist=panelist, actor=acting(request))
                return _link_page(request, study, panelist, raw)
            if action == "revoke":
                panel_roster.panelist_revoke(panelist=panelist, actor=acting(request))
                messages.success(request, gettext("%(p)s is revoked.") % {"p": panelist.pseudonym})
            elif action == "erase":
                done = withdrawal.panelist_withdraw(panelist=panelist, delete_answers=True, actor=acting(request))
                deleted = ngettext(
                    "%(p)s is withdrawn; %(n)d ballot deleted.",
                    "%(p)s is withdrawn; %(n)d ballots deleted.",
                    done.ballots_deleted,
                ) % {"p": panelist.pseudonym, "n": done.ballots_deleted}
                recomputed = ngettext(
                    "%(n)d aggregated round computed again.",
                    "%(n)d aggregated rounds computed again.",
                    len(done.rounds_recomputed),
                ) % {"n": len(done.rounds_recomputed)}
                messages.success(request, f"{deleted} {recomputed}")
            else:
                panel_roster.panelist_remove(panelist=panelist, actor=acting(request))
                messages.success(request, gettext("%(p)s was removed from the panel.") % {"p": panelist.pseudonym})
        except DomainError as exc:
            messages.error(request, str(exc))
        return redirect(_panel_url(study))
    if request.method == "POST":
        messages.error(request, first_error(form))
    title, explanation = PANELIST_ACTIONS[action]
    who = f"{panelist.pseudonym} ({panelist.email})"
    context = {"study": study, "title": title % {"p": who}, "explanation": [explanation], "form": form}
    return render(request, "surveys/facilitator/confirm.html", context, status=400 if request.method == "POST" else 200)
