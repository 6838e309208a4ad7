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
from collections.abc import Mapping, Sequence

import pandas as pd

from .lineage import Lineage
from .source import Row

NO_GROUP = "No group"
POOLED = "Smaller groups (pooled)"
REVOKED = "revoked"
SUBMITTED = "submitted"


def group_labels(panelists: Sequence[Row], min_group_size: int) -> dict[str, str]:
    """Raw group -> the label a report shows: the group itself, or :data:`POOLED` when it is small.

    Sizes count the panel's members (revoked invitations excluded). Panelists without a group are
    shown as :data:`NO_GROUP` when there are enough of them.
    """
    sizes = Counter(p["group"] for p in panelists if p["status"] != REVOKED)
    labels = {}
    for group, size in sizes.items():
        if size < min_group_size:
            labels[group] = POOLED
        else:
            labels[group] = group or NO_GROUP
    return labels


def composition(panelists: Sequence[Row], labels: Mapping[str, str]) -> pd.DataFrame:
    """Per shown group: members, consented, withdrawn and synthetic panelists; largest first, pooled last."""
    rows: dict[str, Counter[str]] = {}
    for p in panelists:
        if p["status"] == REVOKED:
            continue
        counts = rows.setdefault(labels[p["group"]], Counter())
        counts["members"] += 1
        counts["consented"] += p["consent_at"] is not None
        counts["withdrawn"] += p["status"] == "withdrawn"
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


def submitted_by_round(
    ballots: Sequence[tuple[int, int, str]], round_numbers: Mapping[int, int]
) -> dict[int, set[int]]:
    """Round number -> ids of the panelists who submitted in it."""
    answered: dict[int, set[int]] = {number: set() for number in round_numbers.values()}
    for round_id, panelist_id, status in ballots:
        if status == SUBMITTED and round_id in round_numbers:
            answered[round_numbers[round_id]].add(panelist_id)
    return answered


def attrition(rounds: Sequence[Row], answered: Mapping[int, set[int]]) -> pd.DataFrame:
    """Per reported round: panel size, answered, response rate, drop-outs since the round before,
    newcomers, and how many of round 1's respondents still answer.

    Panel size and answered are the figures stored at aggregation (RoundStatistic), so they agree
    with the response rates everywhere else.
    """
    records = []
    previous: set[int] | None = None
    first: set[int] | None = None
    for row in rounds:
        current = answered.get(row["number"], set())
        first = current if first is None else first
        records.append(
            {
                "round": row["number"],
                "panel_size": row["stat_n_invited"],
                "answered": row["stat_n_submitted"],
                "response_rate": row["stat_response_rate"],
                "dropped_out": len(previous - current) if previous is not None else 0,
                "joined": len(current - previous) if previous is not None else 0,
                "retained_from_round_1": len(current & first),
            }
        )
        previous = current
    columns = ["round", "panel_size", "answered", "response_rate", "dropped_out", "joined", "retained_from_round_1"]
    return pd.DataFrame(records, columns=columns)


def attrition_by_group(
    panelists: Sequence[Row], labels: Mapping[str, str], answered: Mapping[int, set[int]], round_numbers: Sequence[int]
) -> pd.DataFrame:
    """Per reported round and shown group: members, answered and the group's response rate."""
    label_of = {p["id"]: labels[p["group"]] for p in panelists if p["status"] != REVOKED}
    members = Counter(label_of.values())
    records = []
    for number in round_numbers:
        counts = Counter(label_of[pk] for pk in answered.get(number, ()) if pk in label_of)
        for label in sorted(members, key=lambda g: (g == POOLED, g)):
            records.append(
                {
                    "round": number,
                    "group": label,
                    "members": members[label],
                    "answered": counts[label],
                    "response_rate": counts[label] / members[label] if members[label] else None,
                }
            )
    return pd.DataFrame(records, columns=["round", "group", "members", "answered", "response_rate"])


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
