"""Reads for the expert endpoints of the API: the expert's ballot in the current round, and their feedback.

The same reads as the expert's pages (:mod:`.expert`, :mod:`.feedback`), in a fixed number of
queries whatever the number of items. Nothing here reads another expert's ratings or anyone's name
or email: feedback is the whole panel's statistics and others' rationales as text only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.db.models import QuerySet

from surveys.content_language import Localized, localized
from surveys.expert_language import language_for
from surveys.models import Ballot, Panelist, Rating, Round, RoundItem
from surveys.stats import is_shown

from .expert import ballot_in_round, ballot_progress, open_answers
from .feedback import Feedback, panel_feedback


@dataclass
class BallotView:
    """The expert's ballot in ``round`` as the API shows it (``ballot`` is None before the first save)."""

    round: Round
    ballot: Ballot | None
    round_items: list[RoundItem]
    ratings: list[Rating]
    open_answers: dict[int, str]
    answered: int
    total: int
    language: str = ""  # the expert's: item texts are given in it where translated

    def text_of(self, round_item: RoundItem) -> Localized:
        """The item's text in the expert's language, or the default language's (``is_fallback``)."""
        return localized(round_item.item, "text", self.language, self.round.study.default_language)

    @property
    def status(self) -> str:
        return "not_started" if self.ballot is None else self.ballot.status

    @property
    def is_editable(self) -> bool:
        draft = self.ballot is None or self.ballot.status == Ballot.Status.DRAFT
        return self.round.status == Round.Status.OPEN and draft

    def code_of(self, round_item_id: int) -> str:
        return self._codes[round_item_id]

    @cached_property
    def _codes(self) -> dict[int, str]:
        return {ri.pk: ri.item.code for ri in self.round_items}

    def rationales(self) -> dict[int, str]:
        """Round item id -> the item's one rationale (kept on its first rated dimension)."""
        found: dict[int, str] = {}
        for rating in sorted(self.ratings, key=lambda r: (r.round_item_id, r.dimension.order)):
            if rating.rationale and rating.round_item_id not in found:
                found[rating.round_item_id] = rating.rationale
        return found


def round_items(round_: Round) -> list[RoundItem]:
    rows: QuerySet[RoundItem] = (
        RoundItem.objects.filter(round=round_)
        .select_related("item__section")
        .prefetch_related("item__dimensions")
        .order_by("order")
    )
    return list(rows)


def ballot_view(panelist: Panelist, round_: Round, language: str | None = None) -> BallotView:
    items = round_items(round_)
    ballot = ballot_in_round(panelist, round_)
    ratings = list(ballot.ratings.select_related("dimension")) if ballot is not None else []
    answered, total = ballot_progress(ballot) if ballot is not None else (0, len(items))
    answers = open_answers(round_, panelist, {ri.item_id: ri.pk for ri in items})
    return BallotView(
        round=round_,
        ballot=ballot,
        round_items=items,
        ratings=ratings,
        open_answers=answers,
        answered=answered,
        total=total,
        language=language or language_for(panelist),
    )


@dataclass
class FeedbackView:
    """Controlled feedback for the expert's current round, keyed by item code and dimension key."""

    round: Round
    source_round: int | None
    is_live: bool
    hidden_live: bool
    cells: list[dict[str, Any]] = field(default_factory=list)
    rationales: list[dict[str, Any]] = field(default_factory=list)


def _cell(code: str, feedback: Feedback, min_group_size: int) -> dict[str, Any]:
    stat = feedback.statistic
    shown = feedback.is_shown and bool(is_shown(stat.n, min_group_size=min_group_size))  # checked again
    values = {name: getattr(stat, name) if shown else None for name in ("n", "median", "q1", "q3", "iqr")}
    values.update({name: getattr(stat, name) if shown else None for name in ("pct_agree", "pct_disagree")})
    return {
        "item": code,
        "dimension": stat.dimension.key,
        "is_shown": shown,
        **values,
        "distribution": [{"point": p, "count": c} for p, c in feedback.distribution] if shown else [],
        "own_previous": feedback.own_previous,
        "has_own_previous": feedback.has_own_previous,
    }


def feedback_view(panelist: Panelist, round_: Round, language: str = "") -> FeedbackView:
    """``language``: the reader's (default: the panelist's); others' rationales in it come first."""
    feedback = panel_feedback(round_, panelist, language)
    codes = dict(RoundItem.objects.filter(round=round_).values_list("pk", "item__code"))
    cells = sorted(
        feedback.cells.items(), key=lambda pair: (codes.get(pair[0][0], ""), pair[1].statistic.dimension.order)
    )
    return FeedbackView(
        round=round_,
        source_round=feedback.round_number,
        is_live=feedback.is_live,
        hidden_live=feedback.hidden_live,
        cells=[_cell(codes[ri], cell, round_.study.min_group_size) for (ri, _), cell in cells if ri in codes],
        rationales=[
            {
                "item": codes[ri],
                "texts": [r.text for r in texts],
                "languages": [r.language for r in texts],  # each text's language, "" if not recorded
            }
            for ri, texts in sorted(feedback.rationales.items())
            if ri in codes
        ],
    )
