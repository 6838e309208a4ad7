"""Movement and attrition in a report: who moved toward the median they were shown, why n fell, and
why the mean IQR falls.

**Movement** per item × dimension × round (from the second reported round): among the experts who
gave a valid rating in both that round and the previous reported one, how many moved closer to the
previous round's median (``n_toward``), farther from it (``n_away``), or kept the same distance
(``n_stayed``), as defined by :func:`surveys.stats.influence` (Makkonen et al. 2016; Quirke et al.
2023). The aggregation may store these counts on the whole panel's ItemStatistic; when it does
the stored counts are used, else they are computed here from the ratings.

**How n fell** per round and group (:func:`surveys.stats.participation.participation`'s
definitions): of the previous round's respondents, how many withdrew, were revoked, or stayed on
the panel without submitting; newcomers; and, among those who submitted, how many ratings were
"can't answer" (which lowers an item's n without anyone leaving).

**The convergence caveat**: the mean IQR of a round averages the items still asked in it, and
items that reached consensus (narrow IQRs) retire, so part of a fall in mean IQR comes from retiring
decided items rather than from experts converging. :func:`convergence_caveat` says so with the
figures, over all items and over the items asked in every round.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from itertools import pairwise

import numpy as np
import pandas as pd
from django.utils.translation import gettext, ngettext

from surveys.stats import influence
from surveys.stats.participation import RoundParticipation, by_group
from surveys.stats.scale import Scale

from .numbers import fmt_num
from .source import Row

MOVEMENT_COLUMNS = [
    "round",
    "item_code",
    "lineage_root_code",
    "dimension",
    "n_paired",
    "n_toward",
    "n_away",
    "n_stayed",
]
CAUSE_COLUMNS = [
    "round",
    "group",
    "invited",
    "submitted",
    "previous_respondents",
    "lost_withdrew",
    "lost_revoked",
    "lost_not_submitted",
    "joined",
    "cant_answer",
    "cells_asked",
    "cant_answer_per_item",
]


def unstored_rounds(statistics: Sequence[Row], reported: Sequence[int]) -> set[int]:
    """The reported round ids after the first (``reported`` in round order) for which the aggregation
    stored no movement counts: their counts must be computed from every rating."""
    stored = {row["round_id"] for row in statistics if not row["group"] and row.get("n_toward") is not None}
    return {round_id for round_id in reported[1:] if round_id not in stored}


def stored_movement(
    statistics: Sequence[Row],
    *,
    round_numbers: Mapping[int, int],
    item_codes: Mapping[int, str],
    root_codes: Mapping[int, str],
    dimension_keys: Mapping[int, str],
) -> pd.DataFrame:
    """The counts the aggregation stored on the whole panel's rows (rows without them are skipped)."""
    records = []
    for row in statistics:
        if row["group"] or row.get("n_toward") is None:
            continue
        toward, away, stayed = int(row["n_toward"]), int(row["n_away"] or 0), int(row["n_stayed"] or 0)
        records.append(
            (
                round_numbers[row["round_id"]],
                item_codes[row["item_id"]],
                root_codes[row["item_id"]],
                dimension_keys[row["dimension_id"]],
                toward + away + stayed,
                toward,
                away,
                stayed,
            )
        )
    return pd.DataFrame(records, columns=MOVEMENT_COLUMNS)


def computed_movement(
    answers: Sequence[tuple[int, int, int, int, int | None, str]],
    *,
    reported: Sequence[int],
    round_numbers: Mapping[int, int],
    item_codes_by_round: Mapping[tuple[int, str], str],
    root_codes: Mapping[int, str],
    dimension_keys: Mapping[int, str],
    scales: Mapping[str, Scale],
) -> pd.DataFrame:
    """The counts from every submitted rating (``answers`` must hold all of them), reported rounds
    ``reported`` in order; items are matched across rounds by lineage root code."""
    if len(reported) < 2 or not answers:
        return pd.DataFrame(columns=MOVEMENT_COLUMNS)
    frame = pd.DataFrame(
        [
            (round_numbers.get(r), p, root_codes[i], dimension_keys[d], np.nan if v is None else float(v))
            for r, p, i, d, v, _ in answers
        ],
        columns=["round", "panelist", "item", "dimension", "value"],
    )
    by_round = {number: rows.drop(columns="round") for number, rows in frame.groupby("round", sort=True)}
    pieces = []
    for before, after in pairwise(reported):
        if before not in by_round or after not in by_round:
            continue
        table = influence(by_round[before], by_round[after], scales)
        table = table[table["n_paired"] > 0]
        pieces.append(
            pd.DataFrame(
                {
                    "round": after,
                    "item_code": [item_codes_by_round.get((after, root), root) for root in table["item"]],
                    "lineage_root_code": table["item"].astype(str).to_numpy(),
                    "dimension": table["dimension"].to_numpy(),
                    **{c: table[c].astype(int).to_numpy() for c in ("n_paired", "n_toward", "n_away", "n_stayed")},
                }
            )
        )
    if not pieces:
        return pd.DataFrame(columns=MOVEMENT_COLUMNS)
    return pd.concat(pieces, ignore_index=True)[MOVEMENT_COLUMNS]


def order_movement(
    frame: pd.DataFrame, lineage_order: Mapping[str, int], dimension_order: Mapping[str, int]
) -> pd.DataFrame:
    if not len(frame):
        return pd.DataFrame(columns=MOVEMENT_COLUMNS)
    keys = frame.assign(
        _l=frame["lineage_root_code"].map(lineage_order).fillna(len(lineage_order)),
        _d=frame["dimension"].map(dimension_order).fillna(len(dimension_order)),
    )
    return keys.sort_values(["_l", "_d", "round"], kind="stable")[MOVEMENT_COLUMNS].reset_index(drop=True)


def movement_by_round(frame: pd.DataFrame, deciding: Sequence[str]) -> pd.DataFrame:
    """Per round: the counts pooled over the items and the dimensions that count toward consensus."""
    chosen = frame[frame["dimension"].isin(list(deciding))]
    columns = ["round", "n_items", "n_paired", "n_toward", "n_away", "n_stayed"]
    if not len(chosen):
        return pd.DataFrame(columns=columns)
    grouped = chosen.groupby("round", sort=True)
    out = grouped[["n_paired", "n_toward", "n_away", "n_stayed"]].sum().astype(int)
    out.insert(0, "n_items", grouped.size().astype(int))
    return out.reset_index()[columns]


def attrition_causes(
    turnout: Sequence[RoundParticipation],
    label_of: Mapping[int, str],
    answers: Sequence[tuple[int, int, int, int, int | None, str]],
    cells_asked: Mapping[int, int],
) -> pd.DataFrame:
    """Per reported round, whole panel (``group`` "") then each shown group: how n fell.

    ``label_of`` maps a panelist id to the group label the report shows (small groups pooled);
    ``cells_asked`` maps a round id to the number of item × dimension cells asked in it.
    """
    cant: Counter[tuple[int, str]] = Counter()
    for round_id, panelist, _item, _dimension, value, _ in answers:
        if value is None:
            cant[(round_id, "")] += 1
            if panelist in label_of:
                cant[(round_id, label_of[panelist])] += 1
    records = []
    for part in [*turnout, *by_group(turnout, label_of, keep_empty=True)]:
        previous = part.previous or frozenset()
        lost = previous - part.submitted
        withdrew, revoked = lost & part.withdrew, (lost & part.revoked) - part.withdrew
        cells = cells_asked.get(part.round_id, 0)
        n_cant = cant[(part.round_id, part.group)]
        records.append(
            {
                "round": part.round_number,
                "group": part.group,
                "invited": part.n_invited,
                "submitted": part.n_submitted,
                "previous_respondents": None if part.previous is None else len(previous),
                "lost_withdrew": len(withdrew),
                "lost_revoked": len(revoked),
                "lost_not_submitted": len(lost - withdrew - revoked),
                "joined": part.joined,
                "cant_answer": n_cant,
                "cells_asked": cells,
                "cant_answer_per_item": n_cant / cells if cells else None,
            }
        )
    frame = pd.DataFrame(records, columns=CAUSE_COLUMNS)
    return frame.sort_values(["round"], kind="stable").reset_index(drop=True)


def _fmt(value: float) -> str:
    return fmt_num(value)


def convergence_caveat(whole: pd.DataFrame, changes: pd.DataFrame, dimensions: Sequence[tuple[str, str]]) -> str:
    """The sentence that goes beside the convergence chart (module docstring).

    ``whole`` holds the whole panel's statistics rows (round, lineage_root_code, dimension, iqr);
    ``changes`` the item changes (:func:`.methods.item_changes`); ``dimensions`` the (key, label)
    pairs that count toward consensus.
    """
    rounds = sorted(int(r) for r in whole["round"].unique()) if len(whole) else []
    retired = int((changes["change"] == "decided").sum()) if len(changes) else 0
    base = gettext(
        "The mean IQR of a round averages the items still asked in it. Items that reached consensus are "
        "not asked again, and they had narrow IQRs, so part of any fall in mean IQR comes from retiring decided "
        "items, not from experts converging."
    )
    if len(rounds) < 2:
        return base
    first, last = rounds[0], rounds[-1]
    parts = []
    for key, label in dimensions:
        chosen = whole[(whole["dimension"] == key) & whole["iqr"].notna()]
        asked = chosen.groupby("lineage_root_code")["round"].nunique()
        steady = set(asked[asked == len(rounds)].index)
        at = {r: chosen[chosen["round"] == r] for r in (first, last)}
        if not len(at[first]) or not len(at[last]):
            continue
        means = {r: _fmt(at[r]["iqr"].mean()) for r in (first, last)}
        values = {"label": label, "m0": means[first], "r0": first, "m1": means[last], "r1": last}
        text = gettext("%(label)s: mean IQR %(m0)s in round %(r0)s, %(m1)s in round %(r1)s") % values
        if steady:
            kept = {r: at[r][at[r]["lineage_root_code"].isin(steady)]["iqr"].mean() for r in (first, last)}
            text += ngettext(
                "; over the %(n)d item asked in every round, %(k0)s → %(k1)s",
                "; over the %(n)d items asked in every round, %(k0)s → %(k1)s",
                len(steady),
            ) % {"n": len(steady), "k0": _fmt(kept[first]), "k1": _fmt(kept[last])}
        parts.append(text + ".")
    if not parts:
        return base
    tail = ""
    if retired:
        said = ngettext(
            "%(n)d item retired after reaching consensus.", "%(n)d items retired after reaching consensus.", retired
        )
        tail = " " + said % {"n": retired}
    return f"{base} {' '.join(parts)}{tail}"
