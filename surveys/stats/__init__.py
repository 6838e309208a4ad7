"""The statistics core of Delphi Panel: pure pandas, numpy and scipy, no Django.

DataFrames go in; DataFrames or frozen dataclasses come out. Definitions follow DESIGN.md
("Statistics: exact definitions"): quantiles by linear interpolation (R type 7, numpy
``method="linear"``), sample sd (n − 1), shares in [0, 1]. Each function's docstring states its
formula and its source. "Can't answer" (NaN) is an abstention: excluded from ``n``, counted apart.

Modules: :mod:`.frame` (the ratings frame and its validation), :mod:`.scale`, :mod:`.counts`
(statistics from counts per scale point), :mod:`.descriptive` (:func:`item_statistics`),
:mod:`.rand_ucla`, :mod:`.weighted`, :mod:`.kendall`, :mod:`.stability`, :mod:`.apmo`,
:mod:`.consensus_rule` and :mod:`.consensus` (rules and verdicts), :mod:`.stopping`, :mod:`.summary`.
"""

from __future__ import annotations

from .apmo import apmo
from .consensus import consensus_verdicts, item_decision
from .consensus_rule import ConsensusRule, Criterion, parse_consensus_rule, rule_to_data
from .descriptive import STATISTIC_COLUMNS, is_shown, item_statistics
from .errors import RuleError, StatsInputError
from .frame import validate_ratings
from .kendall import KendallW, kendalls_w, kendalls_w_from_ratings
from .rand_ucla import RandUcla, rand_ucla
from .scale import Scale
from .stability import STABILITY_COLUMNS, quadratic_kappa, stability
from .stopping import StopDecision, StoppingRule, evaluate_stopping, parse_stopping_rule, stopping_rule_to_data
from .summary import RoundSummary, round_summary
from .weighted import weighted_median

__all__ = [
    "STABILITY_COLUMNS",
    "STATISTIC_COLUMNS",
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
    "apmo",
    "consensus_verdicts",
    "evaluate_stopping",
    "is_shown",
    "item_decision",
    "item_statistics",
    "kendalls_w",
    "kendalls_w_from_ratings",
    "parse_consensus_rule",
    "parse_stopping_rule",
    "quadratic_kappa",
    "rand_ucla",
    "round_summary",
    "rule_to_data",
    "stability",
    "stopping_rule_to_data",
    "validate_ratings",
    "weighted_median",
]
