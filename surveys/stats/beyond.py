"""Beyond consensus: every new figure of a round in one call, from the frames the aggregation builds.

:func:`beyond_consensus` composes the pure statistics of this package; it adds no formula of its
own (each figure's definition and source is in its module):

- per item × dimension × group row of the round's statistics table (:data:`BEYOND_COLUMNS`):
  ``median_ci_lo``/``_hi``, ``pct_agree_ci_lo``/``_hi``, ``verdict_confidence``
  (:mod:`.uncertainty`), ``direction``, ``has_consensus`` (:mod:`.direction`), ``agreement_a``,
  ``bimodality`` (:mod:`.dissent`); and on the whole-panel rows only ``kruskal_p``, ``epsilon_sq``
  (:func:`~surveys.stats.dissent.group_differences`, over the groups shown), ``trend``
  (:mod:`.trend`) and ``n_toward``, ``n_away``, ``n_stayed``, ``herding_index`` (:mod:`.influence`);
- per round: ``influence`` (:func:`~surveys.stats.influence_summary` over the dimensions that give a
  verdict) and ``attrition_bias`` (:mod:`.attrition`);
- per item: ``themes`` (:mod:`.themes`), from the rationales of the dimensions that give a verdict.

Anonymity: the figures are computed on the rows of ``stats`` only, i.e. on the groups shown
(:func:`~surveys.stats.is_shown`); a suppressed group has no row and so no figure, and never enters
Kruskal–Wallis. On a dimension that gives no verdict (e.g. confidence) ``verdict_confidence`` and
``has_consensus`` are missing.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .attrition import AttritionBias, attrition_bias
from .consensus_rule import ConsensusRule
from .direction import two_axes
from .dissent import DISSENT_COLUMNS, dissent_statistics, group_differences
from .influence import influence, influence_summary
from .scale import Scale
from .themes import argument_themes, rationale_sides
from .trend import trend
from .uncertainty import UNCERTAINTY_COLUMNS, bootstrap_seed, bootstrap_uncertainty

BEYOND_COLUMNS = [
    *UNCERTAINTY_COLUMNS,
    "direction",
    "has_consensus",
    *DISSENT_COLUMNS,
    "kruskal_p",
    "epsilon_sq",
    "trend",
    "n_toward",
    "n_away",
    "n_stayed",
    "herding_index",
]
#: The columns of a round's statistics a later round's trend reads (with ``round``).
HISTORY_COLUMNS = [
    "round",
    "item",
    "dimension",
    "group",
    "n",
    "median",
    "iqr",
    "verdict",
    *DISSENT_COLUMNS,
    "is_stable",
]
HERDING = ["n_toward", "n_away", "n_stayed", "herding_index"]


@dataclass(frozen=True)
class BeyondConsensus:
    """A round's new figures: ``cells`` aligned to the statistics table's index (:data:`BEYOND_COLUMNS`),
    the round's ``influence`` and ``attrition`` (None in round 1; attrition also None when who
    submitted is not known yet), and ``themes`` (:data:`~surveys.stats.THEME_COLUMNS`)."""

    cells: pd.DataFrame
    influence: dict[str, Any] | None
    attrition: AttritionBias | None
    themes: pd.DataFrame


def beyond_consensus(
    stats: pd.DataFrame,
    rule: ConsensusRule,
    scales: Mapping[str, Scale],
    *,
    study: str | int,
    round_number: int,
    current: pd.DataFrame,
    previous: pd.DataFrame | None = None,
    stable: pd.DataFrame | None = None,
    history: pd.DataFrame | None = None,
    submitted: Collection[Any] | None = None,
    rationales: pd.DataFrame | None = None,
    verdict_dimensions: Collection[str] | None = None,
    n_resamples: int = 2000,
) -> BeyondConsensus:
    """The round's new figures (module docstring).

    ``stats`` is the round's :func:`~surveys.stats.item_statistics` table with its ``verdict``
    column (``""`` where the dimension gives none); ``current`` and ``previous`` are the two rounds'
    ratings frames (items named by lineage root); ``stable`` is :func:`~surveys.stats.stability`'s
    table against ``previous``; ``history`` holds the earlier rounds' statistics
    (:data:`HISTORY_COLUMNS`); ``submitted`` the panelists who submitted this round (for attrition;
    None for live feedback); ``rationales`` one row per rating with a rationale (``item``,
    ``dimension``, ``value``, ``rationale``, and ``panelist`` for validation). The bootstrap is
    seeded from ``study`` (slug or id) and ``round_number``; ``n_resamples`` is B.
    """
    verdicts = set(verdict_dimensions) if verdict_dimensions is not None else set(scales)
    cells = pd.DataFrame(index=stats.index, columns=BEYOND_COLUMNS, dtype=object)
    seed = bootstrap_seed(study, round_number)
    uncertainty = bootstrap_uncertainty(
        stats, rule, scales, seed=seed, n_resamples=n_resamples, verdict_dimensions=verdicts
    )
    cells[UNCERTAINTY_COLUMNS] = uncertainty
    axes = two_axes(stats, rule, scales) if len(stats) else pd.DataFrame(columns=["direction", "has_consensus"])
    cells["direction"] = axes["direction"]
    cells["has_consensus"] = axes["has_consensus"].astype(object).where(stats["dimension"].isin(verdicts), None)
    dissent = dissent_statistics(stats, scales)
    cells[DISSENT_COLUMNS] = dissent
    panel = stats["group"] == ""
    _panel_figures(cells, stats, panel, group_differences(stats, scales), ["kruskal_p", "epsilon_sq"])
    summary = None
    if previous is not None and len(previous) and len(current):
        herding = influence(previous, current, scales)
        summary = influence_summary(herding, dimensions=verdicts)
        herding = herding.astype({column: object for column in HERDING})
        herding.loc[herding["n_paired"] == 0, HERDING] = None  # an item new in this round: no movement to count
        _panel_figures(cells, stats, panel, herding, HERDING)
    this_round = stats.assign(round=round_number, agreement_a=dissent["agreement_a"], bimodality=dissent["bimodality"])
    this_round["is_stable"] = _stable_flags(stats, stable)
    past = history[HISTORY_COLUMNS] if history is not None and len(history) else None
    trajectory = pd.concat([past, this_round[HISTORY_COLUMNS]], ignore_index=True) if past is not None else this_round
    if len(stats):
        _panel_figures(cells, stats, panel, trend(trajectory[HISTORY_COLUMNS], scales), ["trend"])
    cells["trend"] = cells["trend"].where(panel, "").fillna("")
    attrition = None
    if previous is not None and submitted is not None and len(previous):
        attrition = attrition_bias(previous, submitted, scales)
    themes = _themes(rationales, scales, verdicts)
    return BeyondConsensus(cells=cells, influence=summary, attrition=attrition, themes=themes)


def _panel_figures(
    cells: pd.DataFrame, stats: pd.DataFrame, panel: pd.Series, table: pd.DataFrame, columns: list[str]
) -> None:
    """Copy ``columns`` of a per item × dimension ``table`` onto the whole-panel rows of ``cells``."""
    if not len(table):
        return
    keyed = table.set_index(["item", "dimension"])[columns]
    keys = pd.MultiIndex.from_arrays([stats.loc[panel, "item"], stats.loc[panel, "dimension"].astype(str)])
    found = keyed.reindex(keys)
    present = keys.isin(keyed.index)
    rows = stats.index[panel.to_numpy()][present]
    cells.loc[rows, columns] = found[present].to_numpy(dtype=object)


def _stable_flags(stats: pd.DataFrame, stable: pd.DataFrame | None) -> list[Any]:
    """``is_stable`` of each row's item × dimension against the previous round (whole panel), else None."""
    if stable is None or not len(stable):
        return [None] * len(stats)
    table = stable.reset_index() if "item" not in stable.columns else stable
    flags = dict(zip(zip(table["item"], table["dimension"].astype(str), strict=True), table["is_stable"], strict=True))
    keys = zip(stats["item"], stats["dimension"].astype(str), strict=True)
    return [flags.get(key) for key in keys]


def _themes(rationales: pd.DataFrame | None, scales: Mapping[str, Scale], verdicts: set[str]) -> pd.DataFrame:
    """Argument themes of each item's rationales on the dimensions that give a verdict, sides from the ratings."""
    if rationales is None or not len(rationales):
        return argument_themes(pd.DataFrame({"item": [], "rationale": [], "side": []}))
    chosen = rationales[rationales["dimension"].astype(str).isin(verdicts)].reset_index(drop=True)
    if not len(chosen):
        return argument_themes(pd.DataFrame({"item": [], "rationale": [], "side": []}))
    framed = chosen.assign(group="", weight=1.0)
    if "panelist" not in framed.columns:
        framed["panelist"] = np.arange(len(framed))
    sides = rationale_sides(framed[["panelist", "item", "dimension", "value", "group", "weight"]], scales)
    return argument_themes(pd.DataFrame({"item": chosen["item"], "rationale": chosen["rationale"], "side": sides}))
