"""The JSON report: :class:`~.data.ReportData` as plain JSON data, the same content the API serves.

Shape (``"format": "delphi-report/1"``): ``study``, ``dimensions``, ``rounds`` (with the stored
round statistics), ``headline`` (the headline item, or null), ``items`` (one entry per lineage,
each with every stored ``statistics`` row, groups included), ``convergence``, ``shifts``,
``divergence``, ``panel`` (size, composition and attrition, small groups pooled),
``item_changes``, ``methods``, ``reasons`` (the shown rationales, by round, item, dimension and
side; ``counts`` per cell, with ``null`` counts where the cell is withheld), ``suggestions`` (open
answers and suggestions with their outcome), ``movement`` (toward / away / stayed per item and round),
``attrition_causes`` (how n fell per round and group), ``convergence_caveat`` and ``checklist``
(CREDES, ACCORD and DELPHISTAR items with where this report answers them). A group appears in
an item's ``statistics`` only for a round and dimension where it gave at least ``min_group_size``
valid ratings; elsewhere the item's ``suppressed`` list names it with
``"note": "suppressed (fewer than k ratings)"`` and no figure.
Beyond consensus (surveys.reports.beyond): each ``statistics`` row also has ``median_ci`` and
``pct_agree_ci`` (``[lo, hi]``), ``verdict_confidence``, ``direction``, ``has_consensus``,
``agreement_a``, ``bimodality``, and on whole-panel rows ``kruskal_p``, ``epsilon_sq``, ``trend``,
``n_toward``, ``n_away``, ``n_stayed``, ``herding_index`` (null on group rows); a ``suppressed``
entry has them all null. Each item has ``trend`` per dimension (as of its latest reported round)
and ``themes`` per reported round (``label``, ``terms``, ``size``, ``by_side``, ``example``); each
round has ``influence`` and ``attrition_bias`` as stored (null in round 1).
Shares are in [0, 1]; missing numbers are ``null``; times are ISO 8601. Raw ratings are not part
of it (they are in the XLSX report and the ratings CSV, under pseudonyms).
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any

import pandas as pd

from surveys.lineage import Lineage

from .beyond import NULL_FIGURES, cell_figures
from .data import ReportData
from .sections import BEYOND_COLUMNS, STABILITY_COLUMNS, STAT_COLUMNS

FORMAT = "delphi-report/1"


def _value(value: Any) -> Any:
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if type(value).__name__ in ("NAType", "NaTType"):
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame as a list of JSON-ready dicts (NaN -> null, numpy -> Python)."""
    columns = list(frame.columns)
    return [
        {column: _value(value) for column, value in zip(columns, row, strict=True)}
        for row in frame.itertuples(index=False, name=None)
    ]


def _statistics(rows: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for record in records(rows[["round", "item_code", "dimension", "group", *STAT_COLUMNS, *STABILITY_COLUMNS]]):
        out.append(record)
    for record, distribution in zip(out, rows["distribution"], strict=True):
        record["distribution"] = {str(point): int(count) for point, count in sorted(distribution.items())}
    for record, figures in zip(out, rows[BEYOND_COLUMNS].to_dict("records"), strict=True):
        record.update(cell_figures(figures))
    return out


def _trend(rows: pd.DataFrame | None) -> dict[str, str | None]:
    """Per dimension, the whole panel's trend across rounds as of the latest reported round."""
    if rows is None:
        return {}
    panel = rows[rows["group"] == ""].sort_values("round", kind="stable")
    return {str(d): (t or None) for d, t in panel.groupby("dimension", sort=False)["trend"].last().items()}


def _suppressed(rows: pd.DataFrame | None, note: str) -> list[dict[str, Any]]:
    if rows is None:
        return []
    keys = records(rows[["round", "item_code", "dimension", "group"]])
    return [{**record, **NULL_FIGURES, "note": note} for record in keys]


def _item(
    data: ReportData, lineage: Lineage, by_root: dict[str, pd.DataFrame], hidden: dict[str, pd.DataFrame]
) -> dict[str, Any]:
    rows = by_root.get(lineage.root_code)
    return {
        "root_code": lineage.root_code,
        "code": lineage.code,
        "codes": list(lineage.codes),
        "label": lineage.label,
        "kind": lineage.kind,
        "section": lineage.section,
        "text": lineage.text,
        "source_ref": lineage.source_ref,
        "wordings": [{"code": code, "text": text} for code, text in lineage.texts],
        "dimensions": list(lineage.dimensions),
        "asked_in_rounds": {str(number): code for number, code in lineage.codes_by_round.items()},
        "reported_rounds": list(lineage.rounds_reported),
        "statistics": _statistics(rows) if rows is not None else [],
        "suppressed": _suppressed(hidden.get(lineage.root_code), data.suppressed_note),
        "trend": _trend(rows),
        "themes": data.beyond.item_themes(lineage.root_code),
    }


def report_json(data: ReportData) -> dict[str, Any]:
    """The report as JSON-ready data (see the module docstring for the shape)."""
    by_root = {root: rows for root, rows in data.shown_statistics.groupby("lineage_root_code", sort=False)}
    hidden = {root: rows for root, rows in data.suppressed.groupby("lineage_root_code", sort=False)}
    items = [_item(data, lineage, by_root, hidden) for lineage in data.lineages]
    headline = next((i for i in items if data.headline and i["root_code"] == data.headline.root_code), None)
    divergence = records(data.divergence.drop(columns="group_medians"))
    for record, medians in zip(divergence, data.divergence["group_medians"], strict=True):
        record["group_medians"] = [{"group": group, "median": median} for group, median in medians]
    methods = data.methods
    return {
        "format": FORMAT,
        "generated_at": data.generated_at.isoformat(),
        "study": {
            "slug": data.study.slug,
            "title": data.study.title,
            "description": data.study.description,
            "source_citation": data.study.source_citation,
            "status": data.study.status,
            "min_group_size": data.study.min_group_size,
        },
        "dimensions": [
            {
                "key": d.key,
                "label": d.label,
                "question": d.question,
                "scale": {"min": d.scale_min, "max": d.scale_max},
                "agree": list(d.agree),
                "disagree": list(d.disagree),
                "is_consensus_dimension": d.decides,
            }
            for d in data.dimensions
        ],
        "rounds": [
            {
                "number": r.number,
                "status": r.status,
                "is_reported": r.is_reported,
                "opened_at": _value(r.opened_at),
                "closed_at": _value(r.closed_at),
                "aggregated_at": _value(r.aggregated_at),
                "n_invited": r.n_invited,
                "n_submitted": r.n_submitted,
                "response_rate": r.response_rate,
                "apmo": r.apmo,
                "kendall": dict(r.kendall),
                "verdicts": {"in": r.n_in, "out": r.n_out, "none": r.n_none},
                "is_stop_met": r.is_stop_met,
                "stop_reason": r.stop_reason,
                "influence": _jsonable(data.beyond.influence.get(r.number)),
                "attrition_bias": _jsonable(data.beyond.attrition_bias.get(r.number)),
            }
            for r in data.rounds
        ],
        "headline": headline,
        "items": items,
        "convergence": records(data.convergence),
        "shifts": records(data.shifts),
        "divergence": divergence,
        "panel": {
            "size": data.panel_size,
            "synthetic": data.n_synthetic,
            "composition": records(data.composition),
            "attrition": records(data.attrition),
            "attrition_by_group": records(data.attrition_by_group),
        },
        "item_changes": records(data.item_changes),
        "methods": {
            "consensus_rule": methods.consensus_rule,
            "consensus_rule_data": _jsonable(methods.consensus_rule_data),
            "consensus_rule_frozen_at": _value(methods.consensus_rule_frozen_at),
            "stopping_rule": methods.stopping_rule,
            "agree_threshold": methods.agree_threshold,
            "min_group_size": methods.min_group_size,
            "rounds_reported": methods.rounds_reported,
            "rounds_total": methods.rounds_total,
            "feedback": methods.feedback,
            "statistics": list(methods.statistics),
            "anonymity": list(methods.anonymity),
            "reminders_sent": [{"round": n, "sent": k} for n, k in methods.reminders_sent],
            "consensus_rule_audit": methods.rule_audit,
        },
        "reasons": {"rationales": records(data.reasons), "counts": records(data.reason_counts)},
        "suggestions": records(data.suggestions),
        "movement": records(data.movement),
        "attrition_causes": records(data.attrition_causes),
        "convergence_caveat": data.convergence_caveat,
        "checklist": [
            {
                "guideline": e.guideline,
                "item": e.item,
                "section": e.section,
                "asks": e.asks,
                "where": e.where,
                "detail": e.detail,
            }
            for e in data.checklist
        ],
    }


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def render_json(data: ReportData) -> bytes:
    return json.dumps(report_json(data), ensure_ascii=False, indent=1, allow_nan=False).encode("utf-8")
