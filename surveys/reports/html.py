"""The report as HTML: a template context built from :class:`~.data.ReportData`, shared by the
web page and the PDF (WeasyPrint renders the same ``_report.html`` with print CSS).

Numbers are formatted here, once, so the page and the PDF print the same strings: medians and
quartiles with up to two decimals (type-7 quantiles can fall between points), shares as whole
percentages.
"""

from __future__ import annotations

import functools
import math
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
from django.contrib.staticfiles import finders
from django.core.exceptions import ImproperlyConfigured
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from surveys.lineage import Lineage

from .data import DimensionInfo, ReportData
from .methods import CHANGE_LABELS, change_counts
from .sections import latest_divergence, verdict_label

REPORT_CSS = "surveys/report.css"
STABILITY_DETAIL_LIMIT = 15
DIVERGENCE_LIMIT = 10


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def fmt_num(value: Any, digits: int = 2) -> str:
    """7, 6.5, 6.25; an en dash when missing."""
    if _missing(value):
        return "–"
    text = f"{float(value):.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def fmt_pct(share: Any) -> str:
    return "–" if _missing(share) else f"{float(share) * 100:.0f}%"


def fmt_p(p: Any) -> str:
    if _missing(p):
        return "–"
    return "<0.001" if float(p) < 0.001 else f"{float(p):.3f}"


def fmt_time(moment: datetime | None) -> str:
    return "–" if moment is None else moment.strftime("%Y-%m-%d %H:%M UTC")


def _cell(row: Any | None, number: int, decides: bool = True) -> dict[str, Any]:
    if row is None:
        return {"round": number, "asked": False}
    return {
        "round": number, "asked": True, "code": row["item_code"], "n": int(row["n"]),
        "abstentions": int(row["abstentions"]), "median": fmt_num(row["median"]), "q1": fmt_num(row["q1"]),
        "q3": fmt_num(row["q3"]), "iqr": fmt_num(row["iqr"]), "pct_agree": fmt_pct(row["pct_agree"]),
        "verdict": row["verdict"] or ("nodata" if decides or not row["n"] else "meta"),
        "verdict_label": verdict_label(row["verdict"], int(row["n"]), decides=decides),
    }  # fmt: skip


def _dimension_rows(data: ReportData, lineage: Lineage, charts: Any) -> list[dict[str, Any]]:
    rows = data.lineage_statistics(lineage.root_code)
    out = []
    for key in lineage.dimensions:
        chosen = rows[rows["dimension"] == key]
        by_round = {int(r["round"]): r for _, r in chosen.iterrows()}
        dimension = data.dimension(key)
        chart = charts(dimension, chosen) if charts is not None and len(chosen) else None
        cells = [_cell(by_round.get(n), n, dimension.decides) for n in data.round_numbers]
        out.append({"dimension": dimension, "cells": cells, "chart": chart})
    return out


def _headline(data: ReportData, painter: Any) -> dict[str, Any] | None:
    lineage = data.headline
    if lineage is None:
        return None
    rows = data.lineage_statistics(lineage.root_code, groups=True)
    hidden = data.suppressed[data.suppressed["lineage_root_code"] == lineage.root_code]
    dims = []
    for key in lineage.dimensions:
        dimension = data.dimension(key)
        chosen = rows[rows["dimension"] == key]
        whole, groups = chosen[chosen["group"] == ""], chosen[chosen["group"] != ""]
        table = []
        for _, row in whole.iterrows():
            in_round = groups[groups["round"] == row["round"]]
            cell = _cell(row, int(row["round"]), dimension.decides)
            cell["groups"] = [(g, fmt_num(m)) for g, m in zip(in_round["group"], in_round["median"], strict=True)]
            withheld = hidden[(hidden["dimension"] == key) & (hidden["round"] == row["round"])]
            cell["groups"] += [(g, data.suppressed_note) for g in withheld["group"]]
            table.append(cell)
        chart = None
        if painter is not None and len(whole):
            chart = _uri(painter.png(dimension, whole, groups=groups))
        dims.append({"dimension": dimension, "rows": table, "chart": chart, "summary": _movement(table, dimension)})
    return {"lineage": lineage, "dims": dims}


def _movement(table: list[dict[str, Any]], dimension: DimensionInfo) -> str:
    """One sentence: how the median, the share agreeing and the verdict moved from first to last round."""
    if not table:
        return "Not yet rated in an aggregated round."
    first, last = table[0], table[-1]
    if first is last:
        text = f"Round {first['round']}: median {first['median']}, IQR {first['iqr']}, {first['pct_agree']} agree"
        return text + (f" — {first['verdict_label']}." if dimension.decides else ".")
    text = (
        f"From round {first['round']} to round {last['round']}: median {first['median']} → {last['median']}, "
        f"IQR {first['iqr']} → {last['iqr']}, agreeing {first['pct_agree']} → {last['pct_agree']}"
    )
    return text + (f"; {first['verdict_label']} → {last['verdict_label']}." if dimension.decides else ".")


def _uri(png: bytes) -> str:
    from .charts import data_uri

    return data_uri(png)


def _stability(data: ReportData) -> dict[str, Any]:
    shifts = data.shifts
    summary = []
    for number, chosen in shifts.groupby("round_to", sort=True):
        paired = chosen[chosen["n_paired"].fillna(0) > 0]
        summary.append({
            "round_from": int(chosen["round_from"].min()), "round_to": int(number), "items": len(chosen),
            "stable": int(paired["is_stable"].fillna(False).astype(bool).sum()),
            "median_scheibe": fmt_pct(paired["scheibe_pct_change"].median()),
            "median_kappa": fmt_num(paired["kappa_qw"].median()),
            "median_unchanged": fmt_pct(paired["pct_unchanged"].median()),
        })  # fmt: skip
    detail = []
    if len(shifts):
        latest = shifts[shifts["round_to"] == shifts["round_to"].max()]
        for _, row in latest.sort_values("scheibe_pct_change", ascending=False).head(STABILITY_DETAIL_LIMIT).iterrows():
            detail.append({
                "code": row["item_code_to"], "root": row["lineage_root_code"],
                "dimension_label": data.dimension(row["dimension"]).label,
                "median": f"{fmt_num(row['median_from'])} → {fmt_num(row['median_to'])}",
                "n_paired": fmt_num(row["n_paired"], 0), "wilcoxon_p": fmt_p(row["wilcoxon_p"]),
                "kappa": fmt_num(row["kappa_qw"]), "unchanged": fmt_pct(row["pct_unchanged"]),
                "scheibe": fmt_pct(row["scheibe_pct_change"]), "delta_cv": fmt_num(row["delta_cv"]),
                "is_stable": (  # None ("n/a"): an item new in the round has no pair to compare
                    None if _missing(row["n_paired"]) or not row["n_paired"] or _missing(row["is_stable"])
                    else bool(row["is_stable"])
                ),
            })  # fmt: skip
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
        {**r, "label": data.dimension(r["dimension"]).label, "mean_iqr": fmt_num(r["mean_iqr"]),
         "mean_cv": fmt_num(r["mean_cv"]), "apmo": fmt_pct(r["apmo"]), "kendall_w": fmt_num(r["kendall_w"], 3),
         "kendall_p": fmt_p(r["kendall_p"])}
        for r in data.convergence.to_dict("records")
    ]  # fmt: skip


def _divergence(data: ReportData) -> list[dict[str, Any]]:
    return [
        {"round": r["round"], "code": r["item_code"], "root": r["lineage_root_code"],
         "dimension_label": data.dimension(r["dimension"]).label,
         "panel_median": fmt_num(r["panel_median"]), "range": fmt_num(r["median_range"]),
         "groups": [(g, fmt_num(m)) for g, m in r["group_medians"]]}
        for r in latest_divergence(data.divergence, DIVERGENCE_LIMIT).to_dict("records")
    ]  # fmt: skip


def report_context(data: ReportData, *, charts: bool = True) -> dict[str, Any]:
    """Everything ``surveys/reports/_report.html`` shows, formatted."""
    painter = None
    if charts and data.round_numbers:
        from .charts import TrajectoryCharts, convergence_png

        painter = TrajectoryCharts(
            data.round_numbers, data.methods.agree_threshold, min_group_size=data.study.min_group_size
        )

    def chart(dimension: DimensionInfo, rows: pd.DataFrame) -> str:
        assert painter is not None
        return _uri(painter.png(dimension, rows))

    convergence_chart = None
    if painter is not None:
        png = convergence_png(data)
        convergence_chart = _uri(png) if png else None
    changes = data.item_changes
    return {
        "report": data,
        "study": data.study,
        "reported_rounds": data.reported_rounds,
        "unreported_rounds": [r for r in data.rounds if not r.is_reported],
        "generated_at": fmt_time(data.generated_at),
        "headline": _headline(data, painter),
        "items": [
            {"lineage": lineage, "dims": _dimension_rows(data, lineage, chart if painter else None)}
            for lineage in data.lineages
            if lineage.dimensions
        ],
        "open_questions": [lineage for lineage in data.lineages if not lineage.dimensions],
        "round_rows": [
            {"round": r, "response_rate": fmt_pct(r.response_rate), "apmo": fmt_pct(r.apmo)}
            for r in data.reported_rounds
        ],
        "convergence": _convergence(data),
        "convergence_chart": convergence_chart,
        "stability": _stability(data),
        "divergence": _divergence(data),
        "attrition": _attrition(data),
        "composition": data.composition.to_dict("records"),
        "change_counts": change_counts(changes).to_dict("records"),
        "change_details": [
            {**r, "label": CHANGE_LABELS[r["change"]]}
            for r in changes[~changes["change"].isin(["asked", "carried"])].to_dict("records")
        ],
        "methods": data.methods,
        "rule_frozen_at": fmt_time(data.methods.consensus_rule_frozen_at),
        "threshold": fmt_pct(data.methods.agree_threshold),
    }


@functools.cache
def _report_css() -> str:
    """The report's stylesheet: a static file for the web page (the CSP allows no inline style there),
    inlined in the standalone document, which must carry its own style."""
    path = finders.find(REPORT_CSS)
    if path is None:  # a packaging mistake, not user input
        raise ImproperlyConfigured(f"static file {REPORT_CSS} is missing")
    # Our own file, not user input: marked safe so that autoescaping does not turn its quotes
    # (font names, `content: "page "`) into &quot; inside <style>, which breaks those rules.
    return mark_safe(Path(path).read_text(encoding="utf-8"))  # noqa: S308


def render_report_html(data: ReportData, *, charts: bool = True) -> str:
    """The standalone printable document (``print.html``) that the PDF is made from."""
    context = {**report_context(data, charts=charts), "report_css": _report_css()}
    return render_to_string("surveys/reports/print.html", context)
