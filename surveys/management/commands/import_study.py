from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from surveys.errors import DomainError, FieldError, StudyFileError
from surveys.services.study_backup import study_data_import
from surveys.services.study_files import study_import
from surveys.study_yaml import MAX_FILE_BYTES, load_study_yaml
from surveys.text_input import UploadError, decode_upload


class Command(BaseCommand):
    help = "Create or update a study from a study file (docs/study-format.md). Exits 2 on an invalid file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--with-data",
            action="store_true",
            help="Restore a file written by export_study --with-data into a database without that study.",
        )

    def handle(self, *args: Any, path: Path, with_data: bool, **options: Any) -> None:
        try:
            text = decode_upload(path, max_bytes=MAX_FILE_BYTES, what=str(path))  # a huge file is never read
        except OSError as exc:
            raise CommandError(f"{path}: cannot read the file: {exc.strerror or exc}", returncode=2) from exc
        except UploadError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        try:
            if with_data:
                self._restore(text, str(path))
                return
            result = study_import(text=text, filename=str(path))
        except DomainError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        verb = "Created" if result.is_created else "Updated"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} study '{result.study.slug}': {len(result.items_created)} item(s) added, "
                f"{len(result.items_updated)} changed, {len(result.items_removed)} removed."
            )
        )
        for warning in result.warnings:  # missing translations: imported, but experts see the default there
            self.stdout.write(self.style.WARNING(f"warning: {warning.render(str(path))}"))

    def _restore(self, text: str, filename: str) -> None:
        document = load_study_yaml(text, filename)  # the same loader as a plain import, and only once
        if not isinstance(document, dict):
            raise StudyFileError(filename, [FieldError("(top level)", "must be a mapping of study fields")])
        study = study_data_import(document=document, filename=filename)
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored study '{study.slug}': {study.panelists.count()} panelists, {study.rounds.count()} rounds."
            )
        )
