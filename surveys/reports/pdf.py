"""The PDF report: WeasyPrint renders the report's printable HTML (``print.html``) with its print CSS.

What the PDF adds to the standalone HTML: the reasons, movement and checklist parts in their print
form (:func:`surveys.reports.parts.report_parts` with ``for_print``: at most a few rationales per
side, with how many more there are, since a PDF cannot unfold), and the stylesheet
``surveys/report-parts.css``, whose print rules set one font family (the page-number box too), the
"md 7" badge at the table's size, and retired items' trajectories at half width.

Charts are JPEG data URIs (:func:`jpeg_charts` says why), and the fetcher allows ``data:`` URLs
only: building a report never touches the network (no web fonts, no remote images), whatever text
an item or a study holds.
"""

from __future__ import annotations

import base64
import functools
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.contrib.staticfiles import finders
from django.core.exceptions import ImproperlyConfigured
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from .charts import JPEG_QUALITY
from .data import ReportData
from .parts import report_parts

PARTS_CSS = "surveys/report-parts.css"
PNG_SIGNATURE = b"\x89PNG"
SCREEN_ONLY = "/* screen only:"  # the stylesheet's rules from this comment on are for the web page alone


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


@functools.cache
def parts_css() -> str:
    """The parts' stylesheet up to its screen-only rules: our own static file (safe to inline)."""
    path = finders.find(PARTS_CSS)
    if path is None:  # a packaging mistake, not user input
        raise ImproperlyConfigured(f"static file {PARTS_CSS} is missing")
    return Path(path).read_text(encoding="utf-8").split(SCREEN_ONLY, 1)[0]


def jpeg_charts(data: ReportData) -> Callable[[str, str], str | None]:
    """Every chart drawn now (wide layout) and inlined as a JPEG data URI.

    Why JPEG in the PDF: WeasyPrint decodes every PNG and encodes it again with zlib (a quarter of
    the 100-item PDF's build time), but embeds a JPEG's bytes as they are. Quality 88 without
    chroma subsampling keeps the charts' text sharp; the file grows (about 2 MB to 5 MB there).
    """
    from PIL import Image

    from .chart_set import draw_charts
    from .html import PRINT_SCALE

    drawn = {}
    for key, image in draw_charts(data, layouts=("wide",), scale=PRINT_SCALE, image_format="jpeg").items():
        if image.startswith(PNG_SIGNATURE):  # the overview charts come as PNG
            out = io.BytesIO()
            Image.open(io.BytesIO(image)).convert("RGB").save(out, format="JPEG", quality=JPEG_QUALITY, subsampling=0)
            image = out.getvalue()
        drawn[key] = "data:image/jpeg;base64," + base64.b64encode(image).decode("ascii")
    return lambda name, layout: drawn.get((name, layout))


def render_print_html(data: ReportData) -> str:
    """The HTML WeasyPrint lays out: ``print.html`` with the parts in print form and both stylesheets."""
    from .html import _report_css, report_context

    context = report_context(data, chart_src=jpeg_charts(data))
    context["parts"] = report_parts(data, for_print=True)
    context["report_css"] = mark_safe(f"{_report_css()}\n{parts_css()}")  # noqa: S308 - our own static files
    return render_to_string("surveys/reports/print.html", context)


def render_pdf(data: ReportData) -> bytes:
    """The report as PDF bytes (A4, page numbers in the footer)."""
    from weasyprint import HTML

    return HTML(string=render_print_html(data), base_url=None, url_fetcher=_fetcher()).write_pdf()
