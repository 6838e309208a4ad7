"""Reads for the facilitator's pages: the study dashboard, the panel and the message templates.

Round preparation is read in :mod:`.preparation`.

Facilitators see everything about participation, including names and small groups (the
``min_group_size`` suppression protects experts from report readers, not from the facilitator),
but never a rationale next to a name. Each read issues a fixed number of queries, whatever the
number of items, rounds or experts.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, Prefetch, QuerySet

from surveys.models import (
    AuditEvent,
    Ballot,
    DeliveryLog,
    ItemStatistic,
    ItemThemes,
    MessageTemplate,
    Panelist,
    Round,
    RoundStatistic,
    Study,
    Suggestion,
)
from surveys.models.messages import DEFAULT_MESSAGES
from surveys.models.panel import UNUSABLE
from surveys.stats.participation import RoundParticipation, RoundSpan, by_group, members_from_rows, participation

from .ratings import MEMBER_FIELDS

AUDIT_SHOWN = 15
NO_GROUP = "(no group)"


def facilitator_studies() -> QuerySet[Study]:
    return Study.objects.order_by("title").annotate(n_rounds=Count("rounds", distinct=True))


def facilitator_study(slug: str) -> Study | None:
    return Study.objects.filter(slug=slug).first()


def facilitator_round(study: Study, number: int) -> Round | None:
    return Round.objects.select_related("study").filter(study=study, number=number).first()


# --- the dashboard ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Nonrespondent:
    pseudonym: str
    name: str
    email: str
    group: str
    has_draft: bool
    invited_at: datetime | None
    reminded_at: datetime | None


@dataclass(frozen=True)
class RoundRow:
    round: Round
    participation: RoundParticipation
    invitations: int
    reminders: int
    thank_yous: int


@dataclass
class Dashboard:
    study: Study
    rounds: list[RoundRow]
    current: Round | None
    participation: list[RoundParticipation]
    participation_by_group: list[RoundParticipation]
    nonrespondents: list[Nonrespondent]
    statistics_round: Round | None
    statistics: list[ItemStatistic]
    stop: RoundStatistic | None
    audit: list[AuditEvent]
    n_panel: int
    n_suggestions: int
    actions: list[str] = field(default_factory=list)


def _actions(current: Round | None) -> list[str]:
    """The lifecycle moves open to the facilitator now, in the order they are offered."""
    if current is None:
        return ["create"]
    moves: dict[str, list[str]] = {
        Round.Status.DRAFT: ["prepare", "open"],
        Round.Status.OPEN: ["invite", "remind", "close"],
        Round.Status.CLOSED: ["aggregate"],
        Round.Status.AGGREGATED: ["next", "aggregate"],
    }
    return moves[current.status]


def study_dashboard(study: Study) -> Dashboard:
    """Everything the study's dashboard shows, in a fixed number of queries."""
    rounds = list(
        Round.objects.filter(study=study)
        .select_related("statistic")
        .annotate(n_items=Count("round_items"))
        .order_by("number")
    )
    current = rounds[-1] if rounds else None
    panelists = list(
        Panelist.objects.filter(study=study).order_by("pseudonym").values(*MEMBER_FIELDS, "pseudonym", "name", "email")
    )
    ballots = list(Ballot.objects.filter(round__study=study).values_list("round_id", "panelist_id", "status"))
    spans = [RoundSpan(id=r.pk, number=r.number, status=r.status, closed_at=r.closed_at) for r in rounds]
    whole = participation(spans, members_from_rows(panelists), ballots)
    groups = by_group(whole, {p["id"]: p["group"] or NO_GROUP for p in panelists})

    deliveries: dict[int, Counter[str]] = defaultdict(Counter)
    sent_at: dict[tuple[int, str], datetime] = {}
    for round_id, panelist_id, kind, at in DeliveryLog.objects.filter(
        round__study=study, status=DeliveryLog.Status.SENT
    ).values_list("round_id", "panelist_id", "kind", "sent_at"):
        deliveries[round_id][kind] += 1
        if current is not None and round_id == current.pk and at is not None:  # a sent row has its time
            sent_at[(panelist_id, kind)] = at

    nonrespondents = []
    if current is not None and current.status != Round.Status.DRAFT:
        turnout = whole[-1]
        started = {pid for rid, pid, _ in ballots if rid == current.pk}
        for p in panelists:
            if p["id"] not in turnout.invited or p["id"] in turnout.submitted or p["status"] in UNUSABLE:
                continue
            nonrespondents.append(
                Nonrespondent(
                    pseudonym=p["pseudonym"],
                    name=p["name"],
                    email=p["email"],
                    group=p["group"],
                    has_draft=p["id"] in started,
                    invited_at=sent_at.get((p["id"], DeliveryLog.Kind.INVITATION)),
                    reminded_at=sent_at.get((p["id"], DeliveryLog.Kind.REMINDER)),
                )
            )

    with_stats = [r for r in rounds if hasattr(r, "statistic")]
    statistics_round = with_stats[-1] if with_stats else None
    statistics = []
    if statistics_round is not None:
        statistics = list(
            ItemStatistic.objects.filter(round=statistics_round, group="")
            .select_related("round_item__item", "round_item__themes", "dimension")
            .order_by("round_item__order", "dimension__order")
        )
        _attach_themes(statistics)
    kinds = DeliveryLog.Kind
    rows = [
        RoundRow(
            round=r,
            participation=p,
            invitations=deliveries[r.pk][kinds.INVITATION],
            reminders=deliveries[r.pk][kinds.REMINDER],
            thank_yous=deliveries[r.pk][kinds.THANK_YOU],
        )
        for r, p in zip(rounds, whole, strict=True)
    ]
    return Dashboard(
        study=study,
        rounds=rows,
        current=current,
        participation=whole,
        participation_by_group=groups,
        nonrespondents=nonrespondents,
        statistics_round=statistics_round,
        statistics=statistics,
        stop=statistics_round.statistic if statistics_round is not None else None,
        audit=list(AuditEvent.objects.filter(study=study).select_related("round", "item")[:AUDIT_SHOWN]),
        n_panel=sum(1 for m in members_from_rows(panelists) if m.on_panel_at(None)),
        n_suggestions=Suggestion.objects.filter(study=study, status=Suggestion.Status.NEW).count(),
        actions=_actions(current),
    )


def _attach_themes(statistics: list[ItemStatistic]) -> None:
    """Give each item's first row ``item_themes``: its argument themes (label, size, ...), largest first,
    read with the rows (ItemThemes, select_related); the item's other rows get none, so it shows once."""
    seen: set[int] = set()
    for stat in statistics:
        themes: list[dict[str, Any]] = []
        if stat.round_item_id not in seen:
            seen.add(stat.round_item_id)
            try:
                themes = list(stat.round_item.themes.themes)
            except ItemThemes.DoesNotExist:
                themes = []
        setattr(stat, "item_themes", themes)  # noqa: B010  a display attribute, not a model field


# --- the panel -------------------------------------------------------------------------------------


def panel_list(study: Study) -> list[Panelist]:
    """The panel with, per expert, whether they have any ballot and their latest delivery."""
    latest = DeliveryLog.objects.select_related("round").order_by("-claimed_at")
    return list(
        Panelist.objects.filter(study=study)
        .annotate(n_ballots=Count("ballots"))
        .prefetch_related(Prefetch("deliveries", queryset=latest, to_attr="latest_deliveries"))
        .order_by("pseudonym")
    )


def message_templates(study: Study) -> list[dict[str, Any]]:
    """Each kind of email with the study's wording or the default, and whether it is customised."""
    saved = {t.kind: t for t in MessageTemplate.objects.filter(study=study)}
    return [
        {
            "kind": kind,
            "label": label,
            "subject": saved[kind].subject if kind in saved else DEFAULT_MESSAGES[kind][0],
            "body": saved[kind].body if kind in saved else DEFAULT_MESSAGES[kind][1],
            "is_custom": kind in saved,
        }
        for kind, label in DeliveryLog.Kind.choices
    ]
