"""Pick a renderer by format name: each turns one :class:`~.data.ReportData` into bytes.

The columns of the CSV formats are documented in docs/report-formats.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .data import ReportData


@dataclass(frozen=True)
class Format:
    name: str
    label: str | Promise  # translated when shown
    extension: str
    content_type: str
    needs_ratings: bool


FORMATS = {
    "pdf": Format("pdf", "PDF", "pdf", "application/pdf", False),
    "xlsx": Format(
        "xlsx", _("Excel (XLSX)"), "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", True
    ),
    "csv": Format("csv", _("CSV (tidy, long)"), "csv", "text/csv; charset=utf-8", False),
    "ratings": Format("ratings", _("Raw ratings (CSV, pseudonymised)"), "csv", "text/csv; charset=utf-8", True),
    "json": Format("json", "JSON", "json", "application/json", False),
    "html": Format("html", _("HTML (one file)"), "html", "text/html; charset=utf-8", False),
}


def renderer(name: str) -> Callable[[ReportData], bytes]:
    """The function that renders format ``name``; imports its library only when asked."""
    if name == "pdf":
        from .pdf import render_pdf

        return render_pdf
    if name == "xlsx":
        from .xlsx import render_xlsx

        return render_xlsx
    if name == "csv":
        from .tabular import render_csv

        return render_csv
    if name == "ratings":
        from .tabular import render_ratings_csv

        return render_ratings_csv
    if name == "json":
        from .json_export import render_json

        return render_json
    if name == "html":
        from .html import render_report_html

        return lambda data: render_report_html(data).encode("utf-8")
    raise ValueError(f"Unknown report format {name!r}; choose one of {', '.join(FORMATS)}.")


def render(data: ReportData, name: str) -> bytes:
    return renderer(name)(data)
