"""Which items of an aggregated round go on to the next, and which were decided."""

from __future__ import annotations

from dataclasses import dataclass

from surveys.errors import DomainError
from surveys.models import Item, ItemStatistic, Round
from surveys.stats import item_decision


@dataclass(frozen=True)
class CarryForward:
    """Which items of an aggregated round go on, and which were decided (consensus in or out)."""

    carried: list[Item]
    decided: list[tuple[Item, str]]


def round_carry_forward(round_: Round) -> CarryForward:
    """Items with no consensus on some dimension carry over; items decided on every dimension retire.

    Verdicts are the whole panel's (group ``""``) on the dimensions that count toward consensus
    (not, e.g., confidence). An item whose ratings were all "can't answer" has no verdict and
    carries over. Open questions are asked in round 1 only.
    """
    if round_.status != Round.Status.AGGREGATED:
        raise DomainError(f"Round {round_.number} is {round_.status}; aggregate it before carrying items forward.")
    verdicts: dict[int, set[str]] = {}
    decisive = ItemStatistic.objects.filter(round=round_, group="", dimension__is_consensus_dimension=True)
    for round_item_id, verdict in decisive.values_list("round_item_id", "verdict"):
        verdicts.setdefault(round_item_id, set()).add(verdict)
    carried, decided = [], []
    for round_item in round_.round_items.select_related("item").order_by("order"):
        item = round_item.item
        if item.is_open:
            continue
        decision = item_decision(verdicts.get(round_item.pk, ()))
        if decision:
            decided.append((item, decision))
        else:
            carried.append(item)
    return CarryForward(carried=carried, decided=decided)
