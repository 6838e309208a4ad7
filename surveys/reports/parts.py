"""The template context of the report's reasons, movement and checklist partials
(``templates/surveys/reports/_reasons.html``, ``_movement.html``, ``_checklist.html``).

:func:`report_parts` gives one dict, ``parts``, that the page, the standalone HTML and the PDF all
pass to those partials. The web page folds long lists into ``<details>``; the PDF cannot unfold, so
it shows at most :data:`PRINT_PER_SIDE` rationales per side and says how many more there are.
Identical rationales in one cell are shown once with their number ("×12"), which keeps a panel
that copies one sentence from filling pages, and changes no count.
"""

from __future__ import annotations

import weakref
from collections import Counter
from typing import Any

import pandas as pd
from django.utils.translation import gettext

from .checklist import AUTHORS, citations
from .data import ReportData
from .numbers import fmt_num
from .reasons import SIDES, bands

SHOWN_PER_SIDE = 3  # on the page; the rest of a side folds into <details>
PRINT_PER_SIDE = 5  # in the PDF; the rest is counted


def _texts(rows: pd.DataFrame) -> list[tuple[str, int, str]]:
    """Distinct texts of a side with how often each was given and the language it was written in ("" if
    unknown), in the frame's (text) order. A rationale is shown as written, never translated."""
    counts = Counter(rows["rationale"])
    languages = rows["language"] if "language" in rows else [""] * len(rows)
    seen: dict[str, tuple[str, int, str]] = {}
    for text, language in zip(rows["rationale"], languages, strict=True):
        seen.setdefault(text, (text, counts[text], language or ""))
    return list(seen.values())


def _side(label: str, key: str, count: int, texts: list[tuple[str, int, str]], *, for_print: bool) -> dict[str, Any]:
    limit = PRINT_PER_SIDE if for_print else SHOWN_PER_SIDE
    visible, folded = texts[:limit], texts[limit:]
    hidden = sum(k for _, k, _language in folded)
    return {
        "key": key,
        "label": label,
        "count": count,
        "visible": visible,
        "folded": [] if for_print else folded,
        "more": hidden if for_print else 0,
    }


def _reasons(data: ReportData, *, for_print: bool) -> list[dict[str, Any]]:
    counts, reasons = data.reason_counts, data.reasons
    if not len(counts):
        return []
    by_cell = {key: rows for key, rows in reasons.groupby(["round", "item_code", "dimension"], sort=False)}
    labels = {
        d.key: {b.key: b.label for b in bands(d.scale_min, d.scale_max, d.agree, d.disagree, d.decides)}
        for d in data.dimensions
    }
    lineages = {lineage.root_code: lineage for lineage in data.lineages}
    items: dict[str, dict[str, Any]] = {}
    for cell in counts.to_dict("records"):
        root = cell["lineage_root_code"]
        lineage = lineages.get(root)
        entry = items.setdefault(
            root, {"label": lineage.label if lineage else root, "text": lineage.text if lineage else "", "dims": {}}
        )
        dim = entry["dims"].setdefault(
            cell["dimension"], {"label": data.dimension(cell["dimension"]).label, "rounds": []}
        )
        block: dict[str, Any] = {"round": int(cell["round"]), "code": cell["item_code"], "shown": bool(cell["shown"])}
        if block["shown"]:
            rows = by_cell.get((cell["round"], cell["item_code"], cell["dimension"]))
            sides = []
            for key in SIDES:
                count = int(cell[key] or 0)
                if count:
                    chosen = rows[rows["side"] == key] if rows is not None else rows
                    texts = _texts(chosen) if chosen is not None else []
                    sides.append(_side(labels[cell["dimension"]][key], key, count, texts, for_print=for_print))
            block.update(n=int(cell["n"]), total=int(cell["n_rationales"]), sides=sides)
        dim["rounds"].append(block)
    return [{**entry, "dims": list(entry["dims"].values())} for entry in items.values()]


def _movement(data: ReportData) -> dict[str, Any]:
    frame = data.movement
    rounds = sorted(int(r) for r in frame["round"].unique()) if len(frame) else []
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for r in frame.to_dict("records"):
        key = (r["lineage_root_code"], r["dimension"])
        row = rows.setdefault(
            key, {"code": r["lineage_root_code"], "dimension": data.dimension(r["dimension"]).label, "cells": {}}
        )
        row["cells"][int(r["round"])] = (int(r["n_toward"]), int(r["n_away"]), int(r["n_stayed"]))
    table = []
    for row in rows.values():
        cells = [row["cells"].get(n) for n in rounds]
        line = "; ".join(
            gettext("round %(number)s: %(toward)s · %(away)s · %(stayed)s")
            % {"number": n, "toward": c[0], "away": c[1], "stayed": c[2]}
            for n, c in zip(rounds, cells, strict=True)
            if c
        )
        table.append({**row, "cells": cells, "line": line})
    deciding = [d.key for d in data.dimensions if d.decides]
    chosen = frame[frame["dimension"].isin(deciding)] if len(frame) else frame
    summary = []
    for number in rounds:
        at = chosen[chosen["round"] == number]
        paired = int(at["n_paired"].sum())
        summary.append(
            {
                "round": number,
                "items": len(at),
                "paired": paired,
                **{k: int(at[f"n_{k}"].sum()) for k in ("toward", "away", "stayed")},
            }
        )
    causes = []
    for r in data.attrition_causes.to_dict("records"):
        causes.append(
            {
                **r,
                "group": r["group"] or gettext("Whole panel"),
                "whole": not r["group"],
                "per_item": fmt_num(r["cant_answer_per_item"], 1),
                "lost": None
                if pd.isna(r["previous_respondents"])
                else int(r["lost_withdrew"] + r["lost_revoked"] + r["lost_not_submitted"]),
            }
        )
    return {"rounds": rounds, "table": table, "summary": summary, "causes": causes}


def _checklist(data: ReportData) -> list[dict[str, Any]]:
    cited = citations()
    out: dict[str, dict[str, Any]] = {}
    for entry in data.checklist:
        block = out.setdefault(
            entry.guideline, {"name": entry.guideline, "citation": cited[entry.guideline], "entries": [], "answered": 0}
        )
        block["entries"].append(entry)
        block["answered"] += not entry.by_authors
    return list(out.values())


def report_parts(data: ReportData, *, for_print: bool = False) -> dict[str, Any]:
    """The ``parts`` context of the three partials (module docstring)."""
    return {
        "reasons": _reasons(data, for_print=for_print),
        "suggestions": [
            {**row, "round": None if pd.isna(row["round"]) else int(row["round"])}
            for row in data.suggestions.to_dict("records")
        ],
        "movement": _movement(data),
        "checklist": _checklist(data),
        "authors": AUTHORS,
        "for_print": for_print,
        "language": data.study.language,
        "min_group_size": data.study.min_group_size,
        "shown_per_side": SHOWN_PER_SIDE,
        "print_per_side": PRINT_PER_SIDE,
    }


_CACHE: weakref.WeakKeyDictionary[ReportData, dict[str, Any]] = weakref.WeakKeyDictionary()


def cached_parts(data: ReportData) -> dict[str, Any]:
    """:func:`report_parts` for the page, built once per ReportData (the three partials share it)."""
    if data not in _CACHE:
        _CACHE[data] = report_parts(data)
    return _CACHE[data]
