from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.test.utils import override_settings
from django.urls import reverse

from surveys.models import Round, RoundStatistic
from surveys.services.demo import demo_build


class Command(BaseCommand):
    help = "Migrate, load the seed study, build a synthetic demo panel, open round 1 and serve the site."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-serve", action="store_true", help="Do everything but serve.")
        parser.add_argument("--addrport", default="127.0.0.1:8000", help="Where to serve (default 127.0.0.1:8000).")

    def handle(self, *args: Any, no_serve: bool, addrport: str, **options: Any) -> None:
        # The printed links (and the demo's emails) point where the site is served, unless set.
        base_url = settings.BASE_URL if "DELPHI_BASE_URL" in os.environ else served_at(addrport)
        # SETTINGS_MODULE kept, or runserver's banner says "using settings None" under the override.
        with override_settings(BASE_URL=base_url, SETTINGS_MODULE=settings.SETTINGS_MODULE):
            self._demo(no_serve=no_serve, addrport=addrport)

    def _demo(self, *, no_serve: bool, addrport: str) -> None:
        self.stdout.write("Migrating the database…")
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Loading the seed study and the synthetic demo panel…")
        result = demo_build()
        study = result.study
        lines = [
            "",
            self.style.SUCCESS(f"Demo study ready: {study.title}"),
            f"  Panel: {result.panel_size} synthetic experts (marked 'synthetic' everywhere).",
            *self._rounds(study),
            "",
            "Where to click:",
            f"  Facilitator dashboard: {result.url(reverse('facilitator:study', args=[study.slug]))}",
            f"      username: {result.facilitator_username}   password: {result.facilitator_password}",
            f"  Django admin:          {result.url(reverse('admin:index'))}",
            f"  Study in the admin:    {result.url(reverse('admin:surveys_study_change', args=[study.pk]))}",
            f"  Consensus report:      {result.url(reverse('reports:page', args=[study.slug]))}",
            f"  API docs (as staff):   {result.url('/api/docs/')}",
            f"  Expert invitation ({result.expert_pseudonym}, synthetic):",
            f"                         {result.url(reverse('surveys:expert_entry', args=[result.expert_token]))}",
            "",
        ]
        self.stdout.write("\n".join(lines))
        if not no_serve:
            self.stdout.write(f"Serving on {served_at(addrport)}/ — press Ctrl+C to stop.")
            call_command("runserver", addrport, use_reloader=False)

    def _rounds(self, study) -> list[str]:  # type: ignore[no-untyped-def]
        lines = []
        for round_ in study.rounds.order_by("number"):
            summary = RoundStatistic.objects.filter(round=round_).first()
            if summary is None:
                lines.append(f"  Round {round_.number}: {round_.get_status_display().lower()}")
                continue
            lines.append(
                f"  Round {round_.number}: {round_.get_status_display().lower()}, {summary.n_submitted} of "
                f"{summary.n_invited} answered; consensus in {summary.n_in}, out {summary.n_out}, "
                f"none {summary.n_none}"
            )
        last = study.rounds.order_by("-number").first()
        if last is not None and last.status == Round.Status.OPEN:
            lines.append(f"  Round {last.number} is open: answer it as the expert below.")
        elif last is not None and hasattr(last, "statistic") and last.statistic.is_stop_met:
            lines.append(f"  The stopping rule is met: {last.statistic.stop_reason}")
        return lines


def served_at(addrport: str) -> str:
    """The base URL a browser on this machine uses for runserver's ``addrport`` ("8001", "0.0.0.0:8001")."""
    host, _, port = addrport.rpartition(":")
    if host in ("", "0.0.0.0", "[::]", "::"):  # noqa: S104 (naming the wildcard, not binding it)
        host = "127.0.0.1"
    return f"http://{host}:{port}"
