"""Item lineages: a reworded item continues the trajectory of the item it replaces.

``Item.replaces`` points from a new wording to the old one, so ``C7 → C7r2`` is one lineage with
root ``C7``. Every statistic of a lineage is reported under its root code as well as under the code
asked in that round, so a rewording never breaks a trajectory (DESIGN.md, "Domain model").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Row = Mapping[str, Any]  # one plain row, as surveys.reports.source gives them

LINEAGE_ARROW = " → "


@dataclass(frozen=True)
class Lineage:
    """One item through its rewordings: codes oldest first, and what the latest wording says.

    ``codes_by_round`` maps the number of every round that asked the lineage (any status) to the
    code asked then; ``rounds_reported`` are the aggregated rounds among them.
    """

    root_code: str
    codes: tuple[str, ...]
    kind: str
    section: str
    text: str
    source_ref: str
    texts: tuple[tuple[str, str], ...]  # (code, wording), oldest first
    dimensions: tuple[str, ...]
    codes_by_round: Mapping[int, str]
    rounds_reported: tuple[int, ...]

    @property
    def label(self) -> str:
        """``C7 → C7r2``, or just ``C7`` when it was never reworded."""
        return LINEAGE_ARROW.join(self.codes)

    @property
    def code(self) -> str:
        """The latest code."""
        return self.codes[-1]


def lineage_root_ids(items: Sequence[Row]) -> dict[int, int]:
    """Item id -> id of the first wording (``replaces`` followed back; a cycle stops where it closes)."""
    return lineage_roots_from_parents({row["id"]: row["replaces_id"] for row in items})


def lineage_roots_from_parents(parent: Mapping[int, int | None]) -> dict[int, int]:
    """Item id -> id of the first wording, given each item's predecessor (None for a first wording)."""
    roots: dict[int, int] = {}
    for item_id in parent:
        seen, current = {item_id}, item_id
        while parent.get(current) is not None and parent[current] not in seen:
            current = parent[current]  # type: ignore[assignment]
            seen.add(current)
        roots[item_id] = current
    return roots


def build_lineages(
    items: Sequence[Row],
    roots: Mapping[int, int],
    item_dimensions: Mapping[int, Sequence[str]],
    round_items: Sequence[tuple[int, int, int]],
    round_numbers: Mapping[int, int],
    reported_rounds: set[int],
) -> list[Lineage]:
    """Lineages of every item asked in some round, in the study's item order (that of the root).

    ``items`` come ordered by (order, code); ``item_dimensions`` maps an item id to its dimension
    keys in dimension order; ``round_numbers`` maps round ids to numbers.
    """
    by_id = {row["id"]: row for row in items}
    position = {row["id"]: index for index, row in enumerate(items)}
    members: dict[int, list[int]] = {}
    for row in items:
        members.setdefault(roots[row["id"]], []).append(row["id"])
    asked: dict[int, dict[int, str]] = {}
    for round_id, item_id, _order in round_items:
        if item_id in by_id:
            asked.setdefault(roots[item_id], {})[round_numbers[round_id]] = by_id[item_id]["code"]
    lineages = []
    for root_id in sorted(asked, key=lambda pk: position[pk]):
        chain = _chain(root_id, members[root_id], by_id, position)
        latest = by_id[chain[-1]]
        dims: list[str] = []
        for item_id in chain:
            dims += [key for key in item_dimensions.get(item_id, ()) if key not in dims]
        by_round = dict(sorted(asked[root_id].items()))
        lineages.append(
            Lineage(
                root_code=by_id[root_id]["code"],
                codes=tuple(by_id[pk]["code"] for pk in chain),
                kind=latest["kind"],
                section=latest["section_title"] or "",
                text=latest["text"],
                source_ref=latest["source_ref"] or "",
                texts=tuple((by_id[pk]["code"], by_id[pk]["text"]) for pk in chain),
                dimensions=tuple(dims),
                codes_by_round=by_round,
                rounds_reported=tuple(n for n in by_round if n in reported_rounds),
            )
        )
    return lineages


def _chain(root_id: int, member_ids: list[int], by_id: Mapping[int, Row], position: Mapping[int, int]) -> list[int]:
    """The lineage's items oldest first: follow ``replaces`` forward from the root.

    A branch (two rewordings of one item) is listed in item order after the main line.
    """
    children: dict[int, list[int]] = {}
    for pk in member_ids:
        parent = by_id[pk]["replaces_id"]
        if parent is not None and pk != root_id:
            children.setdefault(parent, []).append(pk)
    chain, current = [root_id], root_id
    while children.get(current):
        current = max(children[current])  # the newest rewording continues the line
        if current in chain:
            break
        chain.append(current)
    chain += sorted((pk for pk in member_ids if pk not in chain), key=lambda pk: position[pk])
    return chain
