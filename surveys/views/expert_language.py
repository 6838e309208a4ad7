"""The language switcher on the expert's pages: the choice is remembered on the panelist."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from surveys.errors import DomainError
from surveys.expert_language import activate_for, language_for
from surveys.models import Panelist
from surveys.services.expert_language import panelist_language_set
from surveys.views.expert import expert_required


@require_POST
@expert_required
def language_switch(request: HttpRequest, panelist: Panelist) -> HttpResponse:
    """Store the chosen language on the panelist, then show the page the form was on again, in it.
    The ``next`` page must be one of this site's (never an open redirect)."""
    try:
        panelist = panelist_language_set(panelist=panelist, language=request.POST.get("language", ""))
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        activate_for(request, language_for(panelist))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "surveys:expert_welcome"
    return redirect(target)
