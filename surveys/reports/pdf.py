"""The PDF report: WeasyPrint renders the report's printable HTML (``print.html``) with its print CSS.

What the PDF adds to the standalone HTML: the reasons, movement and checklist parts in their print
form (:func:`surveys.reports.parts.report_parts` with ``for_print``: at most a few rationales per
side, with how many more there are, since a PDF cannot unfold), and the stylesheet
``surveys/report-parts.css``, whose print rules set one font family (the page-number box too), the
"md 7" badge at the table's size, retired items' trajectories at half width, and the tables'
fixed layout (WeasyPrint measures every cell of an automatic table twice: the verdict table of a
100-item study was a third of its layout time).

Charts are JPEG (:func:`chart_images` says why), linked as ``report-chart:<digest>`` URLs that the
fetcher answers from memory: WeasyPrint's HTML parser then reads 0.3 MB instead of 5 MB of base64,
and an image drawn twice is decoded and embedded once. The fetcher answers those URLs only: building
a report never touches the network (no web fonts, no remote images), whatever text an item or a
study holds.
"""

from __future__ import annotations

import functools
import hashlib
import io
from collections.abc import Callable, Mapping
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
CHART_SCHEME = "report-chart"

#: Called with each step of the build as it is reached: "charts" (drawn), "html" (composed),
#: "layout" (pages laid out); the file is written when :func:`render_pdf` returns.
OnStep = Callable[[str], None]


def _fetcher(images: Mapping[str, bytes]) -> Any:
    """A WeasyPrint URL fetcher that answers the charts' ``report-chart:`` URLs and refuses all else."""

    def refuse(url: str) -> None:
        raise ValueError(f"report PDFs load nothing from outside: {url[:80]}")

    try:
        from weasyprint.urls import URLFetcher, URLFetcherResponse  # WeasyPrint ≥ 66
    except ImportError:  # pragma: no cover - older WeasyPrint takes a function returning a dict

        def fetch(url: str, *args: Any, **kwargs: Any) -> Any:
            if url not in images:
                refuse(url)
            return {"string": images[url], "mime_type": "image/jpeg", "redirected_url": url}

        return fetch

    class ChartFetcher(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            if url not in images:
                refuse(url)
            return URLFetcherResponse(url, images[url], {"Content-Type": "image/jpeg"})

    return ChartFetcher(allowed_protocols={CHART_SCHEME})


@functools.cache
def parts_css() -> str:
    """The parts' stylesheet up to its screen-only rules: our own static file (safe to inline)."""
    path = finders.find(PARTS_CSS)
    if path is None:  # a packaging mistake, not user input
        raise ImproperlyConfigured(f"static file {PARTS_CSS} is missing")
    return Path(path).read_text(encoding="utf-8").split(SCREEN_ONLY, 1)[0]


def chart_images(data: ReportData) -> dict[tuple[str, str], tuple[str, bytes]]:
    """Every chart drawn now (wide layout) as JPEG: its ``report-chart:`` URL and bytes by (name, layout).

    Why JPEG in the PDF: WeasyPrint decodes every PNG and encodes it again with zlib (a quarter of
    the 100-item PDF's build time), but embeds a JPEG's bytes as they are. Quality 88 without
    chroma subsampling keeps the charts' text sharp; the file grows (about 2 MB to 5 MB there).
    The URL names the bytes' digest, so identical charts are one image.
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
        drawn[key] = (f"{CHART_SCHEME}:{hashlib.sha256(image).hexdigest()[:24]}", image)
    return drawn


def _print_document(data: ReportData, on_step: OnStep | None = None) -> tuple[str, dict[str, bytes]]:
    """``print.html`` with the parts in print form and both stylesheets, and the charts it links."""
    from .html import _report_css, report_context

    drawn = chart_images(data)
    if on_step is not None:
        on_step("charts")
    context = report_context(
        data, chart_src=lambda name, layout: drawn[(name, layout)][0] if (name, layout) in drawn else None
    )
    context["parts"] = report_parts(data, for_print=True)
    context["report_css"] = mark_safe(f"{_report_css()}\n{parts_css()}")  # noqa: S308 - our own static files
    return render_to_string("surveys/reports/print.html", context), dict(drawn.values())


def render_print_html(data: ReportData) -> str:
    """The HTML WeasyPrint lays out (its charts linked by ``report-chart:`` URLs)."""
    return _print_document(data)[0]


def render_pdf(data: ReportData, on_step: OnStep | None = None) -> bytes:
    """The report as PDF bytes (A4, page numbers in the footer); ``on_step`` hears of each step."""
    from weasyprint import HTML

    html, images = _print_document(data, on_step)
    if on_step is not None:
        on_step("html")
    document = HTML(string=html, base_url=None, url_fetcher=_fetcher(images)).render()
    if on_step is not None:
        on_step("layout")
    return document.write_pdf()
