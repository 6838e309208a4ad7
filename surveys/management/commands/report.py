"""Build a consensus report headless: ``manage.py report SLUG --format pdf --language ru --output PATH``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from surveys.reports.formats import FORMATS
from surveys.reports.language import report_languages, supported
from surveys.selectors.reports import report_study_by_slug
from surveys.services.reports import report_file


class Command(BaseCommand):
    help = "Write a study's consensus report as PDF, XLSX, CSV, JSON or HTML (no Celery, no web server)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="The study's slug.")
        parser.add_argument("--format", choices=sorted(FORMATS), default="pdf")
        parser.add_argument(
            "--language",
            choices=report_languages(),
            default=None,
            help="The report's language (a code of settings.LANGUAGES). Default: the default language.",
        )
        parser.add_argument("--output", help="Where to write it; '-' for standard output. Default: SLUG-report.EXT")

    def handle(
        self, *args: Any, slug: str, format: str, language: str | None, output: str | None, **options: Any
    ) -> None:
        study = report_study_by_slug(slug)
        if study is None:
            raise CommandError(f"No study with the slug {slug!r}.")
        spec = FORMATS[format]
        language = language or supported(None)
        content = report_file(study, format, language)
        if output == "-":
            sys.stdout.buffer.write(content)
            return
        path = Path(output or f"{slug}-report.{spec.extension}")
        try:
            path.write_bytes(content)
        except OSError as exc:
            raise CommandError(f"Cannot write {path}: {exc.strerror}") from exc
        self.stdout.write(f"Wrote the {spec.label} report of '{slug}' ({language}) to {path} ({len(content):,} bytes).")
