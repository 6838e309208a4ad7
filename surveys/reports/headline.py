"""The headline section: the question, its picture (:mod:`.headline_chart`), the figures per group and
round beside it, and the plain-language finding (:mod:`.finding`).

The headline is the study's first item of kind "question" (:attr:`.data.ReportData.headline`); its
picture is of its first dimension that decides consensus (agreement, not confidence). Groups are
those the report names, in sorted order, so a group keeps its colour and marker across rounds; a
group withheld in a round (fewer ratings than the minimum) has a gap there and reads "suppressed"
in the table.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .data import DimensionInfo, ReportData
from .finding import finding
from .headline_chart import LAYOUTS, Frame, Series, group_style, headline_svg, marker
from .numbers import fmt_num, fmt_pct

PANEL_LABEL = gettext_lazy("Whole panel")


def headline_dimension(data: ReportData) -> DimensionInfo | None:
    lineage = data.headline
    if lineage is None or not lineage.dimensions:
        return None
    keys = [k for k in lineage.dimensions if data.dimension(k).decides] or list(lineage.dimensions)
    return data.dimension(keys[0])


def headline_context(data: ReportData) -> dict[str, Any] | None:
    """The headline section's context, or None when the study has no question item."""
    lineage = data.headline
    if lineage is None:
        return None
    dimension = headline_dimension(data)
    others = [data.dimension(k).label for k in lineage.dimensions if dimension is None or k != dimension.key]
    fallback = any(f"item:{code}" in data.study.fallbacks for code in (lineage.code, lineage.root_code))
    base = {"lineage": lineage, "dimension": dimension, "other_dimensions": others, "fallback": fallback}
    if dimension is None:
        return base
    rows = data.lineage_statistics(lineage.root_code, groups=True)
    rows = rows[rows["dimension"] == dimension.key]
    if not len(rows):
        return {**base, "finding": None, "charts": [], "groups": []}
    hidden = data.suppressed
    hidden = hidden[(hidden["lineage_root_code"] == lineage.root_code) & (hidden["dimension"] == dimension.key)]
    names = sorted(set(rows.loc[rows["group"] != "", "group"]) | set(hidden["group"]))
    styles = {"": ("#1d2330", "circle", "")} | {name: group_style(i) for i, name in enumerate(names)}
    rounds = tuple(data.round_numbers)
    series = [_series(rows, key, styles[key], rounds) for key in ["", *names]]
    whole = rows[rows["group"] == ""].set_index("round")
    band = [
        (float(whole.at[n, "q1"]), float(whole.at[n, "q3"]))
        if n in whole.index and pd.notna(whole.at[n, "q1"])
        else None
        for n in rounds
    ]
    result = finding(rows, dimension)
    title = _("%(code)s, %(label)s: the median per round, whole panel and each group") % {
        "code": lineage.code,
        "label": dimension.label,
    }
    charts = [
        mark_safe(  # noqa: S308 -- built by headline_svg, which escapes every text it writes
            headline_svg(
                series,
                band,
                Frame(layout, rounds, (dimension.scale_min, dimension.scale_max)),
                agree=dimension.agree,
                disagree=dimension.disagree,
                title=title,
                description=result.text,
                element_id=f"headline-chart-{layout.name}",
            )
        )
        for layout in LAYOUTS
    ]
    table = [_group_table(rows, hidden, key, styles[key], rounds, data.suppressed_note) for key in ["", *names]]
    withheld = _withheld(hidden, data.suppressed_note)
    return {**base, "finding": result, "charts": charts, "groups": table, "withheld": withheld}


def _withheld(hidden: pd.DataFrame, note: str) -> list[str]:
    """Per group withheld in some round, what the picture leaves out: "Alpha suppressed (fewer than 3
    ratings) in round 1". The chart draws no point there, so the page says whose point is missing."""
    out = []
    for group, chosen in hidden.groupby("group", sort=True):
        numbers = sorted(int(n) for n in set(chosen["round"]))
        rounds = ", ".join(str(n) for n in numbers)
        said = ngettext(
            "%(group)s %(note)s in round %(rounds)s", "%(group)s %(note)s in rounds %(rounds)s", len(numbers)
        )
        out.append(said % {"group": group, "note": note, "rounds": rounds})
    return out


def _series(rows: pd.DataFrame, key: str, style: tuple[str, str, str], rounds: tuple[int, ...]) -> Series:
    chosen = rows[rows["group"] == key].set_index("round")["median"]
    medians = tuple(float(chosen[n]) if n in chosen.index and pd.notna(chosen[n]) else None for n in rounds)
    colour, shape, dash = style
    return Series(key, key or str(PANEL_LABEL), medians, colour, shape, dash)


def _group_table(
    rows: pd.DataFrame, hidden: pd.DataFrame, key: str, style: tuple[str, str, str], rounds: tuple[int, ...], note: str
) -> dict[str, Any]:
    """One group's (or the panel's) figures per round: n, median, IQR as Q1–Q3, share agreeing."""
    chosen = rows[rows["group"] == key].set_index("round")
    withheld = set(hidden.loc[hidden["group"] == key, "round"]) if key else set()
    cells = []
    for number in rounds:
        if number in chosen.index:
            row = chosen.loc[number]
            cells.append(
                {
                    "round": number,
                    "n": int(row["n"]),
                    "median": fmt_num(row["median"]),
                    "iqr": f"{fmt_num(row['q1'])}–{fmt_num(row['q3'])}",
                    "pct_agree": fmt_pct(row["pct_agree"]),
                }
            )
        elif number in withheld:
            cells.append({"round": number, "suppressed": note})
        else:
            cells.append({"round": number, "absent": True})
    colour, shape, _dash = style
    icon = marker(shape, 7, 7, 10, colour)
    swatch = f'<svg class="swatch" viewBox="0 0 14 14" width="14" height="14" aria-hidden="true">{icon}</svg>'
    return {"label": key or str(PANEL_LABEL), "is_panel": not key, "swatch": mark_safe(swatch), "cells": cells}  # noqa: S308
