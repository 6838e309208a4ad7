"""Who may use the facilitator's pages, and finding what a URL names."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache

from surveys.models import Round, Study
from surveys.selectors.facilitator import facilitator_round, facilitator_study
from surveys.views.expert import SESSION_KEY as EXPERT_SESSION_KEY

View = Callable[..., HttpResponse]


def staff_required(view: View) -> View:
    """Staff only: anonymous → sign-in page; an expert's session or a user without staff rights → 404.

    Pages are never cached.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            if request.session.get(EXPERT_SESSION_KEY) is not None:
                raise Http404(gettext("No such page."))
            return redirect_to_login(request.get_full_path())
        if not (user.is_active and user.is_staff):
            raise Http404(gettext("No such page."))
        return view(request, *args, **kwargs)

    return never_cache(wrapper)


def acting(request: HttpRequest) -> AbstractBaseUser:
    """The signed-in facilitator, for the audit trail (``staff_required`` has checked who it is)."""
    user = request.user
    assert isinstance(user, AbstractBaseUser)
    return user


def study_or_404(slug: str) -> Study:
    study = facilitator_study(slug)
    if study is None:
        raise Http404(gettext("No such study."))
    return study


def round_or_404(study: Study, number: int) -> Round:
    round_ = facilitator_round(study, number)
    if round_ is None:
        raise Http404(gettext("No such round."))
    return round_


def posted(request: HttpRequest) -> Any:
    """The POST data to bind a form to (even when empty, so a bare POST shows "required"), or None."""
    return request.POST if request.method == "POST" else None
