"""The XLSX report (openpyxl, write-only for speed): Summary, Statistics, Shifts, Ratings, Methods.

Every cell goes through :func:`surveys.reports.safety.spreadsheet_cell`, so text that looks like a
formula is written as text; numbers stay numbers, shares stay in [0, 1]. Raw ratings appear only
under pseudonyms, with small groups pooled (see :mod:`.panel`).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from .data import ReportData
from .methods import change_counts
from .safety import spreadsheet_cell
from .sections import KEY_COLUMNS, STABILITY_COLUMNS, STAT_COLUMNS, latest_divergence, verdict_label

SHEETS = ("Summary", "Statistics", "Shifts", "Ratings", "Methods")
BOLD = Font(bold=True)


class _Sheet:
    def __init__(self, workbook: Workbook, title: str, widths: Sequence[int] = ()) -> None:
        self.ws: WriteOnlyWorksheet = workbook.create_sheet(title)
        for index, width in enumerate(widths):
            self.ws.column_dimensions[chr(ord("A") + index)].width = width

    def row(self, values: Iterable[Any], *, bold: bool = False) -> None:
        cells: list[Any] = []
        for value in values:
            value = spreadsheet_cell(value)
            if bold:
                cell = WriteOnlyCell(self.ws, value=value)
                cell.font = BOLD
                cells.append(cell)
            else:
                cells.append(value)
        self.ws.append(cells)

    def table(self, frame: pd.DataFrame, title: str = "", columns: Sequence[str] | None = None) -> None:
        if title:
            self.row([title], bold=True)
        self.row(columns or frame.columns, bold=True)
        for record in frame.itertuples(index=False, name=None):
            self.row(record)
        self.row([])


def _summary(book: Workbook, data: ReportData) -> None:
    sheet = _Sheet(book, "Summary", (22, 24, 60, 14, 14, 14, 14, 14, 14))
    sheet.row([data.study.title], bold=True)
    for label, value in (
        ("Study", data.study.slug),
        ("Generated", data.generated_at),
        ("Rounds reported", ", ".join(str(n) for n in data.round_numbers) or "none yet"),
        ("Panel size", data.panel_size),
        ("Synthetic panelists", data.n_synthetic),
        ("Source", data.study.source_citation),
    ):
        sheet.row([label, value])
    sheet.row([])
    if data.headline is not None:
        sheet.row(["Headline", data.headline.label, data.headline.text], bold=True)
        rows = data.lineage_statistics(data.headline.root_code)
        sheet.table(rows[["round", "item_code", "dimension", "n", "median", "q1", "q3", "iqr", "pct_agree", "verdict"]])
    rounds = data.round_numbers
    sheet.row(["Verdicts per round"], bold=True)
    sheet.row(["Item", "Lineage", "Text", "Dimension", *(f"Round {n}" for n in rounds)], bold=True)
    whole = data.shown_statistics[data.shown_statistics["group"] == ""]
    verdicts = {
        (root, key, number): (verdict, n)
        for root, key, number, verdict, n in zip(
            whole["lineage_root_code"], whole["dimension"], whole["round"], whole["verdict"], whole["n"], strict=True
        )
    }
    for lineage in data.lineages:
        for key in lineage.dimensions:
            decides = data.dimension(key).decides
            found = [verdicts.get((lineage.root_code, key, number)) for number in rounds]
            cells = [verdict_label(f[0], int(f[1]), decides=decides) if f else "not asked" for f in found]
            sheet.row([lineage.code, lineage.label, lineage.text, key, *cells])
    sheet.row([])
    sheet.table(data.convergence, "Convergence per round and dimension")
    sheet.table(data.attrition, "Attrition")
    divergence = latest_divergence(data.divergence).copy()
    divergence["group_medians"] = [
        "; ".join(f"{group}: {median:g}" for group, median in medians) for medians in divergence["group_medians"]
    ]
    sheet.table(
        divergence,
        f"Subgroup divergence (a group is left out of an item where it gave fewer than {data.study.min_group_size} "
        "ratings)",
    )


def _statistics(book: Workbook, data: ReportData) -> None:
    points = sorted({p for d in data.dimensions for p in d.points})
    sheet = _Sheet(book, "Statistics", (8, 10, 10, 14, 16))
    sheet.ws.freeze_panes = "F2"
    columns = [*KEY_COLUMNS, *STAT_COLUMNS, *STABILITY_COLUMNS]
    sheet.row([*columns, *(f"n_at_{p}" for p in points)], bold=True)
    frame = data.shown_statistics
    for record, distribution in zip(
        frame[columns].itertuples(index=False, name=None), frame["distribution"], strict=True
    ):
        sheet.row([*record, *(distribution.get(p) for p in points)])
    # A suppressed group cell: its keys and the note in the first figure's column, nothing else.
    for record in data.suppressed[KEY_COLUMNS].itertuples(index=False, name=None):
        sheet.row([*record, data.suppressed_note])


def _shifts(book: Workbook, data: ReportData) -> None:
    sheet = _Sheet(book, "Shifts", (12, 12))
    sheet.ws.freeze_panes = "C2"
    sheet.table(data.shifts)


def _ratings(book: Workbook, data: ReportData) -> None:
    sheet = _Sheet(book, "Ratings", (8, 14, 24, 10, 12, 14, 8, 12, 60))
    sheet.ws.freeze_panes = "A2"
    columns = ["round", "pseudonym", "group", "item_code", "lineage_root_code", "dimension", "value", "rationale"]
    sheet.row([*columns[:-1], "cant_answer", "rationale"], bold=True)
    if data.ratings is None:
        return
    for r, pseudonym, group, code, root, key, value, rationale in data.ratings[columns].itertuples(
        index=False, name=None
    ):
        missing = value is pd.NA  # "can't answer": an empty value, flagged (empty cells are not written)
        sheet.row([r, pseudonym, group, code, root, key, None if missing else value, True if missing else None,
                   rationale or None])  # fmt: skip


def _methods(book: Workbook, data: ReportData) -> None:
    methods = data.methods
    sheet = _Sheet(book, "Methods", (34, 100))
    sheet.row(["Methods (CREDES, Jünger et al. 2017)"], bold=True)
    frozen = methods.consensus_rule_frozen_at
    for label, value in (
        ("Consensus definition", methods.consensus_rule),
        ("Consensus rule fixed at", frozen if frozen is not None else "not fixed yet (round 1 has not opened)"),
        ("Stopping rule", methods.stopping_rule),
        ("Rounds reported", f"{methods.rounds_reported} of {methods.rounds_total}"),
        ("Smallest group shown", methods.min_group_size),
        ("Feedback between rounds", methods.feedback),
    ):
        sheet.row([label, value])
    for text in methods.statistics:
        sheet.row(["Statistics", text])
    for text in methods.anonymity:
        sheet.row(["Anonymity", text])
    sheet.row([])
    sheet.table(data.composition, "Panel composition")
    sheet.table(data.attrition_by_group, "Response per round and group")
    sheet.table(change_counts(data.item_changes), "Item changes per round (counts)")
    sheet.table(data.item_changes, "Item changes per round")


def render_xlsx(data: ReportData) -> bytes:
    """The XLSX report as bytes (sheets in :data:`SHEETS` order)."""
    book = Workbook(write_only=True)
    _summary(book, data)
    _statistics(book, data)
    _shifts(book, data)
    _ratings(book, data)
    _methods(book, data)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
