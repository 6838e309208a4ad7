"""What a report is built from: plain rows read from the database, no Django objects.

:func:`surveys.selectors.reports.report_source` fills a :class:`ReportSource` with a constant number
of queries; :func:`surveys.reports.data.build_report_data` turns it into a
:class:`~surveys.reports.data.ReportData`. Keeping the rows plain lets the builder be tested, and
run from a notebook, without a database.

Anonymity by construction: a panelist row never holds an email address or a name, only the stable
pseudonym, the group and flags; the selector does not read those columns at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

Row = Mapping[str, Any]

#: Columns of a panelist row: the only panelist fields a report may see.
PANELIST_FIELDS = (
    "id",
    "pseudonym",
    "group",
    "status",
    "is_synthetic",
    "consent_at",
    "years_experience",
    "created_at",
    "revoked_at",
    "withdrawn_at",  # who was invited to which round: surveys.stats.participation
)

#: AuditEvent actions that say how items and rules changed between rounds.
AUDIT_ACTIONS = ("study.rule_frozen", "round.created", "round.opened", "round.closed", "item.reworded")


@dataclass(frozen=True)
class ReportSource:
    """Everything one report needs, as rows of plain values (see each field's comment).

    ``statistics`` holds the stored ItemStatistic rows of the aggregated rounds only; an open
    round's live feedback is interim and never reported. ``ratings`` is None unless raw ratings
    were asked for (the XLSX "Ratings" sheet, the ratings CSV). A round row's ``reminders_sent``
    counts the reminder emails recorded as sent for it.
    """

    study: Row  # id, slug, title, description, source_citation, status, consensus_rule, ...
    dimensions: Sequence[Row]  # id, key, label, question, scale_min, scale_max, agree_*, disagree_*, order
    items: Sequence[Row]  # id, code, kind, section_title, text, source_ref, order, replaces_id
    item_dimensions: Sequence[tuple[int, int]]  # (item id, dimension id)
    rounds: Sequence[Row]  # id, number, status, *_at, and the RoundStatistic fields (stat_*)
    round_items: Sequence[tuple[int, int, int]]  # (round id, item id, order)
    statistics: Sequence[Row]  # ItemStatistic fields with round_id, item_id, dimension_id
    panelists: Sequence[Row]  # PANELIST_FIELDS only
    ballots: Sequence[tuple[int, int, str]]  # (round id, panelist id, status)
    audit: Sequence[Row]  # action, round_id, item_id, detail, created_at
    generated_at: datetime
    ratings: Sequence[tuple[int, int, int, int, int | None, str]] | None = field(default=None)
    # ratings: (round id, panelist id, item id, dimension id, value or None, rationale)
    answers: Sequence[tuple[int, int, int, int, int | None, str]] = field(default=())
    # answers: rows shaped like ratings, always read: every submitted rating when the raw ratings
    # were asked for or the movement counts are not stored (surveys.reports.movement computes them),
    # else only those with a rationale or "can't answer" (surveys.reports.reasons, .attrition)
    suggestions: Sequence[Row] = field(default=())
    # suggestions: id, round_id, kind, text, status, prompt_item_id, target_item_id, created_item_id,
    # created_at; never who made them
    themes: Sequence[Row] = field(default=())
    rationale_languages: Mapping[tuple[int, int, int, int], str] = field(default_factory=dict)
    # rationale_languages: (round id, panelist id, item id, dimension id) → the language the answer's
    # rationale was written in (Rating.language), where known; a rationale is shown in it, never translated
    # themes: round_id, item_id, n_rationales and themes (ItemThemes.themes: label, terms, size,
    # by_side, example), one per round item whose rationales were clustered
