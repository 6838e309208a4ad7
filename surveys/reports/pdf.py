"""The PDF report: WeasyPrint renders the same HTML as the web page, with its print CSS.

Charts are PNG data URIs, and the fetcher allows ``data:`` URLs only: building a report never
touches the network (no web fonts, no remote images), whatever text an item or a study holds.
"""

from __future__ import annotations

from typing import Any

from .data import ReportData
from .html import render_report_html


def _fetcher() -> Any:
    """A WeasyPrint URL fetcher that refuses every scheme but ``data:``."""
    try:
        from weasyprint.urls import URLFetcher  # WeasyPrint ≥ 66
    except ImportError:  # pragma: no cover - older WeasyPrint takes a function
        from weasyprint import default_url_fetcher

        def fetch(url: str, *args: Any, **kwargs: Any) -> Any:
            if not url.startswith("data:"):
                raise ValueError(f"report PDFs load nothing from outside: {url[:80]}")
            return default_url_fetcher(url, *args, **kwargs)

        return fetch
    return URLFetcher(allowed_protocols={"data"})


def render_pdf(data: ReportData) -> bytes:
    """The report as PDF bytes (A4, page numbers in the footer)."""
    from weasyprint import HTML

    html = render_report_html(data)
    return HTML(string=html, base_url=None, url_fetcher=_fetcher()).write_pdf()
