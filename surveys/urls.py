from __future__ import annotations

from django.urls import path

from surveys.views import autosave, expert, expert_language, pages

app_name = "surveys"

urlpatterns = [
    path("", pages.home, name="home"),
    path("healthz", pages.healthz, name="healthz"),
    # The expert's pages: token-free, found through the session the invitation link opened.
    # They come before the link's own pattern, which would match them too.
    path("e/welcome/", expert.welcome, name="expert_welcome"),
    path("e/consent/", expert.consent, name="expert_consent"),
    path("e/profile/", expert.profile, name="expert_profile"),
    path("e/round/", expert.current_round, name="expert_round"),
    path("e/ballots/<int:ballot_id>/", expert.ballot_page, name="expert_ballot"),
    path("e/ballots/<int:ballot_id>/autosave/", autosave.autosave, name="expert_autosave"),
    path("e/ballots/<int:ballot_id>/reopen/", expert.reopen, name="expert_reopen"),
    path("e/withdraw/", expert.withdraw, name="expert_withdraw"),
    path("e/language/", expert_language.language_switch, name="expert_language"),
    path("e/<str:token>/", expert.entry, name="expert_entry"),
]
