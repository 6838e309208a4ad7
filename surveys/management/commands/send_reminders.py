"""``python manage.py send_reminders STUDY_SLUG``: remind those who have not submitted the open round."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from surveys.errors import DomainError
from surveys.models import Round
from surveys.services.mail import reminders_send


class Command(BaseCommand):
    help = (
        "Email a reminder, with a new personal link, to every expert of the study who has not submitted in its open "
        "round (not to revoked experts, and never twice). Exits 1 if some failed (run it again), 2 if not allowed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("study_slug")

    def handle(self, *args: Any, study_slug: str, **options: Any) -> None:
        round_ = Round.objects.filter(study__slug=study_slug, status=Round.Status.OPEN).first()
        if round_ is None:
            raise CommandError(f"Study '{study_slug}' has no open round (or does not exist).", returncode=2)
        try:
            outcome = reminders_send(round=round_)
        except DomainError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        message = f"Reminders for round {round_.number} of '{study_slug}': {outcome.describe()}."
        if outcome.failed:
            raise CommandError(message + " Run the command again to retry the failed ones.", returncode=1)
        self.stdout.write(self.style.SUCCESS(message))
