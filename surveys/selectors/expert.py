"""Reads for the expert's pages: who a link or session belongs to, the current round and the ballot.

Every read issues a fixed number of queries, whatever the number of items (the questionnaire's page
is pinned by a test). The feedback an expert sees is read in :mod:`.feedback`; the page's view of a
ballot is assembled in :mod:`.questionnaire`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from surveys.answer_rules import item_is_answered
from surveys.expert_language import language_for
from surveys.models import Ballot, Item, Panelist, Rating, Round, RoundItem, Section, Study, Suggestion
from surveys.models.panel import UNUSABLE, hash_token

from .feedback import PanelFeedback, panel_feedback, previous_iqr


def panelist_by_token(raw: str) -> Panelist | None:
    """The panelist a raw invitation token belongs to, or None (unknown, revoked)."""
    if not raw or len(raw) > 200:
        return None
    return (
        Panelist.objects.select_related("study")
        .exclude(status=Panelist.Status.REVOKED)
        .filter(token_hash=hash_token(raw))
        .first()
    )


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
    panelist = panelist_by_token(raw)
    return panelist if _link_is_live(panelist) else None


def panelist_for_session(panelist_id: object, fingerprint: object) -> Panelist | None:
    """The panelist a session was opened for, while the link that opened it is still their live link.

    A session outlives neither its link nor the expert's place on the panel: a re-issued, expired or
    revoked link, or a withdrawal, ends it (issue "Security hardening", item 1).
    """
    if not isinstance(panelist_id, int) or not isinstance(fingerprint, str):
        return None
    panelist = Panelist.objects.select_related("study").filter(pk=panelist_id).first()
    return panelist if panelist is not None and session_link_is_live(panelist, fingerprint) else None


def session_link_is_live(panelist: Panelist, fingerprint: object) -> bool:
    """Whether a session that remembers ``fingerprint`` may still act for ``panelist``: the link that
    opened it is still their live link. The check of ``panelist_for_session``, for a caller that has
    loaded the panelist itself (the autosave reads it with the ballot)."""
    return isinstance(fingerprint, str) and _link_is_live(panelist) and link_fingerprint(panelist) == fingerprint


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
    language: str = ""  # the expert's: the content is shown in it where translated (content_language)


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


def questionnaire_data(ballot: Ballot, language: str | None = None) -> QuestionnaireData:
    """``language``: the one the page is in (default: the expert's, ``expert_language.language_for``)."""
    round_ = ballot.round
    panelist = ballot.panelist
    language = language or language_for(panelist)
    feedback = panel_feedback(round_, panelist, language)
    # The previous round's IQRs the expert was shown (live feedback or not), from the round row.
    is_off = round_.study.outside_iqr_reason == Study.OutsideIqrReason.OFF
    bands = {} if is_off else previous_iqr(round_)
    items = _round_items(round_)
    return QuestionnaireData(
        round=round_,
        ballot=ballot,
        round_items=items,
        ratings={(r.round_item_id, r.dimension_id): r for r in ballot.ratings.all()},
        open_answers=open_answers(round_, panelist, {ri.item_id: ri.pk for ri in items}),
        feedback=feedback,
        reason_bands=bands,
        language=language,
    )


def ballot_progress(ballot: Ballot) -> tuple[int, int]:
    """(items answered, items in the round). An item is answered when each of its dimensions has a
    rating (a point or can't answer); an open question when it has an answer."""
    items = list(
        RoundItem.objects.filter(round_id=ballot.round_id)
        .annotate(dimensions=Count("item__dimensions"))
        .values_list("pk", "item_id", "item__kind", "dimensions")
    )
    rated = dict(
        Rating.objects.filter(ballot=ballot)
        .values("round_item_id")
        .annotate(n=Count("pk"))
        .values_list("round_item_id", "n")
    )
    answers = open_answers(ballot.round, ballot.panelist, {item: pk for pk, item, _, _ in items})
    answered = sum(
        1
        for pk, _, kind, dims in items
        if item_is_answered(
            is_open=kind == Item.Kind.OPEN, open_answer=answers.get(pk, ""), n_dimensions=dims, n_rated=rated.get(pk, 0)
        )
    )
    return answered, len(items)
