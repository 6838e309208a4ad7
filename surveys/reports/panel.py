"""The panel in a report: composition, attrition and raw ratings, with small groups pooled.

Anonymity (DESIGN.md, "Subgroups"): a group with fewer than the study's ``min_group_size``
members is never named next to a count or a rating. Such groups are pooled under one label in the
composition and attrition tables and in the raw ratings, so that a reader cannot tell who, among a
handful, answered what. Panelists appear only under their stable pseudonym.

CREDES (Jünger et al. 2017, items "panel composition" and "response rates per round") asks a
report to state who was on the panel and how many answered each round; this module computes both.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence, Set

import pandas as pd

from surveys.lineage import Lineage
from surveys.stats.participation import WITHDRAWN, RoundParticipation, by_group

from .source import Row

NO_GROUP = "No group"
POOLED = "Smaller groups (pooled)"


def group_labels(panelists: Sequence[Row], min_group_size: int, members: Set[int]) -> dict[str, str]:
    """Raw group -> the label a report shows: the group itself, or :data:`POOLED` when it is small.

    Sizes count the panel's ``members`` (:func:`surveys.stats.participation.ever_on_panel`: invited
    to a reported round, or on the panel now). Panelists without a group are shown as
    :data:`NO_GROUP` when there are enough of them.
    """
    sizes = Counter(p["group"] for p in panelists if p["id"] in members)
    labels = {}
    for group, size in sizes.items():
        if size < min_group_size:
            labels[group] = POOLED
        else:
            labels[group] = group or NO_GROUP
    return labels


def composition(panelists: Sequence[Row], labels: Mapping[str, str], members: Set[int]) -> pd.DataFrame:
    """Per shown group: members, consented, withdrawn and synthetic panelists; largest first, pooled last."""
    rows: dict[str, Counter[str]] = {}
    for p in panelists:
        if p["id"] not in members:
            continue
        counts = rows.setdefault(labels[p["group"]], Counter())
        counts["members"] += 1
        counts["consented"] += p["consent_at"] is not None
        counts["withdrawn"] += p["status"] == WITHDRAWN
        counts["synthetic"] += bool(p["is_synthetic"])
    frame = pd.DataFrame(
        [
            {"group": label, **{k: counts[k] for k in ("members", "consented", "withdrawn", "synthetic")}}
            for label, counts in rows.items()
        ],
        columns=["group", "members", "consented", "withdrawn", "synthetic"],
    )
    frame["_pooled"] = frame["group"] == POOLED
    return (
        frame.sort_values(["_pooled", "members", "group"], ascending=[True, False, True])
        .drop(columns="_pooled")
        .reset_index(drop=True)
    )


ATTRITION_COLUMNS = [
    "round",
    "panel_size",
    "answered",
    "response_rate",
    "withdrew",
    "revoked",
    "dropped_out",
    "joined",
    "retained_from_round_1",
]


def attrition(turnout: Sequence[RoundParticipation]) -> pd.DataFrame:
    """Per reported round: panel size (invited), answered, response rate, withdrawals and revocations
    in the round, drop-outs since the round before, newcomers, and how many of round 1's respondents
    still answer. Every figure is defined in :mod:`surveys.stats.participation`, the same definition
    the aggregation stored (RoundStatistic) and the dashboard shows.
    """
    records = [
        {
            "round": row.round_number,
            "panel_size": row.n_invited,
            "answered": row.n_submitted,
            "response_rate": row.response_rate,
            "withdrew": len(row.withdrew),
            "revoked": len(row.revoked),
            "dropped_out": row.lost or 0,
            "joined": row.joined,
            "retained_from_round_1": row.retained_from_first,
        }
        for row in turnout
    ]
    return pd.DataFrame(records, columns=ATTRITION_COLUMNS)


def attrition_by_group(
    turnout: Sequence[RoundParticipation], panelists: Sequence[Row], labels: Mapping[str, str], members: Set[int]
) -> pd.DataFrame:
    """Per reported round and shown group: the group's members on the panel, how many were invited
    to the round, how many answered, and the group's response rate (answered / invited)."""
    label_of = {p["id"]: labels[p["group"]] for p in panelists if p["id"] in members}
    sizes = Counter(label_of.values())
    records = [
        {
            "round": part.round_number,
            "group": part.group,
            "members": sizes[part.group],
            "invited": part.n_invited,
            "answered": part.n_submitted,
            "response_rate": part.response_rate,
        }
        for part in by_group(turnout, label_of, keep_empty=True)
    ]
    frame = pd.DataFrame(records, columns=["round", "group", "members", "invited", "answered", "response_rate"])
    frame["_pooled"] = frame["group"] == POOLED
    return (
        frame.sort_values(["round", "_pooled", "group"], kind="stable").drop(columns="_pooled").reset_index(drop=True)
    )


def ratings_frame(
    ratings: Sequence[tuple[int, int, int, int, int | None, str]],
    *,
    panelists: Sequence[Row],
    labels: Mapping[str, str],
    round_numbers: Mapping[int, int],
    item_codes: Mapping[int, str],
    root_codes: Mapping[int, str],
    dimension_keys: Mapping[int, str],
    lineages: Sequence[Lineage],
) -> pd.DataFrame:
    """Raw ratings under pseudonyms: round, pseudonym, group label, item, lineage, dimension, value, rationale.

    ``value`` is empty for "can't answer". Sorted by round, pseudonym and the study's item order.
    """
    who = {p["id"]: (p["pseudonym"], labels.get(p["group"], POOLED)) for p in panelists}
    order = {lineage.root_code: index for index, lineage in enumerate(lineages)}
    frame = pd.DataFrame(
        [
            (round_numbers[r], *who[p], item_codes[i], root_codes[i], dimension_keys[d], v, rationale or "")
            for r, p, i, d, v, rationale in ratings
        ],
        columns=["round", "pseudonym", "group", "item_code", "lineage_root_code", "dimension", "value", "rationale"],
    )
    frame["value"] = frame["value"].astype("Float64")
    frame["_order"] = frame["lineage_root_code"].map(order).fillna(len(order))
    return (
        frame.sort_values(["round", "pseudonym", "_order"], kind="stable").drop(columns="_order").reset_index(drop=True)
    )
