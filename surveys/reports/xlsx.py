"""The XLSX report (:mod:`.xlsx_writer`): Summary, Statistics, Shifts, Movement, Attrition, Ratings,
Rationales, Suggestions, Methods and Checklist.

Conventions, the same on every sheet:

- **Shares** (% agree, response rate, APMO, Scheibe's % change, …) are numbers in [0, 1] with the
  percentage format ``0.0%``: a spreadsheet shows 71.4% and computes with 0.714.
- **Dates** are spreadsheet dates in UTC (``yyyy-mm-dd hh:mm``); the header says UTC.
- **Verdicts** use one vocabulary (:data:`surveys.reports.sections.VERDICT_LABELS`): "Consensus in",
  "Consensus out", "No consensus", and "No verdict", "No valid ratings" or "Not a consensus
  dimension" where there is none.
- **Tidy sheets** (Statistics, Shifts, Movement, Attrition, Ratings, Rationales, Suggestions,
  Checklist) have one header row and one record per row, with a filter, for pivot tables and R's
  ``readxl``.

Anonymity: raw ratings appear only under pseudonyms with small groups pooled (:mod:`.panel`) and
without their rationales; rationales appear only on the Rationales sheet, without pseudonym or
group, and only where the whole panel's cell is shown (:mod:`.reasons`). Every text cell goes
through :func:`surveys.reports.safety.spreadsheet_cell`.
"""

from __future__ import annotations

# `# fmt: skip` below keeps the sheet and column lists as tables to read across, not one name per line.
from collections.abc import Sequence
from typing import Any

import pandas as pd

from .data import ReportData
from .methods import change_counts
from .reasons import bands
from .sections import (
    BEYOND_COLUMNS,
    KEY_COLUMNS,
    STABILITY_COLUMNS,
    STAT_COLUMNS,
    VERDICT_LABELS,
    latest_divergence,
    verdict_label,
)
from .xlsx_writer import BOLD, DATETIME, DECIMAL, PERCENT, PLAIN, Sheet, Workbook

SHEETS = ("Summary", "Statistics", "Shifts", "Movement", "Attrition", "Ratings", "Rationales", "Suggestions",
          "Methods", "Checklist")  # fmt: skip
PERCENT_COLUMNS = frozenset({
    "pct_agree", "pct_disagree", "response_rate", "apmo", "pct_unchanged", "scheibe_pct_change", "pct_agree_from",
    "pct_agree_to", "pct_agree_change", "attrition", "pct_agree_ci_lo", "pct_agree_ci_hi", "verdict_confidence",
})  # fmt: skip
#: Figures shown to three decimals: p-values, effect sizes and indices in [-1, 1] (beyond consensus).
DECIMAL_COLUMNS = frozenset({"agreement_a", "bimodality", "kruskal_p", "epsilon_sq", "herding_index"})
HEADERS = {"n_in": "consensus_in", "n_out": "consensus_out", "n_none": "no_consensus", "n_no_data": "no_verdict"}
RATING_COLUMNS = ["round", "item_code", "lineage_root_code", "dimension", "pseudonym", "group", "value", "abstained"]


def _styles(columns: Sequence[str]) -> list[int]:
    return [PERCENT if c in PERCENT_COLUMNS else DECIMAL if c in DECIMAL_COLUMNS else PLAIN for c in columns]


def _verdict(value: Any) -> Any:
    return str(VERDICT_LABELS[value]) if isinstance(value, str) and value in VERDICT_LABELS else value


def _table(
    sheet: Sheet, frame: pd.DataFrame, title: str = "", *, verdicts: Sequence[str] = (), gap: bool = True
) -> None:
    """``frame`` under a bold ``title``, its header in bold; shares formatted, verdicts labelled."""
    if title:
        sheet.row([title], BOLD)
    columns = list(frame.columns)
    sheet.row([HEADERS.get(c, c) for c in columns], BOLD)
    positions = [columns.index(c) for c in verdicts if c in columns]
    styles = _styles(columns)
    for record in frame.itertuples(index=False, name=None):
        if positions:
            record = list(record)
            for i in positions:
                record[i] = _verdict(record[i])
        sheet.row(record, styles)
    if gap:
        sheet.row([])


def _tidy(book: Workbook, title: str, frame: pd.DataFrame, widths: Sequence[float] = (), **kwargs: Any) -> Sheet:
    sheet = book.sheet(title, widths, freeze="A2")
    _table(sheet, frame, gap=False, **kwargs)
    sheet.filter_header()
    return sheet


def _summary(book: Workbook, data: ReportData) -> None:
    sheet = book.sheet("Summary", (22, 24, 60, 14, 14, 14, 14, 14, 14))
    sheet.row([data.study.title], BOLD)
    for label, value, style in (
        ("Study", data.study.slug, PLAIN),
        ("Generated (UTC)", data.generated_at, DATETIME),
        ("Rounds reported", ", ".join(str(n) for n in data.round_numbers) or "none yet", PLAIN),
        ("Panel size", data.panel_size, PLAIN),
        ("Synthetic panelists", data.n_synthetic, PLAIN),
        ("Source", data.study.source_citation, PLAIN),
    ):
        sheet.row([label, value], [PLAIN, style])
    sheet.row([])
    if data.headline is not None:
        sheet.row(["Headline", data.headline.label, data.headline.text], BOLD)
        rows = data.lineage_statistics(data.headline.root_code)
        _table(sheet, _labelled(data, rows)[["round", "item_code", "dimension", "n", "median", "q1", "q3", "iqr",
                                             "pct_agree", "verdict"]])  # fmt: skip
    rounds = data.round_numbers
    sheet.row(["Verdicts per round"], BOLD)
    sheet.row(["Item", "Lineage", "Text", "Dimension", *(f"Round {n}" for n in rounds)], BOLD)
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
    _table(sheet, data.convergence, "Convergence per round and dimension")
    if data.convergence_caveat:
        sheet.row([data.convergence_caveat])
        sheet.row([])
    _table(sheet, data.attrition, "Attrition")
    divergence = latest_divergence(data.divergence).copy()
    divergence["group_medians"] = [
        "; ".join(f"{group}: {median:g}" for group, median in medians) for medians in divergence["group_medians"]
    ]
    _table(sheet, divergence, f"Subgroup divergence (a group is left out of an item where it gave fewer than "
                              f"{data.study.min_group_size} ratings)")  # fmt: skip


def _labelled(data: ReportData, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its stored verdict codes replaced by the report's labels."""
    decides = {d.key: d.decides for d in data.dimensions}
    labels = [
        verdict_label(v, int(n) if pd.notna(n) else 0, decides=decides.get(k, True))
        for v, n, k in zip(frame["verdict"], frame["n"], frame["dimension"], strict=True)
    ]
    return frame.assign(verdict=labels)


def _statistics(book: Workbook, data: ReportData) -> None:
    points = sorted({p for d in data.dimensions for p in d.points})
    sheet = book.sheet("Statistics", (8, 10, 10, 14, 16), freeze="F2")
    columns = [*KEY_COLUMNS, *STAT_COLUMNS, *STABILITY_COLUMNS, *BEYOND_COLUMNS]
    sheet.row([*columns, *(f"n_at_{p}" for p in points)], BOLD)
    frame = _labelled(data, data.shown_statistics)
    styles = _styles(columns)
    for record, distribution in zip(
        frame[columns].itertuples(index=False, name=None), frame["distribution"], strict=True
    ):
        sheet.row([*record, *(distribution.get(p) for p in points)], styles)
    # A suppressed group cell: its keys and the note in the first figure's column, nothing else.
    for record in data.suppressed[KEY_COLUMNS].itertuples(index=False, name=None):
        sheet.row([*record, data.suppressed_note])
    sheet.filter_header()


def _ratings(book: Workbook, data: ReportData) -> None:
    """One row per round × item × dimension × panelist: the tidy raw ratings (no rationale)."""
    sheet = book.sheet("Ratings", (8, 10, 12, 14, 14, 24, 8, 10), freeze="A2")
    sheet.row(RATING_COLUMNS, BOLD)
    if data.ratings is not None:
        frame = data.ratings
        values = frame["value"].astype("float64").to_numpy()
        for (r, code, root, key, pseudonym, group), value in zip(
            frame[["round", "item_code", "lineage_root_code", "dimension", "pseudonym", "group"]].itertuples(
                index=False, name=None
            ),
            values,
            strict=True,
        ):
            missing = value != value  # NaN: "can't answer"
            sheet.row([r, code, root, key, pseudonym, group, None if missing else int(value), missing])
    sheet.filter_header()


def _rationales(book: Workbook, data: ReportData) -> None:
    labels = {d.key: {b.key: b.label for b in bands(d.scale_min, d.scale_max, d.agree, d.disagree, d.decides)}
              for d in data.dimensions}  # fmt: skip
    frame = data.reasons
    if len(frame):
        frame = frame.assign(side=[labels[k][s] for k, s in zip(frame["dimension"], frame["side"], strict=True)])
    frame = frame.drop(columns="language", errors="ignore")  # the sheet keeps its columns; JSON and pages carry it
    _tidy(book, "Rationales", frame, (8, 10, 12, 14, 18, 100))


def _methods(book: Workbook, data: ReportData) -> None:
    methods = data.methods
    sheet = book.sheet("Methods", (34, 100))
    sheet.row(["Methods (CREDES, Jünger et al. 2017; ACCORD and DELPHISTAR: see Checklist)"], BOLD)
    frozen = methods.consensus_rule_frozen_at
    for label, value, style in (
        ("Consensus definition", methods.consensus_rule, PLAIN),
        ("Consensus rule fixed at (UTC)", frozen if frozen is not None else "not fixed yet (round 1 has not opened)",
         DATETIME),
        ("Consensus rule since", methods.rule_audit, PLAIN),
        ("Stopping rule", methods.stopping_rule, PLAIN),
        ("Rounds reported", f"{methods.rounds_reported} of {methods.rounds_total}", PLAIN),
        ("Smallest group shown", methods.min_group_size, PLAIN),
        ("Feedback between rounds", methods.feedback, PLAIN),
        ("Verdicts", "Consensus in, Consensus out, No consensus; No verdict, No valid ratings or Not a consensus "
         "dimension where there is none.", PLAIN),
        ("Rationales", f"Shown where the whole panel gave at least {methods.min_group_size} valid ratings on the "
         "item and dimension in the round; never with a pseudonym or group.", PLAIN),
    ):  # fmt: skip
        sheet.row([label, value], [PLAIN, style])
    for text in methods.statistics:
        sheet.row(["Statistics", text])
    for text in methods.anonymity:
        sheet.row(["Anonymity", text])
    sheet.row([])
    sheet.row(["Rounds"], BOLD)
    sheet.row(["round", "status", "opened (UTC)", "closed (UTC)", "aggregated (UTC)", "invited", "submitted",
               "response_rate", "reminders_sent"], BOLD)  # fmt: skip
    reminders = dict(methods.reminders_sent)
    for r in data.rounds:
        sheet.row([r.number, r.status, r.opened_at, r.closed_at, r.aggregated_at, r.n_invited, r.n_submitted,
                   r.response_rate, reminders.get(r.number)], [PLAIN] * 7 + [PERCENT])  # fmt: skip
    sheet.row([])
    _table(sheet, data.composition, "Panel composition")
    _table(sheet, data.attrition_by_group, "Response per round and group")
    _table(sheet, change_counts(data.item_changes), "Item changes per round (counts)")
    _table(sheet, data.item_changes, "Item changes per round")


def _checklist(book: Workbook, data: ReportData) -> None:
    frame = pd.DataFrame(
        [(e.guideline, e.item, e.section, e.asks, e.where, e.detail) for e in data.checklist],
        columns=["guideline", "item", "section", "asks", "where_in_this_report", "detail"],
    )
    _tidy(book, "Checklist", frame, (12, 6, 22, 60, 34, 80))


def render_xlsx(data: ReportData) -> bytes:
    """The XLSX report as bytes (sheets in :data:`SHEETS` order)."""
    book = Workbook()
    _summary(book, data)
    _statistics(book, data)
    _tidy(book, "Shifts", data.shifts, (12, 12), verdicts=("verdict_from", "verdict_to"))
    _tidy(book, "Movement", data.movement, (8, 10, 12, 14))
    _tidy(book, "Attrition", data.attrition_causes, (8, 24))
    _ratings(book, data)
    _rationales(book, data)
    _tidy(book, "Suggestions", data.suggestions, (8, 26, 10, 80, 16, 50))
    _methods(book, data)
    _checklist(book, data)
    return book.save()
