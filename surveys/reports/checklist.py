"""The methods appendix's checklist: each item of CREDES, ACCORD and DELPHISTAR, and where this report
answers it, or "to be stated by the authors" where only they can (see :mod:`.checklist_items`).

An answer names the report's section and says what it found there, computed from the
:class:`~.data.ReportData` (numbers of rounds, the rule and when it was fixed, reminders sent, …),
so the checklist cannot claim what the report does not show.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .checklist_items import GUIDELINES
from .numbers import fmt_pct
from .panel import POOLED

if TYPE_CHECKING:
    from .data import ReportData

AUTHORS = "To be stated by the authors"


@dataclass(frozen=True)
class Entry:
    guideline: str
    item: str
    section: str
    asks: str
    where: str  # the report's section, or AUTHORS
    detail: str  # what the report says there, or what the authors must add

    @property
    def by_authors(self) -> bool:
        return self.where == AUTHORS


def _rounds_phrase(data: ReportData) -> str:
    m = data.methods
    return f"{m.rounds_reported} round{'s' if m.rounds_reported != 1 else ''} aggregated of {m.rounds_total} created"


def _title(data: ReportData) -> tuple[str, str]:
    return AUTHORS, "The article's title. This report's heading calls it a consensus report (a Delphi)."


def _aim(data: ReportData) -> tuple[str, str]:
    text = f"The study: “{data.study.title}”."
    if data.headline is not None:
        text += f" Headline question: “{data.headline.text}”."
    return "Report heading", text + " Its intended audience and geographical scope: to be stated by the authors."


def _source(data: ReportData) -> tuple[str, str]:
    if data.study.source_citation:
        return "Methods appendix, Source", f"Items drawn from: {data.study.source_citation}"
    return AUTHORS, "No source of the items is recorded in the study."


def _composition(data: ReportData) -> tuple[str, str]:
    groups = [f"{row['group']} {row['members']}" for row in data.composition.to_dict("records")]
    text = f"{data.panel_size} panelists: {', '.join(groups) or 'no groups'}."
    if data.n_synthetic:
        text += f" {data.n_synthetic} are synthetic (a demonstration panel)."
    return (
        "Methods appendix, Panel composition",
        text + " Inclusion criteria and the panel's size: to be stated by the authors.",
    )


def _pooled(data: ReportData) -> tuple[str, str]:
    pooled = data.composition[data.composition["group"] == POOLED]
    text = "Perspectives missing or left out: to be stated by the authors."
    if len(pooled):
        text += f" Groups of fewer than {data.study.min_group_size} members are pooled in this report."
    return AUTHORS, text


def _response(data: ReportData) -> tuple[str, str]:
    rates = [
        f"round {r['round']}: {r['answered']} of {r['panel_size']} ({fmt_pct(r['response_rate'])})"
        for r in data.attrition.to_dict("records")
    ]
    return "Methods appendix, Response rates per round; Attrition", "; ".join(rates) or "No aggregated round yet."


def _invited(data: ReportData) -> tuple[str, str]:
    invited = ", ".join(f"round {r['round']}: {r['panel_size']}" for r in data.attrition.to_dict("records"))
    return "Attrition; Methods appendix, Statistics", (
        f"Invited per round: {invited or 'none yet'}. Who counts as invited is defined under Statistics. How "
        "experts were found and approached: to be stated by the authors."
    )


def _rule(data: ReportData) -> tuple[str, str]:
    m = data.methods
    return (
        "Methods appendix, Consensus definition",
        f"{m.consensus_rule} {m.rule_audit} Its rationale: to be stated by the authors.",
    )


def _rounds(data: ReportData) -> tuple[str, str]:
    stop = next((r.stop_reason for r in reversed(data.reported_rounds) if r.stop_reason), "")
    text = f"{data.methods.stopping_rule} {_rounds_phrase(data)}."
    return "Methods appendix, Stopping rule and number of rounds", text + (f" {stop}" if stop else "")


def _changes(data: ReportData) -> tuple[str, str]:
    counts = data.item_changes["change"].value_counts().to_dict() if len(data.item_changes) else {}
    parts = [
        f"{counts.get(k, 0)} {label}"
        for k, label in (
            ("reworded", "reworded"),
            ("added", "added"),
            ("decided", "retired with consensus"),
            ("dropped", "dropped without consensus"),
        )
    ]
    return "Methods appendix, How items changed between rounds", ", ".join(parts) + "."


def _retired(data: ReportData) -> tuple[str, str]:
    n = int((data.item_changes["change"] == "decided").sum()) if len(data.item_changes) else 0
    return "Methods appendix, How items changed between rounds", (
        f"Items that met the definition were not asked again: {n} retired after reaching consensus."
    )


def _method(data: ReportData) -> tuple[str, str]:
    return "Methods appendix, Feedback between rounds", (
        "A round-based online Delphi: experts rated each item alone, then saw the panel's anonymous feedback "
        f"before the next round; {_rounds_phrase(data)}. Any modification of the method: to be stated by the authors."
    )


def _items(data: ReportData) -> tuple[str, str]:
    rated = sum(1 for lineage in data.lineages if lineage.dimensions)
    scales = ", ".join(f"{d.label} {d.scale_min}–{d.scale_max}" for d in data.dimensions)
    return "Every item, its verdict per round; XLSX Summary", (
        f"{rated} rated items, each with its wording in every round, on: {scales or 'no dimension'}."
    )


def _collection(data: ReportData) -> tuple[str, str]:
    return "Methods appendix, Anonymity", (
        "Individually and online, through a personal invitation link; there was no group meeting."
    )


def _analysis(data: ReportData) -> tuple[str, str]:
    return "Methods appendix, Statistics; Reasons", (
        f"{len(data.methods.statistics)} statistical definitions are listed. Rationales are reported verbatim, "
        "grouped by the side of the rating they came with. Any qualitative analysis: to be stated by the authors."
    )


def _feedback(data: ReportData) -> tuple[str, str]:
    return "Methods appendix, Feedback between rounds", data.methods.feedback


def _anonymity(data: ReportData) -> tuple[str, str]:
    return "Methods appendix, Anonymity", " ".join(data.methods.anonymity[:3])


def _reminders(data: ReportData) -> tuple[str, str]:
    sent = data.methods.reminders_sent
    listed = ", ".join(f"round {n}: {k}" for n, k in sent) if sent else "none recorded"
    return (
        "Methods appendix, Reminders",
        f"Reminder emails sent: {listed}. Any reimbursement: to be stated by the authors.",
    )


def _dates(data: ReportData) -> tuple[str, str]:
    spans = [
        f"round {r.number}: {r.opened_at:%Y-%m-%d} to {r.closed_at:%Y-%m-%d}"
        for r in data.reported_rounds
        if r.opened_at and r.closed_at
    ]
    return "Methods appendix, Response rates per round", "; ".join(spans) or "No round has closed yet."


def _deviations(data: ReportData) -> tuple[str, str]:
    joined = int(data.attrition["joined"].sum()) if len(data.attrition) else 0
    return "Methods appendix; Attrition", (
        f"{data.methods.rule_audit} {joined} panelist{'s' if joined != 1 else ''} joined after round 1. "
        f"{_rounds_phrase(data)}. Other deviations from the protocol: to be stated by the authors."
    )


def _outcome(data: ReportData) -> tuple[str, str]:
    return "Headline; Every item, its verdict per round; Trajectories", (
        "Per item and round: median, IQR, share agreeing, distribution and verdict."
    )


def _headline(data: ReportData) -> tuple[str, str]:
    return "Headline", "The headline question's movement per group, with the finding computed from the statistics."


def _groups(data: ReportData) -> tuple[str, str]:
    return "Subgroup divergence; XLSX Statistics", (
        f"Per-group statistics where a group gave at least {data.study.min_group_size} ratings. Weighting of groups, "
        "if any: to be stated by the authors."
    )


def _flow(data: ReportData) -> tuple[str, str]:
    return "Attrition; Movement and attrition", (
        "The tables give the numbers a flow chart needs (invited, answered, withdrew, did not submit, per round); "
        "the chart itself: to be drawn by the authors."
    )


def _influences(data: ReportData) -> tuple[str, str]:
    moved = data.movement
    text = "Response rates, how n fell, and stability between rounds."
    if len(moved):
        toward, away, paired = (int(moved[c].sum()) for c in ("n_toward", "n_away", "n_paired"))
        text += f" Over all items, {toward} of {paired} paired ratings moved toward the previous median, {away} away."
    return (
        "Movement and attrition; Stability between rounds",
        text + " Their interpretation: to be stated by the authors.",
    )


def _limitations(data: ReportData) -> tuple[str, str]:
    text = "Attrition and the panel's composition are reported here"
    text += f"; {data.n_synthetic} panelists are synthetic." if data.n_synthetic else "."
    return "Attrition; Methods appendix, Panel composition", text + " The limitations: to be stated by the authors."


TOPICS: dict[str, Callable[[ReportData], tuple[str, str]]] = {
    "title": _title,
    "aim": _aim,
    "source": _source,
    "composition": _composition,
    "pooled": _pooled,
    "response": _response,
    "invited": _invited,
    "rule": _rule,
    "rounds": _rounds,
    "changes": _changes,
    "retired": _retired,
    "method": _method,
    "items": _items,
    "collection": _collection,
    "analysis": _analysis,
    "feedback": _feedback,
    "anonymity": _anonymity,
    "reminders": _reminders,
    "dates": _dates,
    "deviations": _deviations,
    "outcome": _outcome,
    "headline": _headline,
    "groups": _groups,
    "flow": _flow,
    "influences": _influences,
    "limitations": _limitations,
}


def checklist(data: ReportData) -> tuple[Entry, ...]:
    """Every item of the three guidelines with its answer, in guideline order."""
    entries = []
    for guideline, _citation, items in GUIDELINES:
        for item, section, asks, topic in items:
            where, detail = TOPICS[topic](data) if topic else (AUTHORS, "")
            entries.append(Entry(guideline, item, section, asks, where, detail))
    return tuple(entries)


def citations() -> dict[str, str]:
    return {guideline: citation for guideline, citation, _ in GUIDELINES}
