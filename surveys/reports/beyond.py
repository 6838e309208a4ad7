"""The beyond-consensus figures as the report formats write them (issue "Beyond consensus").

The aggregation stores them (:mod:`surveys.stats.beyond`, :class:`~surveys.models.ItemStatistic`,
``RoundStatistic.influence`` / ``attrition_bias``, :class:`~surveys.models.ItemThemes`); this module
only names and arranges them:

- :func:`cell_figures`: one statistics row's figures under the issue's names (``median_ci`` and
  ``pct_agree_ci`` as ``[lo, hi]``, ``verdict_confidence``, ``direction``, ``has_consensus``,
  ``agreement_a``, ``bimodality``, and on whole-panel rows ``kruskal_p``, ``epsilon_sq``, ``trend``,
  ``n_toward``, ``n_away``, ``n_stayed``, ``herding_index``); :data:`NULL_FIGURES` is the same
  shape, all null, for a suppressed cell;
- :func:`build_beyond`: the reported rounds' ``influence``, ``attrition_bias`` and the items'
  ``themes`` (label, terms, size, by_side, example), from the rows the selector read.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .source import ReportSource

#: The issue's names, in report order; intervals are pairs of stored columns.
INTERVALS = {"median_ci": ("median_ci_lo", "median_ci_hi"), "pct_agree_ci": ("pct_agree_ci_lo", "pct_agree_ci_hi")}
SINGLE = (
    "verdict_confidence",
    "direction",
    "has_consensus",
    "agreement_a",
    "bimodality",
    "kruskal_p",
    "epsilon_sq",
    "trend",
    "n_toward",
    "n_away",
    "n_stayed",
    "herding_index",
)
NULL_FIGURES: dict[str, Any] = {**dict.fromkeys(INTERVALS), **dict.fromkeys(SINGLE)}
THEME_KEYS = ("label", "terms", "size", "by_side", "example")


def _plain(value: Any) -> Any:
    """None for a missing figure or an empty label; numpy scalars as Python values."""
    if value is None or value == "":
        return None
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if type(value).__name__ == "NAType":
        return None
    return value


def cell_figures(record: Mapping[str, Any]) -> dict[str, Any]:
    """A statistics row's beyond-consensus figures under the issue's names (module docstring).

    An interval is ``[lo, hi]``, or null when either end is missing; a missing figure is null."""
    out: dict[str, Any] = {}
    for name, (lo, hi) in INTERVALS.items():
        ends = (_plain(record.get(lo)), _plain(record.get(hi)))
        out[name] = list(ends) if None not in ends else None
    for name in SINGLE:
        value = _plain(record.get(name))
        out[name] = int(value) if name.startswith("n_") and value is not None else value
    return out


@dataclass(frozen=True)
class Beyond:
    """The reported rounds' stored ``influence`` and ``attrition_bias`` (by round number, None where
    not stored), and the argument themes: one row per reported round × item with themes
    (``round``, ``item_code``, ``lineage_root_code``, ``n_rationales``, ``themes``)."""

    influence: Mapping[int, Any] = field(default_factory=dict)
    attrition_bias: Mapping[int, Any] = field(default_factory=dict)
    themes: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(
            columns=["round", "item_code", "lineage_root_code", "n_rationales", "themes"]
        )
    )

    def item_themes(self, root_code: str) -> list[dict[str, Any]]:
        """One lineage's themes per reported round: ``[{"round", "item_code", "n_rationales", "themes"}]``."""
        rows = self.themes[self.themes["lineage_root_code"] == root_code]
        return [
            {"round": int(r), "item_code": code, "n_rationales": int(n), "themes": themes}
            for r, code, n, themes in rows[["round", "item_code", "n_rationales", "themes"]].itertuples(
                index=False, name=None
            )
        ]


def build_beyond(source: ReportSource, *, root_codes: Mapping[int, str], reported: set[int]) -> Beyond:
    """:class:`Beyond` from ``source``, for the reported (aggregated) rounds only."""
    numbers = {row["id"]: row["number"] for row in source.rounds}
    codes = {row["id"]: row["code"] for row in source.items}
    rows = [
        {
            "round": numbers[t["round_id"]],
            "item_code": codes[t["item_id"]],
            "lineage_root_code": root_codes[t["item_id"]],
            "n_rationales": int(t["n_rationales"]),
            "themes": [{key: theme.get(key) for key in THEME_KEYS} for theme in t["themes"] or []],
        }
        for t in source.themes
        if numbers.get(t["round_id"]) in reported and t["item_id"] in codes
    ]
    themes = pd.DataFrame(rows, columns=["round", "item_code", "lineage_root_code", "n_rationales", "themes"])
    themes = themes.sort_values(["lineage_root_code", "round"], kind="stable").reset_index(drop=True)
    by_round = [row for row in source.rounds if row["number"] in reported]
    return Beyond(
        influence={row["number"]: row.get("stat_influence") for row in by_round},
        attrition_bias={row["number"]: row.get("stat_attrition_bias") for row in by_round},
        themes=themes,
    )
