"""``python manage.py panel_import STUDY_SLUG CSV``: add experts from a CSV, all or none."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandError, CommandParser

from surveys.errors import DomainError
from surveys.models import Study
from surveys.services.panel_import import MAX_FILE_BYTES, PanelImportError, panel_import, panel_import_preview
from surveys.text_input import UploadError, decode_upload


class Command(BaseCommand):
    help = (
        "Import experts from a CSV file with a header row: email (required), name, group, language. "
        "Every row is checked first; on any error each bad row is printed, nobody is added, and it exits 2."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("study_slug")
        parser.add_argument("path", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Check the file only; add nobody.")

    def handle(self, *args: Any, study_slug: str, path: Path, dry_run: bool = False, **options: Any) -> None:
        study = Study.objects.filter(slug=study_slug).first()
        if study is None:
            raise CommandError(f"There is no study '{study_slug}'.", returncode=2)
        try:
            text = decode_upload(path, max_bytes=MAX_FILE_BYTES, what=str(path))
        except OSError as exc:
            raise CommandError(f"{path}: cannot read the file: {exc.strerror or exc}", returncode=2) from exc
        except UploadError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        preview = panel_import_preview(study=study, text=text)
        if preview.errors:
            self._refuse(path, preview.errors)
        if dry_run:
            self.stdout.write(f"{path}: {len(preview.rows)} expert(s) would be added; nobody was added (--dry-run).")
            return
        try:
            added = panel_import(study=study, rows=preview.rows, actor_label="command")
        except PanelImportError as exc:
            self._refuse(path, exc.errors)
        except DomainError as exc:
            raise CommandError(f"{path}: {exc}", returncode=2) from exc
        self.stdout.write(self.style.SUCCESS(f"{path}: added {len(added)} expert(s) to '{study.slug}'."))

    def _refuse(self, path: Path, errors: list[Any]) -> NoReturn:
        for error in errors:
            self.stderr.write(f"{path}: {error.render()}")
        raise CommandError(f"{path}: {len(errors)} bad row(s); nobody was added.", returncode=2)
