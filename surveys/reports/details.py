"""The report's reasons, movement and attrition, built from a :class:`~.source.ReportSource` for
:func:`surveys.reports.data.build_report_data` (pure, like it): see :mod:`.reasons` and
:mod:`.movement` for what each frame means and how anonymity is kept.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence, Set
from typing import Any

import pandas as pd

from surveys.lineage import Lineage
from surveys.stats.participation import RoundParticipation
from surveys.stats.scale import Scale

from . import movement as movement_
from . import reasons as reasons_
from .panel import POOLED
from .sections import suppressed_note
from .source import ReportSource


def build_details(
    source: ReportSource,
    *,
    statistics: pd.DataFrame,
    lineages: Sequence[Lineage],
    item_changes: pd.DataFrame,
    turnout: Sequence[RoundParticipation],
    labels: Mapping[str, str],
    on_panel: Set[int],
    min_group_size: int,
) -> dict[str, Any]:
    """The keyword arguments of :class:`~.data.ReportData` for reasons, movement and attrition."""
    dims = {row["id"]: row for row in source.dimensions}
    dimension_keys = {pk: row["key"] for pk, row in dims.items()}
    dimension_order = {row["key"]: i for i, row in enumerate(source.dimensions)}
    lineage_order = {lin.root_code: i for i, lin in enumerate(lineages)}
    reported = {row["id"]: row["number"] for row in source.rounds if row["status"] == "aggregated"}
    item_codes = {row["id"]: row["code"] for row in source.items}
    parent = {row["id"]: row["replaces_id"] for row in source.items}
    root_codes = {pk: item_codes[_root(pk, parent)] for pk in item_codes}
    whole = statistics[statistics["group"] == ""]
    whole_n = {
        (int(r), c, d): int(n)
        for r, c, d, n in zip(whole["round"], whole["item_code"], whole["dimension"], whole["n"], strict=True)
    }
    bands = {
        pk: (row["key"], (row["agree_low"], row["agree_high"]), (row["disagree_low"], row["disagree_high"]))
        for pk, row in dims.items()
    }
    reasons, reason_counts = reasons_.rationale_frames(
        source.answers,
        whole_n=whole_n,
        round_numbers=reported,
        item_codes=item_codes,
        root_codes=root_codes,
        dimensions=bands,
        lineage_order=lineage_order,
        dimension_order=dimension_order,
        min_group_size=min_group_size,
        languages=source.rationale_languages,
    )
    first_asked: dict[int, int] = {}
    for round_id, item_id, _order in source.round_items:
        if round_id in reported:
            first_asked[item_id] = min(first_asked.get(item_id, reported[round_id]), reported[round_id])
    suggestions = reasons_.suggestions_frame(
        source.suggestions,
        round_numbers={row["id"]: row["number"] for row in source.rounds},
        item_codes=item_codes,
        first_asked=first_asked,
        respondents={p.round_number: p.n_submitted for p in turnout},
        min_group_size=min_group_size,
        note=suppressed_note(min_group_size, answers=True),
    )
    movement = _movement(source, reported, lineages, item_codes, root_codes, dimension_keys)
    label_of = {p["id"]: labels.get(p["group"], POOLED) for p in source.panelists if p["id"] in on_panel}
    n_dims = Counter(item_id for item_id, _ in source.item_dimensions)
    cells: Counter[int] = Counter()
    for round_id, item_id, _order in source.round_items:
        cells[round_id] += n_dims[item_id]
    deciding = [(row["key"], row["label"]) for row in source.dimensions if row.get("is_consensus_dimension", True)]
    return {
        "reasons": reasons,
        "reason_counts": reason_counts,
        "suggestions": suggestions,
        "movement": movement_.order_movement(movement, lineage_order, dimension_order),
        "attrition_causes": movement_.attrition_causes(turnout, label_of, source.answers, cells),
        "convergence_caveat": movement_.convergence_caveat(whole, item_changes, deciding),
    }


def _root(pk: int, parent: Mapping[int, int | None]) -> int:
    seen = {pk}
    while parent.get(pk) is not None and parent[pk] not in seen:
        pk = parent[pk]  # type: ignore[assignment]
        seen.add(pk)
    return pk


def _movement(
    source: ReportSource,
    reported: Mapping[int, int],
    lineages: Sequence[Lineage],
    item_codes: Mapping[int, str],
    root_codes: Mapping[int, str],
    dimension_keys: Mapping[int, str],
) -> pd.DataFrame:
    """The counts the aggregation stored, and those of the rounds it stored none for computed from
    every rating (the selector then reads them all: :func:`.movement.unstored_rounds`)."""
    stored = movement_.stored_movement(
        source.statistics,
        round_numbers=reported,
        item_codes=item_codes,
        root_codes=root_codes,
        dimension_keys=dimension_keys,
    )
    in_order = sorted(reported, key=lambda pk: reported[pk])
    missing = {reported[pk] for pk in movement_.unstored_rounds(source.statistics, in_order)}
    if not missing:
        return stored
    scales = {
        row["key"]: Scale(
            row["scale_min"],
            row["scale_max"],
            (row["agree_low"], row["agree_high"]),
            (row["disagree_low"], row["disagree_high"]),
        )
        for row in source.dimensions
    }
    by_round = {(number, lin.root_code): code for lin in lineages for number, code in lin.codes_by_round.items()}
    answers = [a for a in source.answers if a[0] in reported]
    computed = movement_.computed_movement(
        answers,
        reported=sorted(reported.values()),
        round_numbers=reported,
        item_codes_by_round=by_round,
        root_codes=root_codes,
        dimension_keys=dimension_keys,
        scales=scales,
    )
    computed = computed[computed["round"].isin(missing)]
    return pd.concat([stored, computed], ignore_index=True) if len(stored) else computed.reset_index(drop=True)
