"""The report as HTML: a template context built from :class:`~.data.ReportData`, shared by the
web page and the PDF (WeasyPrint renders the same ``_report.html`` with print CSS).

Numbers are formatted once (:mod:`.numbers`), so the page and the PDF print the same strings.
Charts are not drawn here: the context links each chart through ``chart_src(name, layout)``, a URL
of the chart cache for the web page, or a data URI drawn once for a standalone document.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from django.contrib.staticfiles import finders
from django.core.exceptions import ImproperlyConfigured
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from surveys.lineage import Lineage
from surveys.models import Round

from .chart_set import CONVERGENCE, QUADRANT, ChartSpec, chart_specs, trajectory_name
from .data import ReportData
from .finding import finding
from .headline import headline_context
from .intro import intro_context, kind_label
from .methods import CHANGE_LABELS, change_counts
from .numbers import fmt_num, fmt_p, fmt_pct, fmt_time
from .sections import latest_divergence, verdict_label

__all__ = ["fmt_num", "fmt_p", "fmt_pct", "fmt_time", "render_report_html", "report_context"]

REPORT_CSS = "surveys/report.css"
PARTS_CSS = "surveys/report-parts.css"  # the page links it; the standalone file and the PDF inline it
STABILITY_DETAIL_LIMIT = 15
DIVERGENCE_LIMIT = 10
PRINT_SCALE = 1.0  # pixels per CSS px of inlined charts: 960 px over A4's text width is ~135 dpi; WeasyPrint
# spends most of a large PDF's time on image pixels (1.5 doubled the 100-item PDF)

ChartSource = Callable[[str, str], "str | None"]


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def chart_ref(spec: ChartSpec | None, src: ChartSource | None) -> dict[str, Any] | None:
    """What ``_chart.html`` needs: the wide image, and the narrow one for small screens if any."""
    if spec is None or src is None:
        return None
    wide = src(spec.name, "wide")
    if wide is None:
        return None
    narrow = src(spec.name, "narrow")
    width, height = spec.size("wide")
    ref: dict[str, Any] = {"alt": spec.alt, "src": wide, "width": width, "height": height, "narrow": None}
    if narrow is not None:
        n_width, n_height = spec.size("narrow")
        ref["narrow"] = {"src": narrow, "width": n_width, "height": n_height}
    return ref


def _cell(row: Any | None, number: int, decides: bool = True) -> dict[str, Any]:
    if row is None:
        return {"round": number, "asked": False}
    return {
        "round": number,
        "asked": True,
        "code": row["item_code"],
        "n": int(row["n"]),
        "abstentions": int(row["abstentions"]),
        "median": fmt_num(row["median"]),
        "q1": fmt_num(row["q1"]),
        "q3": fmt_num(row["q3"]),
        "iqr": fmt_num(row["iqr"]),
        "pct_agree": fmt_pct(row["pct_agree"]),
        "verdict": row["verdict"] or ("nodata" if decides or not row["n"] else "meta"),
        "verdict_label": verdict_label(row["verdict"], int(row["n"]), decides=decides),
    }


def _dimension_rows(
    data: ReportData, lineage: Lineage, specs: dict[str, ChartSpec], src: ChartSource | None
) -> list[dict[str, Any]]:
    rows = data.lineage_statistics(lineage.root_code, groups=True)
    out = []
    for key in lineage.dimensions:
        chosen = rows[rows["dimension"] == key]
        whole = chosen[chosen["group"] == ""]
        by_round = {int(r["round"]): r for _, r in whole.iterrows()}
        dimension = data.dimension(key)
        cells = [_cell(by_round.get(n), n, dimension.decides) for n in data.round_numbers]
        chart = chart_ref(specs.get(trajectory_name(lineage.root_code, key)), src)
        said = finding(chosen, dimension).text if dimension.decides and len(whole) else ""
        out.append({"dimension": dimension, "cells": cells, "chart": chart, "finding": said})
    return out


def _stability(data: ReportData) -> dict[str, Any]:
    shifts = data.shifts
    summary = []
    for number, chosen in shifts.groupby("round_to", sort=True):
        paired = chosen[chosen["n_paired"].fillna(0) > 0]
        summary.append(
            {
                "round_from": int(chosen["round_from"].min()),
                "round_to": int(number),
                "items": len(chosen),
                "stable": int(paired["is_stable"].fillna(False).astype(bool).sum()),
                "median_scheibe": fmt_pct(paired["scheibe_pct_change"].median()),
                "median_kappa": fmt_num(paired["kappa_qw"].median()),
                "median_unchanged": fmt_pct(paired["pct_unchanged"].median()),
            }
        )
    detail = []
    if len(shifts):
        latest = shifts[shifts["round_to"] == shifts["round_to"].max()]
        for _, row in latest.sort_values("scheibe_pct_change", ascending=False).head(STABILITY_DETAIL_LIMIT).iterrows():
            detail.append(
                {
                    "code": row["item_code_to"],
                    "root": row["lineage_root_code"],
                    "dimension_label": data.dimension(row["dimension"]).label,
                    "median": f"{fmt_num(row['median_from'])} → {fmt_num(row['median_to'])}",
                    "n_paired": fmt_num(row["n_paired"], 0),
                    "wilcoxon_p": fmt_p(row["wilcoxon_p"]),
                    "kappa": fmt_num(row["kappa_qw"]),
                    "unchanged": fmt_pct(row["pct_unchanged"]),
                    "scheibe": fmt_pct(row["scheibe_pct_change"]),
                    "delta_cv": fmt_num(row["delta_cv"]),
                    "is_stable": (  # None ("n/a"): an item new in the round has no pair to compare
                        None
                        if _missing(row["n_paired"]) or not row["n_paired"] or _missing(row["is_stable"])
                        else bool(row["is_stable"])
                    ),
                }
            )
    return {"summary": summary, "detail": detail, "total": len(shifts)}


def _attrition(data: ReportData) -> dict[str, Any]:
    rows = [{**r, "response_rate": fmt_pct(r["response_rate"])} for r in data.attrition.to_dict("records")]
    groups: dict[str, dict[str, Any]] = {}
    for r in data.attrition_by_group.to_dict("records"):
        entry = groups.setdefault(r["group"], {"group": r["group"], "members": r["members"], "cells": []})
        entry["cells"].append(f"{r['answered']} ({fmt_pct(r['response_rate'])})")
    return {"rows": rows, "groups": list(groups.values())}


def _convergence(data: ReportData) -> list[dict[str, Any]]:
    return [
        {
            **r,
            "label": data.dimension(r["dimension"]).label,
            "mean_iqr": fmt_num(r["mean_iqr"]),
            "mean_cv": fmt_num(r["mean_cv"]),
            "apmo": fmt_pct(r["apmo"]),
            "kendall_w": fmt_num(r["kendall_w"], 3),
            "kendall_p": fmt_p(r["kendall_p"]),
        }
        for r in data.convergence.to_dict("records")
    ]


def _items_per_round(data: ReportData) -> list[dict[str, Any]]:
    """How many items each round rated on the first dimension that decides consensus."""
    keys = [d.key for d in data.dimensions if d.decides]
    frame = data.convergence
    if not keys or not len(frame):
        return []
    chosen = frame[frame["dimension"] == keys[0]]
    return [{"round": int(r), "n_items": int(n)} for r, n in zip(chosen["round"], chosen["n_items"], strict=True)]


def _divergence(data: ReportData) -> list[dict[str, Any]]:
    return [
        {
            "round": r["round"],
            "code": r["item_code"],
            "root": r["lineage_root_code"],
            "dimension_label": data.dimension(r["dimension"]).label,
            "panel_median": fmt_num(r["panel_median"]),
            "range": fmt_num(r["median_range"]),
            "groups": [(g, fmt_num(m)) for g, m in r["group_medians"]],
        }
        for r in latest_divergence(data.divergence, DIVERGENCE_LIMIT).to_dict("records")
    ]


def _content(data: ReportData) -> dict[str, Any]:
    """Which study texts stand in for a missing translation (module surveys.selectors.report_rows)."""
    from django.conf import settings

    from .language import supported

    names = dict(settings.LANGUAGES)
    default = next((f.split(":", 1)[1] for f in data.study.fallbacks if f.startswith("default:")), "")
    default = default or supported(None)
    return {
        "default": default,
        "default_name": names.get(default, default),
        "any_fallback": any(not f.startswith("default:") for f in data.study.fallbacks),
        "title_fallback": "study:title" in data.study.fallbacks,
    }


def report_context(data: ReportData, *, chart_src: ChartSource | None = None) -> dict[str, Any]:
    """Everything ``surveys/reports/_report.html`` shows, formatted; charts linked by ``chart_src``."""
    specs = chart_specs(data) if chart_src is not None else {}
    changes = data.item_changes
    threshold = fmt_pct(data.methods.agree_threshold)
    return {
        "report": data,
        "study": data.study,
        "intro": intro_context(data, threshold),
        "reported_rounds": data.reported_rounds,
        "unreported_rounds": [
            {"number": r.number, "is_open": r.status == Round.Status.OPEN, "is_closed": r.status == Round.Status.CLOSED}
            for r in data.rounds
            if not r.is_reported
        ],
        "generated_at": fmt_time(data.generated_at),
        "headline": headline_context(data),
        "content": _content(data),
        "items": [
            {
                "lineage": lineage,
                "kind": kind_label(lineage.kind),
                "fallback": f"item:{lineage.code}" in data.study.fallbacks,
                "dims": _dimension_rows(data, lineage, specs, chart_src),
            }
            for lineage in data.lineages
            if lineage.dimensions
        ],
        "open_questions": [lineage for lineage in data.lineages if not lineage.dimensions],
        "round_rows": [
            {"round": r, "response_rate": fmt_pct(r.response_rate), "apmo": fmt_pct(r.apmo)}
            for r in data.reported_rounds
        ],
        "convergence": _convergence(data),
        "convergence_chart": chart_ref(specs.get(CONVERGENCE), chart_src),
        "retired_counts": _items_per_round(data),
        "quadrant_chart": chart_ref(specs.get(QUADRANT), chart_src),
        "stability": _stability(data),
        "divergence": _divergence(data),
        "attrition": _attrition(data),
        "composition": data.composition.to_dict("records"),
        "change_counts": change_counts(changes).to_dict("records"),
        "change_details": [
            {**r, "label": str(CHANGE_LABELS[r["change"]])}
            for r in changes[~changes["change"].isin(["asked", "carried"])].to_dict("records")
        ],
        "methods": data.methods,
        "rule_frozen_at": fmt_time(data.methods.consensus_rule_frozen_at),
        "threshold": threshold,
    }


@functools.cache
def _report_css() -> str:
    """The report's stylesheet: a static file for the web page (the CSP allows no inline style there),
    inlined in the standalone document, which must carry its own style."""
    return _static_css(REPORT_CSS)


@functools.cache
def _parts_css() -> str:
    """The reasons, movement and checklist parts' stylesheet, whole (its screen rules too: the
    standalone file is read in a browser; the PDF takes it up to its screen-only rules)."""
    return _static_css(PARTS_CSS)


def _static_css(name: str) -> str:
    path = finders.find(name)
    if path is None:  # a packaging mistake, not user input
        raise ImproperlyConfigured(f"static file {name} is missing")
    # Our own file, not user input: marked safe so that autoescaping does not turn its quotes
    # (font names, `content: "page "`) into &quot; inside <style>, which breaks those rules.
    return mark_safe(Path(path).read_text(encoding="utf-8"))  # noqa: S308


def inline_charts(data: ReportData) -> ChartSource:
    """Every chart of ``data`` drawn now (wide layout only) and linked as data URIs."""
    from .chart_set import draw_charts
    from .charts import data_uri

    drawn = draw_charts(data, layouts=("wide",), scale=PRINT_SCALE)
    return lambda name, layout: data_uri(drawn[(name, layout)]) if (name, layout) in drawn else None


def render_report_html(data: ReportData, *, charts: bool = True) -> str:
    """The standalone printable document (``print.html``) that the PDF is made from; its charts are
    inlined, and so are both stylesheets (the report's and its parts'), so the file stands alone."""
    css = mark_safe(f"{_report_css()}\n{_parts_css()}")  # noqa: S308 - our own static files
    context = {**report_context(data, chart_src=inline_charts(data) if charts else None), "report_css": css}
    return render_to_string("surveys/reports/print.html", context)
