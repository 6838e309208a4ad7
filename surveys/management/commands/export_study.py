from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from surveys.models import Study
from surveys.services.study_backup import study_backup_yaml
from surveys.services.study_files import study_export
from surveys.study_format import dump_yaml


class Command(BaseCommand):
    help = "Write a study back as a study file (to standard output unless --output is given)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--output", type=Path, default=None)
        parser.add_argument(
            "--with-data",
            action="store_true",
            help="Also write the panel, rounds, ballots, ratings with revisions, statistics and audit trail.",
        )
        parser.add_argument(
            "--pseudonymise",
            action="store_true",
            help="With --with-data: replace emails and names by pseudonyms and leave out the token hashes.",
        )

    def handle(
        self, *args: Any, slug: str, output: Path | None, with_data: bool, pseudonymise: bool, **options: Any
    ) -> None:
        study = Study.objects.filter(slug=slug).first()
        if study is None:
            raise CommandError(f"No study with the slug '{slug}'.", returncode=2)
        if pseudonymise and not with_data:
            raise CommandError("--pseudonymise goes with --with-data.", returncode=2)
        text = (
            study_backup_yaml(study=study, pseudonymise=pseudonymise)
            if with_data
            else dump_yaml(study_export(study=study))
        )
        if output is None:
            self.stdout.write(text, ending="")
        else:
            output.write_text(text, encoding="utf-8")
            self.stdout.write(self.style.SUCCESS(f"Wrote {output}"))
