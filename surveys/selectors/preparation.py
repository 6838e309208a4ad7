"""Reads for preparing the next round: each item's previous results, what was left out, the suggestions.

Facilitators see every result and every suggestion (never a rationale next to a name). Fixed query
count, whatever the number of items.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from surveys.models import Dimension, Item, ItemStatistic, Round, RoundItem, Section, Suggestion
from surveys.stats import item_decision

from .ratings import lineage_roots


@dataclass(frozen=True)
class VerdictLine:
    """One dimension's result for an item in the previous round."""

    dimension: str
    verdict: str
    median: float | None
    iqr: float | None
    pct_agree: float | None
    n: int


@dataclass
class PreparedItem:
    item: Item
    replaces_code: str
    previous: list[VerdictLine]
    decision: str = ""  # for items left out: "in", "out", "mixed", or "" (dropped without consensus)


@dataclass
class Preparation:
    round: Round
    previous_round: Round | None
    items: list[PreparedItem]
    left_out: list[PreparedItem]
    suggestions: list[Suggestion]
    sections: list[Section]
    dimensions: list[Dimension]
    kinds: list[tuple[str, str]]


def round_preparation(round_: Round) -> Preparation:
    """A draft round's items with their previous results, what was left out, and the suggestions."""
    study = round_.study
    roots = lineage_roots(study)
    previous = (
        Round.objects.filter(study=study, number__lt=round_.number).select_related("study").order_by("-number").first()
    )
    results: dict[int, list[VerdictLine]] = defaultdict(list)
    previous_items: list[Item] = []
    if previous is not None:
        for stat in (
            ItemStatistic.objects.filter(round=previous, group="", dimension__is_consensus_dimension=True)
            .select_related("dimension")
            .order_by("round_item__order", "dimension__order")
        ):
            results[stat.round_item_id].append(
                VerdictLine(stat.dimension.label, stat.verdict, stat.median, stat.iqr, stat.pct_agree, stat.n)
            )
        previous_round_items = list(previous.round_items.select_related("item").order_by("order"))
        by_root = {roots.get(ri.item_id): results.get(ri.pk, []) for ri in previous_round_items}
        previous_items = [ri.item for ri in previous_round_items]
    else:
        by_root = {}
    current = list(
        RoundItem.objects.filter(round=round_).select_related("item__section", "item__replaces").order_by("order")
    )
    present = {roots.get(ri.item_id) for ri in current}
    items = [
        PreparedItem(
            item=ri.item,
            replaces_code=ri.item.replaces.code if ri.item.replaces_id else "",  # type: ignore[union-attr]
            previous=by_root.get(roots.get(ri.item_id), []),
        )
        for ri in current
    ]
    left_out = []
    for item in previous_items:
        if roots.get(item.pk) in present or item.is_open:
            continue
        lines = by_root.get(roots.get(item.pk), [])
        decision = item_decision(line.verdict for line in lines)
        left_out.append(PreparedItem(item=item, replaces_code="", previous=lines, decision=decision))
    suggestions = list(
        Suggestion.objects.filter(study=study, status=Suggestion.Status.NEW)
        .select_related("target_item", "prompt_item")
        .order_by("created_at")
    )
    return Preparation(
        round=round_,
        previous_round=previous,
        items=items,
        left_out=left_out,
        suggestions=suggestions,
        sections=list(Section.objects.filter(study=study).order_by("order")),
        dimensions=list(Dimension.objects.filter(study=study).order_by("order")),
        kinds=[(value, str(label)) for value, label in Item.Kind.choices if value != Item.Kind.OPEN],
    )
