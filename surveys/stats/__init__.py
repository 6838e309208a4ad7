"""The statistics core of Delphi Panel: pure pandas, numpy and scipy, no Django.

DataFrames go in; DataFrames or frozen dataclasses come out. Definitions follow DESIGN.md
("Statistics: exact definitions"): quantiles by linear interpolation (R type 7, numpy
``method="linear"``), sample sd (n − 1), shares in [0, 1]. Each function's docstring states its
formula and its source. "Can't answer" (NaN) is an abstention: excluded from ``n``, counted apart.

Modules: :mod:`.frame` (the ratings frame and its validation), :mod:`.scale`, :mod:`.counts`
(statistics from counts per scale point), :mod:`.descriptive` (:func:`item_statistics`),
:mod:`.rand_ucla`, :mod:`.weighted`, :mod:`.kendall`, :mod:`.stability`, :mod:`.apmo`,
:mod:`.consensus_rule` and :mod:`.consensus` (rules and verdicts), :mod:`.stopping`, :mod:`.summary`,
:mod:`.influence` (herding), :mod:`.attrition` (attrition bias), :mod:`.themes` (argument themes),
:mod:`.uncertainty`, :mod:`.resampling` and :mod:`.exact_shares` (bootstrap intervals, verdict confidence),
:mod:`.direction` (direction and consensus on two axes), :mod:`.dissent` (agreement A, bimodality,
Kruskal–Wallis), :mod:`.trend`, :mod:`.beyond` (all of the above for one round, as the aggregation
stores them).
"""

from __future__ import annotations

from .apmo import apmo
from .attrition import ATTRITION_COLUMNS, AttritionBias, attrition_bias
from .beyond import BEYOND_COLUMNS, HISTORY_COLUMNS, BeyondConsensus, beyond_consensus
from .consensus import consensus_verdicts, item_decision
from .consensus_rule import ConsensusRule, Criterion, parse_consensus_rule, rule_to_data
from .descriptive import STATISTIC_COLUMNS, is_shown, item_statistics
from .direction import DIRECTIONS, direction, has_consensus, two_axes
from .dissent import (
    DISSENT_COLUMNS,
    GROUP_DIFFERENCE_COLUMNS,
    agreement_a,
    bimodality,
    dissent_statistics,
    group_differences,
    kruskal_from_counts,
)
from .errors import RuleError, StatsInputError
from .frame import validate_ratings
from .influence import INFLUENCE_COLUMNS, influence, influence_summary
from .kendall import KendallW, kendalls_w, kendalls_w_from_ratings
from .rand_ucla import RandUcla, rand_ucla
from .scale import Scale
from .stability import STABILITY_TABLE_COLUMNS, quadratic_kappa, stability
from .stopping import StopDecision, StoppingRule, evaluate_stopping, parse_stopping_rule, stopping_rule_to_data
from .summary import RoundSummary, round_summary
from .themes import SIDES, THEME_COLUMNS, argument_themes, embeddings_available, rationale_sides, theme_members
from .trend import TREND_COLUMNS, TREND_SENTENCES, TRENDS, trend
from .uncertainty import UNCERTAINTY_COLUMNS, bootstrap_seed, bootstrap_uncertainty, median_interval, share_interval
from .weighted import WEIGHTED_FIGURES, weighted_median

__all__ = [
    "ATTRITION_COLUMNS",
    "BEYOND_COLUMNS",
    "DIRECTIONS",
    "DISSENT_COLUMNS",
    "GROUP_DIFFERENCE_COLUMNS",
    "HISTORY_COLUMNS",
    "INFLUENCE_COLUMNS",
    "SIDES",
    "STABILITY_TABLE_COLUMNS",
    "STATISTIC_COLUMNS",
    "THEME_COLUMNS",
    "TRENDS",
    "TREND_COLUMNS",
    "TREND_SENTENCES",
    "UNCERTAINTY_COLUMNS",
    "WEIGHTED_FIGURES",
    "AttritionBias",
    "BeyondConsensus",
    "ConsensusRule",
    "Criterion",
    "KendallW",
    "RandUcla",
    "RoundSummary",
    "RuleError",
    "Scale",
    "StatsInputError",
    "StopDecision",
    "StoppingRule",
    "agreement_a",
    "apmo",
    "argument_themes",
    "attrition_bias",
    "beyond_consensus",
    "bimodality",
    "bootstrap_seed",
    "bootstrap_uncertainty",
    "consensus_verdicts",
    "direction",
    "dissent_statistics",
    "embeddings_available",
    "evaluate_stopping",
    "group_differences",
    "has_consensus",
    "influence",
    "influence_summary",
    "is_shown",
    "item_decision",
    "item_statistics",
    "kendalls_w",
    "kendalls_w_from_ratings",
    "kruskal_from_counts",
    "median_interval",
    "parse_consensus_rule",
    "parse_stopping_rule",
    "quadratic_kappa",
    "rand_ucla",
    "rationale_sides",
    "round_summary",
    "rule_to_data",
    "share_interval",
    "stability",
    "stopping_rule_to_data",
    "theme_members",
    "trend",
    "two_axes",
    "validate_ratings",
    "weighted_median",
]
