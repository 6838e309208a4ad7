from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from surveys.errors import DomainError
from surveys.models import Round
from surveys.services.aggregation import round_aggregate


class Command(BaseCommand):
    help = "Aggregate a closed round of a study now (headless), replacing its statistics."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("study_slug")
        parser.add_argument("round_number", type=int)

    def handle(self, *args: Any, study_slug: str, round_number: int, **options: Any) -> None:
        round_ = Round.objects.filter(study__slug=study_slug, number=round_number).first()
        if round_ is None:
            raise CommandError(f"Study '{study_slug}' has no round {round_number}.", returncode=2)
        try:
            summary = round_aggregate(round=round_)
        except DomainError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Aggregated round {round_number} of '{study_slug}': {summary.n_submitted} ballots, "
                f"{summary.n_in} consensus in, {summary.n_out} out, {summary.n_none} without consensus. "
                f"Stopping rule: {summary.stop_reason}"
            )
        )
