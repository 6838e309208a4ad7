"""One report data model, :class:`ReportData`, from which every format is rendered.

HTML, PDF, XLSX, CSV and JSON all read the same :class:`ReportData`, so their numbers agree by construction.
:func:`build_report_data` is pure: it turns a :class:`~.source.ReportSource` (plain rows, read by
:func:`surveys.selectors.reports.report_source`) into frames and small frozen dataclasses, without the database.

What it holds follows the issue "Consensus reports" and the CREDES reporting items (Jünger S,
Payne SA, Brine J, Radbruch L, Brearley SG. Guidance on Conducting and REporting DElphi Studies
(CREDES) in palliative care. Palliat Med 2017;31(8):684–706): the headline question's trajectory, every
item's verdict per round, trajectories, convergence, stability, subgroup divergence, attrition, methods.
"""

from __future__ import annotations

# `# fmt: skip` below keeps the long keyword lists that fill a frozen record from one row compact: as tables
# to read across; one argument per line would double the module without making it clearer.
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

import pandas as pd

from surveys.lineage import Lineage, build_lineages, lineage_root_ids
from surveys.stats import participation

from . import methods as methods_
from . import panel, sections
from .beyond import Beyond, build_beyond
from .details import build_details
from .source import ReportSource, Row

AGGREGATED = "aggregated"
HEADLINE_KIND = "question"


@dataclass(frozen=True)
class StudyInfo:
    slug: str
    title: str
    description: str
    source_citation: str
    status: str
    min_group_size: int
    language: str = "en"  # the report's; content fallbacks ("item:C1") are in the study's default language
    fallbacks: frozenset[str] = frozenset()


@dataclass(frozen=True)
class DimensionInfo:
    key: str
    label: str
    question: str
    scale_min: int
    scale_max: int
    agree: tuple[int, int]
    disagree: tuple[int, int]
    decides: bool = True  # its verdicts count toward consensus (not, e.g., confidence)

    @property
    def points(self) -> list[int]:
        return list(range(self.scale_min, self.scale_max + 1))


@dataclass(frozen=True)
class RoundInfo:
    """A round and its stored RoundStatistic (None fields when it has not been aggregated)."""

    number: int
    status: str
    opened_at: datetime | None
    closed_at: datetime | None
    aggregated_at: datetime | None
    n_invited: int | None
    n_submitted: int | None
    response_rate: float | None
    apmo: float | None
    kendall: Mapping[str, Mapping[str, Any]]
    n_in: int | None
    n_out: int | None
    n_none: int | None
    is_stop_met: bool
    stop_reason: str

    @property
    def is_reported(self) -> bool:
        """Only aggregated rounds are reported; an open round's live feedback is interim."""
        return self.status == AGGREGATED


@dataclass(frozen=True, eq=False)
class ReportData:
    """The whole report. Frames use the column names of :mod:`.sections` and :mod:`.panel`."""

    study: StudyInfo
    generated_at: datetime
    dimensions: tuple[DimensionInfo, ...]
    rounds: tuple[RoundInfo, ...]
    lineages: tuple[Lineage, ...]
    headline: Lineage | None
    statistics: pd.DataFrame
    suppressed: pd.DataFrame  # group cells withheld for anonymity (keys only), see sections.suppressed
    convergence: pd.DataFrame
    shifts: pd.DataFrame
    divergence: pd.DataFrame
    composition: pd.DataFrame
    attrition: pd.DataFrame
    attrition_by_group: pd.DataFrame
    item_changes: pd.DataFrame
    methods: methods_.Methods
    panel_size: int
    n_synthetic: int
    ratings: pd.DataFrame | None = None
    # Reasons, movement and attrition (surveys.reports.details): rationales by side, counts per cell,
    # suggestions and their outcome, movement, how n fell per round and group, the convergence caveat.
    reasons: pd.DataFrame = field(default_factory=pd.DataFrame)
    reason_counts: pd.DataFrame = field(default_factory=pd.DataFrame)
    suggestions: pd.DataFrame = field(default_factory=pd.DataFrame)
    movement: pd.DataFrame = field(default_factory=pd.DataFrame)
    attrition_causes: pd.DataFrame = field(default_factory=pd.DataFrame)
    convergence_caveat: str = ""
    beyond: Beyond = field(default_factory=Beyond)  # rounds' influence, attrition bias; items' themes

    @property
    def reported_rounds(self) -> tuple[RoundInfo, ...]:
        return tuple(r for r in self.rounds if r.is_reported)

    @property
    def round_numbers(self) -> list[int]:
        return [r.number for r in self.reported_rounds]

    def dimension(self, key: str) -> DimensionInfo:
        return next(d for d in self.dimensions if d.key == key)

    @property
    def shown_statistics(self) -> pd.DataFrame:
        """:attr:`statistics` checked once more against the anonymity rule: what every format writes."""
        return sections.reader_rows(self.statistics, self.study.min_group_size)

    @property
    def suppressed_note(self) -> str:
        return sections.suppressed_note(self.study.min_group_size)

    @cached_property
    def checklist(self) -> tuple[Any, ...]:
        """CREDES, ACCORD and DELPHISTAR, item by item, and where this report answers each
        (:class:`surveys.reports.checklist.Entry`)."""
        from .checklist import checklist

        return checklist(self)

    def lineage_statistics(self, root_code: str, *, groups: bool = False) -> pd.DataFrame:
        """The rows of one lineage (whole panel only unless ``groups``), in round order."""
        rows = self.shown_statistics
        rows = rows[rows["lineage_root_code"] == root_code]
        return rows if groups else rows[rows["group"] == ""]


def _round_info(row: Row) -> RoundInfo:
    return RoundInfo(
        number=row["number"], status=row["status"], opened_at=row["opened_at"], closed_at=row["closed_at"],
        aggregated_at=row["aggregated_at"], n_invited=row["stat_n_invited"], n_submitted=row["stat_n_submitted"],
        response_rate=row["stat_response_rate"], apmo=row["stat_apmo"], kendall=row["stat_kendall"] or {},
        n_in=row["stat_n_in"], n_out=row["stat_n_out"], n_none=row["stat_n_none"],
        is_stop_met=bool(row["stat_is_stop_met"]), stop_reason=row["stat_stop_reason"] or "",
    )  # fmt: skip


def _dimension_info(row: Row) -> DimensionInfo:
    return DimensionInfo(
        key=row["key"], label=row["label"], question=row["question"] or "", scale_min=row["scale_min"],
        scale_max=row["scale_max"], agree=(row["agree_low"], row["agree_high"]),
        disagree=(row["disagree_low"], row["disagree_high"]), decides=bool(row.get("is_consensus_dimension", True)),
    )  # fmt: skip


def _headline(source: ReportSource, roots: Mapping[int, int], lineages: list[Lineage]) -> Lineage | None:
    """The lineage of the study's first item of kind "question" (by order, then code)."""
    codes = {row["id"]: row["code"] for row in source.items}
    for row in source.items:
        if row["kind"] == HEADLINE_KIND:
            root_code = codes[roots[row["id"]]]
            return next((lineage for lineage in lineages if lineage.root_code == root_code), None)
    return None


def build_report_data(source: ReportSource) -> ReportData:
    """Build the report from ``source`` (pure; see the module docstring)."""
    study = source.study
    min_group_size = int(study["min_group_size"])
    dimensions = tuple(_dimension_info(row) for row in source.dimensions)
    dimension_keys = {row["id"]: row["key"] for row in source.dimensions}
    dimension_order = {d.key: index for index, d in enumerate(dimensions)}
    round_numbers = {row["id"]: row["number"] for row in source.rounds}
    reported_rows = [row for row in source.rounds if row["status"] == AGGREGATED]
    reported = {row["number"] for row in reported_rows}

    roots = lineage_root_ids(source.items)
    item_codes = {row["id"]: row["code"] for row in source.items}
    root_codes = {pk: item_codes[roots[pk]] for pk in item_codes}
    item_dimensions: dict[int, list[str]] = {}
    for item_id, dimension_id in sorted(source.item_dimensions, key=lambda p: dimension_order[dimension_keys[p[1]]]):
        item_dimensions.setdefault(item_id, []).append(dimension_keys[dimension_id])
    lineages = build_lineages(source.items, roots, item_dimensions, source.round_items, round_numbers, reported)

    members = participation.members_from_rows(source.panelists)
    turnout = participation.participation(participation.spans_from_rows(reported_rows), members, source.ballots)
    on_panel = participation.ever_on_panel(turnout, members)
    labels = panel.group_labels(source.panelists, min_group_size, on_panel)
    named_groups = {group for group, label in labels.items() if group and label == group}
    statistics = sections.statistics_frame(
        source.statistics, round_numbers=round_numbers, item_codes=item_codes, root_codes=root_codes,
        dimension_keys=dimension_keys, lineage_order={lin.root_code: i for i, lin in enumerate(lineages)},
        dimension_order=dimension_order, named_groups=named_groups, min_group_size=min_group_size,
    )  # fmt: skip

    n_synthetic = sum(bool(p["is_synthetic"]) for p in source.panelists if p["id"] in on_panel)
    whole = sections.whole_panel(statistics)
    whole = whole[whole["dimension"].isin([d.key for d in dimensions if d.decides])]
    whole_verdicts: dict[tuple[int, str], set[str]] = {}
    for number, root_code, verdict in zip(whole["round"], whole["lineage_root_code"], whole["verdict"], strict=True):
        whole_verdicts.setdefault((int(number), root_code), set()).add(verdict)
    reworded_at = {e["item_id"]: e["created_at"] for e in source.audit if e["action"] == "item.reworded"}
    frozen_at = study["consensus_rule_frozen_at"] or next(
        (e["created_at"] for e in source.audit if e["action"] == "study.rule_frozen"), None
    )
    methods = methods_.Methods(
        consensus_rule=methods_.describe_consensus_rule(study["consensus_rule"]),
        consensus_rule_data=study["consensus_rule"] or {},
        consensus_rule_frozen_at=frozen_at,
        stopping_rule=methods_.describe_stopping_rule(study["stopping_rule"]),
        agree_threshold=methods_.agree_threshold(study["consensus_rule"]),
        min_group_size=min_group_size,
        rounds_reported=len(reported),
        rounds_total=len(source.rounds),
        feedback=methods_.FEEDBACK,
        statistics=methods_.STATISTICS + methods_.PARTICIPATION,
        anonymity=methods_.anonymity_statements(
            min_group_size=min_group_size, n_synthetic=n_synthetic, panel_size=len(on_panel)
        ),
        reminders_sent=tuple((r["number"], int(r.get("reminders_sent") or 0)) for r in reported_rows),
        rule_audit=methods_.rule_audit(source.audit, study["consensus_rule"] or {}, frozen_at),
    )
    item_changes = methods_.item_changes(
        source.rounds,
        source.round_items,
        roots,
        item_codes,
        whole_verdicts,
        reworded_at,
        frozenset(roots[row["id"]] for row in source.items if row["kind"] == "open"),
    )
    ratings = None
    if source.ratings is not None:
        ratings = panel.ratings_frame(
            source.ratings, panelists=source.panelists, labels=labels, round_numbers=round_numbers,
            item_codes=item_codes, root_codes=root_codes, dimension_keys=dimension_keys, lineages=lineages,
        )  # fmt: skip
    return ReportData(
        study=StudyInfo(
            slug=study["slug"],
            title=study["title"],
            description=study["description"] or "",
            source_citation=study["source_citation"] or "",
            status=study["status"],
            min_group_size=min_group_size,
            language=study.get("report_language", "en"),
            fallbacks=frozenset(study.get("fallbacks", ())),
        ),
        generated_at=source.generated_at,
        dimensions=dimensions,
        rounds=tuple(_round_info(row) for row in source.rounds),
        lineages=tuple(lineages),
        headline=_headline(source, roots, lineages),
        statistics=statistics,
        suppressed=sections.suppressed(statistics, named_groups),
        convergence=sections.convergence(statistics, reported_rows, [(d.key, d.decides) for d in dimensions]),
        shifts=sections.shifts(statistics),
        divergence=sections.divergence(statistics),
        composition=panel.composition(source.panelists, labels, on_panel),
        attrition=panel.attrition(turnout),
        attrition_by_group=panel.attrition_by_group(turnout, source.panelists, labels, on_panel),
        item_changes=item_changes,
        methods=methods,
        panel_size=len(on_panel),
        n_synthetic=n_synthetic,
        ratings=ratings,
        beyond=build_beyond(source, root_codes=root_codes, reported=reported),
        **build_details(
            source,
            statistics=statistics,
            lineages=lineages,
            item_changes=item_changes,
            turnout=turnout,
            labels=labels,
            on_panel=on_panel,
            min_group_size=min_group_size,
        ),
    )
