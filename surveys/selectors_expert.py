"""Reads for the expert's pages: who the session belongs to, the current round, and controlled feedback.

Every read issues a fixed number of queries, whatever the number of items (the questionnaire's page
is pinned by a test). The questionnaire itself is assembled from these reads in :mod:`surveys.forms`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from surveys import selectors
from surveys.models import Ballot, ItemStatistic, Panelist, Rating, Round, RoundItem, Section, Study, Suggestion
from surveys.models.panel import UNUSABLE
from surveys.selectors_stats import lineage_roots
from surveys.stats import is_shown


def _link_is_live(panelist: Panelist | None) -> bool:
    """A panelist's current link still opens something: on the panel and not expired.

    A link expires ``DELPHI_TOKEN_MAX_AGE_DAYS`` after it was issued; the facilitator can issue a new one.
    """
    if panelist is None or panelist.status in UNUSABLE:
        return False
    return panelist.token_issued_at >= timezone.now() - timedelta(days=settings.DELPHI_TOKEN_MAX_AGE_DAYS)


def link_fingerprint(panelist: Panelist) -> str:
    """What a session remembers of the link that opened it: the link's issue time, never the token.

    Issuing a new link changes it, so every session opened with an older link ends (``panelist_for_session``).
    """
    return panelist.token_issued_at.isoformat()


def panelist_by_invitation(raw: str) -> Panelist | None:
    """The panelist an invitation token opens, or None: unknown, revoked, withdrawn or expired."""
    panelist = selectors.panelist_by_token(raw)
    return panelist if _link_is_live(panelist) else None


def panelist_for_session(panelist_id: object, fingerprint: object) -> Panelist | None:
    """The panelist a session was opened for, while the link that opened it is still their live link.

    A session outlives neither its link nor the expert's place on the panel: a re-issued, expired or
    revoked link, or a withdrawal, ends it (issue "Security hardening", item 1).
    """
    if not isinstance(panelist_id, int) or not isinstance(fingerprint, str):
        return None
    panelist = Panelist.objects.select_related("study").filter(pk=panelist_id).first()
    if panelist is None or not _link_is_live(panelist) or link_fingerprint(panelist) != fingerprint:
        return None
    return panelist


def study_sections(study_id: int) -> list[Section]:
    return list(Section.objects.filter(study_id=study_id).order_by("order"))


def panel_groups(study_id: int) -> list[str]:
    """The groups already on the panel, offered as suggestions so one group keeps one spelling."""
    rows = Panelist.objects.filter(study_id=study_id).exclude(group="").values_list("group", flat=True)
    return sorted(set(rows))


def current_round(panelist: Panelist) -> Round | None:
    """The study's open round; else its latest closed or aggregated one; None before any round opens."""
    rounds = Round.objects.select_related("study").filter(study_id=panelist.study_id)
    return (
        rounds.filter(status=Round.Status.OPEN).first()
        or rounds.filter(status__in=[Round.Status.CLOSED, Round.Status.AGGREGATED]).order_by("-number").first()
    )


def ballot_in_round(panelist: Panelist, round_: Round) -> Ballot | None:
    return Ballot.objects.filter(panelist=panelist, round=round_).first()


def expert_ballot(panelist: Panelist, ballot_id: int) -> Ballot | None:
    """The panelist's own ballot, or None: another expert's ballot is simply not found."""
    return (
        Ballot.objects.select_related("round__study", "panelist__study").filter(pk=ballot_id, panelist=panelist).first()
    )


def previous_round(round_: Round) -> Round | None:
    """The latest earlier round that has closed: its statistics are what the panel said before."""
    return (
        Round.objects.filter(
            study_id=round_.study_id,
            number__lt=round_.number,
            status__in=[Round.Status.CLOSED, Round.Status.AGGREGATED],
        )
        .order_by("-number")
        .first()
    )


def lineage_map(round_: Round, earlier: Round) -> dict[int, int]:
    """This round's item id -> the earlier round's round item of the same lineage (``Item.replaces``)."""
    roots = lineage_roots(round_.study)
    earlier_by_root = {
        roots[item_id]: pk for pk, item_id in RoundItem.objects.filter(round=earlier).values_list("pk", "item_id")
    }
    return {item_id: earlier_by_root[root] for item_id, root in roots.items() if root in earlier_by_root}


@dataclass
class Feedback:
    """What the panel said about one item on one dimension, as shown to an expert."""

    statistic: ItemStatistic
    round_number: int
    is_live: bool
    is_shown: bool  # at least min_group_size valid ratings; otherwise nothing but that fact is shown
    own_previous: int | None = None
    has_own_previous: bool = False

    @property
    def distribution(self) -> list[tuple[int, int]]:
        d = self.statistic.dimension
        counts = self.statistic.distribution or {}
        return [(point, int(counts.get(str(point), 0))) for point in range(d.scale_min, d.scale_max + 1)]


@dataclass
class PanelFeedback:
    """Feedback for a whole round, keyed by this round's round item id."""

    round_number: int | None = None
    is_live: bool = False
    cells: dict[tuple[int, int], Feedback] = field(default_factory=dict)  # (round item id, dimension id)
    rationales: dict[int, list[str]] = field(default_factory=dict)
    hidden_live: bool = False  # live mode, but too few answers so far


def _lineage_ids(round_: Round, earlier: Round, current: dict[int, int]) -> dict[int, int]:
    """This round's round item id -> the earlier round's round item id of the same lineage."""
    lineage = lineage_map(round_, earlier)
    return {pk: lineage[item_id] for pk, item_id in current.items() if item_id in lineage}


def _statistics(source: Round, source_ids: dict[int, int]) -> dict[int, list[ItemStatistic]]:
    rows = ItemStatistic.objects.filter(round=source, group="", round_item_id__in=set(source_ids.values()))
    by_round_item: dict[int, list[ItemStatistic]] = {}
    for stat in rows.select_related("dimension").order_by("dimension__order"):
        by_round_item.setdefault(stat.round_item_id, []).append(stat)
    return by_round_item


def _own_previous(earlier: Round, panelist: Panelist, ids: dict[int, int]) -> dict[tuple[int, int], int | None]:
    """The panelist's submitted ratings of the earlier round, keyed by this round's (round item, dimension)."""
    mine = Rating.objects.filter(
        ballot__round=earlier, ballot__panelist=panelist, ballot__status=Ballot.Status.SUBMITTED
    ).values_list("round_item_id", "dimension_id", "value")
    by_source: dict[int, dict[int, int | None]] = {}
    for round_item_id, dimension_id, value in mine:
        by_source.setdefault(round_item_id, {})[dimension_id] = value
    return {(pk, dim): value for pk, src in ids.items() for dim, value in by_source.get(src, {}).items()}


def _others_rationales(source: Round, panelist: Panelist) -> dict[int, list[str]]:
    """Submitted rationales of everyone but ``panelist``: text only, sorted, so order tells nothing of who."""
    rows = (
        Rating.objects.filter(ballot__round=source, ballot__status=Ballot.Status.SUBMITTED)
        .exclude(ballot__panelist=panelist)
        .exclude(rationale="")
        .values_list("round_item_id", "ballot_id", "rationale")
    )
    seen: dict[int, set[tuple[int, str]]] = {}
    for round_item_id, ballot_id, text in rows:
        if text.strip():
            seen.setdefault(round_item_id, set()).add((ballot_id, text.strip()))
    return {ri: sorted((t for _, t in pairs), key=str.casefold) for ri, pairs in seen.items()}


def panel_feedback(round_: Round, panelist: Panelist) -> PanelFeedback:
    """Controlled feedback for ``round_``: the previous round's whole-panel statistics of each item's
    lineage (from round 2 on), or in live mode the round's own running statistics. Either way a
    statistic with fewer than ``min_group_size`` valid ratings is withheld. Fixed query count."""
    earlier = previous_round(round_)
    live = round_.is_live_feedback and round_.status == Round.Status.OPEN
    source = round_ if live else earlier
    if source is None:
        return PanelFeedback()
    current = dict(RoundItem.objects.filter(round=round_).values_list("pk", "item_id"))
    earlier_ids = _lineage_ids(round_, earlier, current) if earlier is not None else {}
    source_ids = {pk: pk for pk in current} if live else earlier_ids
    own = _own_previous(earlier, panelist, earlier_ids) if earlier is not None else {}
    stats = _statistics(source, source_ids)
    minimum = round_.study.min_group_size
    result = PanelFeedback(round_number=source.number, is_live=live)
    shown_items: set[int] = set()
    for pk, src in source_ids.items():
        for stat in stats.get(src, []):
            cell = (pk, stat.dimension_id)
            shown = bool(is_shown(stat.n, min_group_size=minimum))
            result.cells[cell] = Feedback(
                statistic=stat,
                round_number=source.number,
                is_live=live,
                is_shown=shown,
                own_previous=own.get(cell),
                has_own_previous=cell in own,
            )
            if shown:
                shown_items.add(pk)
    rationales = _others_rationales(source, panelist) if shown_items else {}
    result.rationales = {
        pk: rationales[src] for pk, src in source_ids.items() if pk in shown_items and src in rationales
    }
    result.hidden_live = live and not shown_items
    return result


def previous_iqr(round_: Round) -> dict[tuple[int, int], tuple[float, float]]:
    """(round item id, dimension id) -> the previous round's [q1, q3] the expert was shown.

    Only whole-panel statistics with at least ``min_group_size`` valid ratings count: an IQR that was
    never shown cannot ask for a reason.
    """
    earlier = previous_round(round_)
    if earlier is None:
        return {}
    current = dict(RoundItem.objects.filter(round=round_).values_list("pk", "item_id"))
    by_source: dict[int, list[int]] = {}
    for pk, src in _lineage_ids(round_, earlier, current).items():
        by_source.setdefault(src, []).append(pk)
    rows = ItemStatistic.objects.filter(  # n__gte: the anonymity rule (surveys.stats.is_shown) in SQL
        round=earlier, group="", round_item_id__in=by_source, n__gte=round_.study.min_group_size
    ).values_list("round_item_id", "dimension_id", "q1", "q3")
    return {
        (pk, dim): (q1, q3) for src, dim, q1, q3 in rows if q1 is not None and q3 is not None for pk in by_source[src]
    }


@dataclass
class QuestionnaireData:
    """Everything the questionnaire page reads, in a fixed number of queries."""

    round: Round
    ballot: Ballot
    round_items: list[RoundItem]  # item, section and dimensions loaded; by section, then round order
    ratings: dict[tuple[int, int], Rating]  # (round item id, dimension id)
    open_answers: dict[int, str]  # round item id -> the expert's answer
    feedback: PanelFeedback
    reason_bands: dict[tuple[int, int], tuple[float, float]]  # previous [q1, q3] that asks for a reason


def _round_items(round_: Round) -> list[RoundItem]:
    rows = (
        RoundItem.objects.filter(round=round_)
        .select_related("item__section")
        .prefetch_related("item__dimensions")
        .order_by("item__section__order", "item__section_id", "order")
    )
    return list(rows)


def open_answers(round_: Round, panelist: Panelist, by_item: Mapping[int, int] | None = None) -> dict[int, str]:
    """Round item id -> the expert's answer to that open question. ``by_item`` (item id -> round item
    id) saves its query when the caller has the round's items already."""
    if by_item is None:
        by_item = dict(RoundItem.objects.filter(round=round_).values_list("item_id", "pk"))
    answers = Suggestion.objects.filter(
        round=round_, panelist=panelist, prompt_item__isnull=False, kind=Suggestion.Kind.NEW_ITEM
    ).values_list("prompt_item_id", "text")
    return {by_item[item_id]: text for item_id, text in answers if item_id in by_item}


def questionnaire_data(ballot: Ballot) -> QuestionnaireData:
    round_ = ballot.round
    panelist = ballot.panelist
    feedback = panel_feedback(round_, panelist)
    bands: dict[tuple[int, int], tuple[float, float]] = {}
    if round_.study.outside_iqr_reason == Study.OutsideIqrReason.OFF:
        pass
    elif feedback.is_live:
        bands = previous_iqr(round_)
    else:  # the feedback shown is the previous round's: its IQRs are the ones that ask for a reason
        bands = {
            cell: (f.statistic.q1, f.statistic.q3)
            for cell, f in feedback.cells.items()
            if f.is_shown and f.statistic.q1 is not None and f.statistic.q3 is not None
        }
    items = _round_items(round_)
    return QuestionnaireData(
        round=round_,
        ballot=ballot,
        round_items=items,
        ratings={(r.round_item_id, r.dimension_id): r for r in ballot.ratings.all()},
        open_answers=open_answers(round_, panelist, {ri.item_id: ri.pk for ri in items}),
        feedback=feedback,
        reason_bands=bands,
    )


def ballot_progress(ballot: Ballot) -> tuple[int, int]:
    """(items answered, items in the round). An item is answered when each of its dimensions has a
    rating (a point or can't answer); an open question when it has an answer."""
    items = list(
        RoundItem.objects.filter(round_id=ballot.round_id)
        .annotate(dimensions=Count("item__dimensions"))
        .values_list("pk", "item_id", "dimensions")
    )
    rated = dict(
        Rating.objects.filter(ballot=ballot)
        .values("round_item_id")
        .annotate(n=Count("pk"))
        .values_list("round_item_id", "n")
    )
    open_answered = set(open_answers(ballot.round, ballot.panelist, {item: pk for pk, item, _ in items}))
    answered = sum(1 for pk, _, dims in items if (rated.get(pk, 0) >= dims > 0) or (dims == 0 and pk in open_answered))
    return answered, len(items)
