"""The report's tables derived from the stored statistics: one tidy frame, then convergence,
round-to-round shifts and subgroup divergence computed from it (pure pandas).

Definitions are those of :mod:`surveys.stats` (DESIGN.md, "Statistics: exact definitions"); this
module only re-arranges stored figures, except the round summaries, which reuse
:func:`surveys.stats.round_summary` (mean IQR and CV per dimension: scales differ, so IQRs of a
1–9 and a 1–5 dimension are never averaged together).
"""

from __future__ import annotations

# `# fmt: skip` below keeps the column lists as tables to read across, not one name per line.
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from surveys.models.statistics import ItemStatistic
from surveys.stats import is_shown, round_summary

from .source import Row

KEY_COLUMNS = ["round", "item_code", "lineage_root_code", "dimension", "group"]
STAT_COLUMNS = [
    "n", "abstentions", "mean", "sd", "median", "q1", "q3", "iqr", "pct_agree", "pct_disagree", "cv",
    "weighted_median", "median_band", "p30", "p70", "ipr", "iprcp", "ai", "ipras", "rand_disagreement", "verdict",
]  # fmt: skip
STABILITY_COLUMNS = list(ItemStatistic.STABILITY_COLUMNS)
#: Stored figures the report draws but the tables do not list: the median's interval (whiskers on the
#: trajectories) and dissent (the findings' polarised rule reads them, else computes them).
CHART_COLUMNS = ["median_ci_lo", "median_ci_hi", "agreement_a", "bimodality"]
#: Every beyond-consensus figure stored (surveys.stats.beyond), CHART_COLUMNS included: the formats
#: export them all (json_export names them as the issue does: median_ci [lo, hi], ...).
BEYOND_COLUMNS = list(ItemStatistic.BEYOND_COLUMNS)
BEYOND_TEXT = ("direction", "trend")  # labels, "" when there is no figure
BEYOND_OBJECT = ("has_consensus", "n_toward", "n_away", "n_stayed")  # None when there is no figure
STATISTICS_COLUMNS = [*KEY_COLUMNS, *STAT_COLUMNS, *STABILITY_COLUMNS, *BEYOND_COLUMNS, "distribution"]
TEXT_STATISTICS = ("median_band", "verdict")
VERDICT_LABELS = {  # translated where shown (str() in the report's language)
    "in": gettext_lazy("Consensus in"),
    "out": gettext_lazy("Consensus out"),
    "none": gettext_lazy("No consensus"),
    "": gettext_lazy("No verdict"),
}


def verdict_label(verdict: str, n: int, *, decides: bool = True) -> str:
    """What a stored verdict means: ``""`` is either "no valid ratings" or a dimension that does
    not count toward consensus (e.g. confidence)."""
    if verdict:
        return str(VERDICT_LABELS[verdict])
    if not n:
        return _("No valid ratings")
    return str(VERDICT_LABELS[""]) if decides else _("Not a consensus dimension")


def statistics_frame(
    rows: Sequence[Row],
    *,
    round_numbers: Mapping[int, int],
    item_codes: Mapping[int, str],
    root_codes: Mapping[int, str],
    dimension_keys: Mapping[int, str],
    lineage_order: Mapping[str, int],
    dimension_order: Mapping[str, int],
    named_groups: Collection[str],
    min_group_size: int,
) -> pd.DataFrame:
    """One row per reported round × item × dimension × group (``""`` = whole panel).

    Group rows are stored only where the group gave at least ``min_group_size`` valid ratings on
    that item and dimension (:func:`surveys.stats.is_shown`). As a second line of defence a group
    row is dropped here too unless it passes that rule and its group is one of ``named_groups``
    (the groups the report names: enough members, see :func:`.panel.group_labels`).
    ``distribution`` maps scale points (int) to counts. Sorted by item order, dimension order,
    round and group (whole panel first).
    """
    records = []
    for row in rows:
        group = row["group"]
        number = round_numbers[row["round_id"]]
        if group and (group not in named_groups or not is_shown(row["n"], min_group_size=min_group_size)):
            continue
        record: dict[str, Any] = {
            "round": number,
            "item_code": item_codes[row["item_id"]],
            "lineage_root_code": root_codes[row["item_id"]],
            "dimension": dimension_keys[row["dimension_id"]],
            "group": group,
        }
        record.update({column: row[column] for column in STAT_COLUMNS + STABILITY_COLUMNS})
        record.update({column: row.get(column) for column in BEYOND_COLUMNS})
        record["distribution"] = {int(k): int(v) for k, v in (row["distribution"] or {}).items()}
        records.append(record)
    frame = pd.DataFrame(records, columns=STATISTICS_COLUMNS)
    for column in STAT_COLUMNS + STABILITY_COLUMNS + BEYOND_COLUMNS:
        if column in BEYOND_TEXT:
            frame[column] = frame[column].fillna("").astype(object)
        elif column in BEYOND_OBJECT:  # ints (or a bool) and None, never floats with NaN
            kind = bool if column == "has_consensus" else int
            frame[column] = pd.Series([None if pd.isna(v) else kind(v) for v in frame[column]], dtype=object)
        elif column not in TEXT_STATISTICS and column not in ("rand_disagreement", "is_stable", "n", "abstentions"):
            frame[column] = frame[column].astype("float64")
    frame["verdict"] = frame["verdict"].fillna("").astype(object)
    frame["median_band"] = frame["median_band"].fillna("").astype(object)
    keys = (
        frame["lineage_root_code"].map(lineage_order).fillna(len(lineage_order)),
        frame["dimension"].map(dimension_order).fillna(len(dimension_order)),
        frame["round"],
        frame["group"] != "",
        frame["group"],
    )
    order = np.lexsort([np.asarray(k) for k in reversed(keys)]) if len(frame) else np.arange(0)
    return frame.iloc[order].reset_index(drop=True)


def reader_rows(stats: pd.DataFrame, min_group_size: int) -> pd.DataFrame:
    """``stats`` without a group row below the anonymity rule: the check each format repeats before
    it writes a group's figures, whatever built the frame."""
    return stats[(stats["group"] == "") | is_shown(stats["n"].to_numpy(), min_group_size=min_group_size)]


def suppressed_note(min_group_size: int, *, answers: bool = False) -> str:
    """What a report prints in place of a suppressed group's figures: the bound, never the count."""
    if answers:
        return ngettext(
            "suppressed (fewer than %(n)d answer)", "suppressed (fewer than %(n)d answers)", min_group_size
        ) % {"n": min_group_size}
    return ngettext("suppressed (fewer than %(n)d rating)", "suppressed (fewer than %(n)d ratings)", min_group_size) % {
        "n": min_group_size
    }


def suppressed(stats: pd.DataFrame, named_groups: Collection[str]) -> pd.DataFrame:
    """Round × item × dimension × group cells withheld for anonymity, so a report can say so.

    For every whole-panel row of ``stats`` (an item × dimension reported in a round), each of
    ``named_groups`` (the groups the report names, ``""`` excluded) that has no row beside it
    there: it gave fewer valid ratings than the minimum. Only keys are kept; no count, figure or
    distribution of the group reaches the frame. Sorted like ``stats``, groups by name.
    """
    named = sorted(g for g in named_groups if g)
    whole = whole_panel(stats)
    if not named or not len(whole):
        return pd.DataFrame(columns=KEY_COLUMNS)
    keys = ["round", "item_code", "dimension"]
    cells = whole[["round", "item_code", "lineage_root_code", "dimension"]].merge(
        pd.DataFrame({"group": named}), how="cross"
    )
    present = stats.loc[stats["group"] != "", [*keys, "group"]].assign(_shown=True)
    cells = cells.merge(present, on=[*keys, "group"], how="left")
    return cells[cells["_shown"].isna()][KEY_COLUMNS].reset_index(drop=True)


def whole_panel(stats: pd.DataFrame) -> pd.DataFrame:
    return stats[stats["group"] == ""]


def convergence(stats: pd.DataFrame, rounds: Sequence[Row], dimensions: Sequence[tuple[str, bool]]) -> pd.DataFrame:
    """Per reported round × dimension: items rated, verdict counts, mean IQR, mean CV, APMO and
    Kendall's W (as stored per dimension in RoundStatistic.kendall). ``dimensions`` are (key,
    decides) pairs; ``decides`` is False for a dimension without verdicts (e.g. confidence)."""
    whole = whole_panel(stats)
    records = []
    for row in rounds:
        for key, decides in dimensions:
            chosen = whole[(whole["round"] == row["number"]) & (whole["dimension"] == key)]
            if not len(chosen):
                continue
            summary = round_summary(chosen, chosen["verdict"])
            kendall = (row["stat_kendall"] or {}).get(key) or {}
            records.append(
                {
                    "round": row["number"],
                    "dimension": key,
                    "decides": decides,
                    "n_items": summary.n_items,
                    "n_in": summary.n_in,
                    "n_out": summary.n_out,
                    "n_none": summary.n_none,
                    "n_no_data": summary.n_no_data,
                    "mean_iqr": summary.mean_iqr,
                    "mean_cv": summary.mean_cv,
                    "apmo": summary.apmo,
                    "kendall_w": kendall.get("w"),
                    "kendall_p": kendall.get("p_value"),
                    "kendall_m": kendall.get("m"),
                }
            )
    columns = ["round", "dimension", "decides", "n_items", "n_in", "n_out", "n_none", "n_no_data",
               "mean_iqr", "mean_cv", "apmo", "kendall_w", "kendall_p", "kendall_m"]  # fmt: skip
    frame = pd.DataFrame(records, columns=columns)
    for column in ("mean_iqr", "mean_cv", "apmo", "kendall_w", "kendall_p"):
        frame[column] = frame[column].astype("float64")
    return frame


SHIFT_COLUMNS = [
    "lineage_root_code", "dimension", "round_from", "round_to", "item_code_from", "item_code_to",
    "median_from", "median_to", "median_change", "iqr_from", "iqr_to", "iqr_change",
    "pct_agree_from", "pct_agree_to", "pct_agree_change", "verdict_from", "verdict_to", *STABILITY_COLUMNS,
]  # fmt: skip


def shifts(stats: pd.DataFrame) -> pd.DataFrame:
    """Round-to-round changes of each lineage × dimension (whole panel), with the stored stability
    fields of the later round (Wilcoxon p, weighted kappa, % unchanged, Scheibe's % change, ΔCV)."""
    whole = whole_panel(stats).reset_index(drop=True)
    before = whole.groupby(["lineage_root_code", "dimension"], sort=False)[
        ["round", "item_code", "median", "iqr", "pct_agree", "verdict"]
    ].shift()
    frame = pd.DataFrame(
        {
            "lineage_root_code": whole["lineage_root_code"],
            "dimension": whole["dimension"],
            "round_from": before["round"],
            "round_to": whole["round"],
            "item_code_from": before["item_code"],
            "item_code_to": whole["item_code"],
            "median_from": before["median"],
            "median_to": whole["median"],
            "median_change": whole["median"] - before["median"].astype("float64"),
            "iqr_from": before["iqr"],
            "iqr_to": whole["iqr"],
            "iqr_change": whole["iqr"] - before["iqr"].astype("float64"),
            "pct_agree_from": before["pct_agree"],
            "pct_agree_to": whole["pct_agree"],
            "pct_agree_change": whole["pct_agree"] - before["pct_agree"].astype("float64"),
            "verdict_from": before["verdict"],
            "verdict_to": whole["verdict"],
            **{column: whole[column] for column in STABILITY_COLUMNS},
        },
        columns=SHIFT_COLUMNS,
    )
    frame = frame[frame["round_from"].notna()].reset_index(drop=True)
    frame["round_from"] = frame["round_from"].astype("int64")
    for column in ("median_from", "iqr_from", "pct_agree_from"):
        frame[column] = frame[column].astype("float64")
    return frame


DIVERGENCE_COLUMNS = [
    "round", "lineage_root_code", "item_code", "dimension", "n_groups", "panel_median",
    "median_min", "median_max", "median_range", "group_medians",
]  # fmt: skip


def divergence(stats: pd.DataFrame) -> pd.DataFrame:
    """Per round × lineage × dimension with two or more (unsuppressed) groups: the spread of the
    group medians (max − min), largest first within each round; ``group_medians`` lists
    ``(group, median)`` from the highest median down.

    Vectorised: one sort of all group rows and one groupby aggregation (a Python loop over each
    cell's frame took most of the report frame's build on 100 items × 4 rounds)."""
    keys = ["round", "lineage_root_code", "dimension"]
    groups = stats.loc[(stats["group"] != "") & stats["median"].notna(), [*keys, "item_code", "group", "median"]]
    if not len(groups):
        return pd.DataFrame(columns=DIVERGENCE_COLUMNS)
    groups = groups.assign(median=groups["median"].astype(float))
    groups = groups[groups.groupby(keys, sort=False)["group"].transform("size") >= 2]
    if not len(groups):
        return pd.DataFrame(columns=DIVERGENCE_COLUMNS)
    ordered = groups.sort_values([*keys, "median", "group"], ascending=[True, True, True, False, True], kind="stable")
    pairs = pd.Series(list(zip(ordered["group"], ordered["median"], strict=True)), index=ordered.index)
    grouped = ordered.assign(pair=pairs).groupby(keys, sort=False)
    frame = grouped.agg(
        item_code=("item_code", "first"), n_groups=("group", "size"), median_min=("median", "min"),
        median_max=("median", "max"), group_medians=("pair", list),
    ).reset_index()  # fmt: skip
    panel = whole_panel(stats).set_index(keys)["median"]
    index = pd.MultiIndex.from_frame(frame[keys])
    frame["panel_median"] = (
        panel.reindex(index).to_numpy() if panel.index.is_unique else [panel.get(key) for key in index]
    )
    frame["median_range"] = frame["median_max"] - frame["median_min"]
    frame = frame[DIVERGENCE_COLUMNS]
    return frame.sort_values(["round", "median_range", "lineage_root_code"], ascending=[True, False, True]).reset_index(
        drop=True
    )


def latest_divergence(frame: pd.DataFrame, limit: int = 10) -> pd.DataFrame:
    """Each lineage × dimension in the last round it was split by group, the widest ``limit`` first."""
    if not len(frame):
        return frame
    latest = frame.sort_values("round").groupby(["lineage_root_code", "dimension"], sort=False).tail(1)
    return latest.sort_values(["median_range", "round"], ascending=[False, False]).head(limit).reset_index(drop=True)
