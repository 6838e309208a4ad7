"""Aggregate a round: every statistic in one vectorised pass, replaced in one transaction.

Idempotent: running it twice, even at once, leaves one consistent set (the round row is locked while
the old statistics are replaced, so the second run waits and replaces the first run's set whole).
"""

from __future__ import annotations

# `# fmt: skip` below keeps the keyword lists that build one statistics row compact, as a table.
import math
import time
from typing import Any

import pandas as pd
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from surveys.errors import DomainError
from surveys.models import Ballot, ItemStatistic, ItemThemes, Rating, Round, RoundItem, RoundStatistic
from surveys.selectors.ratings import (
    lineage_roots,
    round_items_by_root,
    round_participation,
    round_ratings_frame,
    study_scales,
)
from surveys.services.audit import audit_record
from surveys.services.feedback_bands import reason_bands_refresh_after
from surveys.stats import (
    HISTORY_COLUMNS,
    BeyondConsensus,
    apmo,
    beyond_consensus,
    consensus_verdicts,
    evaluate_stopping,
    item_statistics,
    kendalls_w_from_ratings,
    parse_consensus_rule,
    parse_stopping_rule,
    stability,
)

STAT_FIELDS = (
    "n", "abstentions", "mean", "sd", "median", "q1", "q3", "iqr", "pct_agree", "pct_disagree", "distribution",
    "cv", "weighted_median", "median_band", "p30", "p70", "ipr", "iprcp", "ai", "ipras", "rand_disagreement",
)  # fmt: skip
STABILITY_FIELDS = ItemStatistic.STABILITY_COLUMNS  # the stability figures an ItemStatistic stores
BEYOND_FIELDS = ItemStatistic.BEYOND_COLUMNS  # uncertainty, two axes, dissent, trend, herding
TEXT_FIELDS = ("direction", "trend")  # blank, never null, when there is no figure


def _clean(value: Any) -> Any:
    """NaN and numpy scalars become None and plain Python values for the database."""
    if value is None:
        return None
    if isinstance(value, dict):
        return {str(k): int(v) for k, v in value.items()}
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _previous_round(round_: Round) -> Round | None:
    return (
        Round.objects.filter(study_id=round_.study_id, number__lt=round_.number, status=Round.Status.AGGREGATED)
        .order_by("-number")
        .first()
    )


def round_aggregate(*, round: Round, live: bool = False) -> RoundStatistic:
    """Compute and store every statistic of ``round``.

    Final (``live=False``): the round must be closed or already aggregated; it ends ``aggregated``.
    Live (``live=True``): an open round's running feedback; its status does not change.
    """
    round_ = Round.objects.select_related("study").get(pk=round.pk)
    allowed = (Round.Status.OPEN,) if live else (Round.Status.CLOSED, Round.Status.AGGREGATED)
    if round_.status not in allowed:
        raise DomainError(
            f"Round {round_.number} is {round_.status}; "
            + ("live feedback needs an open round." if live else "close it before aggregating.")
        )
    study = round_.study
    scales = study_scales(study)
    rule = parse_consensus_rule(study.consensus_rule)
    frame = round_ratings_frame(round_)
    stats = item_statistics(frame, scales, min_group_size=study.min_group_size, weighted=study.has_expertise_weighting)
    stats["verdict"] = consensus_verdicts(stats, rule, scales)
    # Only dimensions that count toward consensus get a verdict (not, e.g., confidence).
    decisive = {d.key for d in study.dimensions.all() if d.is_consensus_dimension}
    stats.loc[~stats["dimension"].isin(decisive), "verdict"] = ""

    previous = _previous_round(round_)
    stable = pd.DataFrame()
    previous_frame = round_ratings_frame(previous) if previous is not None else None
    if previous_frame is not None:
        stable = stability(previous_frame, frame, scales).set_index(["item", "dimension"])
    whole = stats[(stats["group"] == "") & stats["dimension"].isin(decisive)]
    stable_flags = None
    if previous is not None and len(whole):
        keys = list(zip(whole["item"], whole["dimension"], strict=True))
        stable_flags = [bool(stable["is_stable"].get(k, False)) if len(stable) else False for k in keys]
    decision = evaluate_stopping(
        parse_stopping_rule(study.stopping_rule),
        rounds_completed=round_.number,
        verdicts=list(whole["verdict"]),
        stable=stable_flags,
    )
    kendall = {}
    for key in sorted(frame["dimension"].unique()) if len(frame) else []:
        w = kendalls_w_from_ratings(frame, key, scales)
        kendall[key] = {f: _clean(getattr(w, f)) for f in ("w", "chi2", "df", "p_value", "m", "n")}
    turnout = round_participation(round_)  # submitted ⊆ invited: the response rate stays in [0, 1]
    invited, submitted = turnout.n_invited, turnout.n_submitted
    beyond = beyond_consensus(
        stats, rule, scales, study=study.slug, round_number=round_.number, current=frame, previous=previous_frame,
        stable=stable.reset_index() if len(stable) else None, history=_history(round_),
        submitted=None if live else _submitted(round_), rationales=_rationales(round_), verdict_dimensions=decisive,
        n_resamples=study.bootstrap_resamples,
    )  # fmt: skip
    stats = stats.join(beyond.cells)
    return _store(round_, stats, stable, kendall, apmo(stats), invited, submitted, decision, beyond, live=live)


def _history(round_: Round) -> pd.DataFrame:
    """The stored statistics of the study's earlier aggregated rounds, items by lineage root (for the trend)."""
    roots = lineage_roots(round_.study)
    rows = ItemStatistic.objects.filter(
        round__study_id=round_.study_id, round__number__lt=round_.number, round__status=Round.Status.AGGREGATED
    ).values_list("round__number", "round_item__item_id", "dimension__key", *HISTORY_COLUMNS[3:])
    history = pd.DataFrame(list(rows), columns=HISTORY_COLUMNS)
    history["item"] = history["item"].map(roots)
    return history


def _submitted(round_: Round) -> set[int]:
    """The panelists who submitted the round (those of the previous round who did not, left)."""
    return set(
        Ballot.objects.filter(round=round_, status=Ballot.Status.SUBMITTED).values_list("panelist_id", flat=True)
    )


def _rationales(round_: Round) -> pd.DataFrame:
    """Every written rationale of the round's submitted ballots: panelist, item (lineage root), dimension, value."""
    roots = lineage_roots(round_.study)
    rows = (
        Rating.objects.filter(ballot__round=round_, ballot__status=Ballot.Status.SUBMITTED)
        .exclude(rationale="")
        .values_list("ballot__panelist_id", "round_item__item_id", "dimension__key", "value", "rationale")
    )
    frame = pd.DataFrame(list(rows), columns=["panelist", "item", "dimension", "value", "rationale"])
    frame["item"] = frame["item"].map(roots)
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce").astype(float)
    return frame


def _attrition_json(round_: Round, beyond: BeyondConsensus) -> dict | None:
    """The round's attrition_bias, with its per item × dimension tests named by the previous round's item codes."""
    if beyond.attrition is None:
        return None
    roots = lineage_roots(round_.study)
    codes = {
        roots[pk]: code
        for pk, code in RoundItem.objects.filter(
            round__study_id=round_.study_id, round__number=round_.number - 1
        ).values_list("item_id", "item__code")
    }
    items = [
        {**{k: _clean(v) for k, v in row.items() if k != "item"}, "item": codes.get(row["item"], str(row["item"]))}
        for row in beyond.attrition.items.to_dict("records")
    ]
    return {**beyond.attrition.to_json(), "items": items}


def _empty_rows(round_: Round, present: set[tuple[int, int]], now: Any) -> list[ItemStatistic]:
    """n = 0 and no verdict for every item × dimension of the round that nobody rated at all."""
    rows = []
    for round_item in round_.round_items.prefetch_related("item__dimensions"):
        for dimension in round_item.item.dimensions.all():
            if (round_item.pk, dimension.pk) not in present:
                rows.append(
                    ItemStatistic(
                        round=round_,
                        round_item=round_item,
                        dimension=dimension,
                        group="",
                        n=0,
                        abstentions=0,
                        distribution={},
                        verdict="",
                        computed_at=now,
                    )
                )
    return rows


@transaction.atomic
def _store(
    round_: Round,
    stats: pd.DataFrame,
    stable: pd.DataFrame,
    kendall: dict,
    apmo_value: float,
    invited: int,
    submitted: int,
    decision: Any,
    beyond: BeyondConsensus,
    *,
    live: bool,
) -> RoundStatistic:
    round_ = Round.objects.select_for_update().select_related("study").get(pk=round_.pk)
    now = timezone.now()
    by_root = round_items_by_root(round_)
    dimensions = {d.key: d for d in round_.study.dimensions.all()}
    rows = []
    beyond_fields = stats[list(BEYOND_FIELDS)].astype(object)  # NaN → None for the whole block at once
    beyond_fields = beyond_fields.where(beyond_fields.notna(), None).to_dict("records")
    for record, figures in zip(stats.to_dict("records"), beyond_fields, strict=True):
        round_item = by_root[int(record["item"])]
        fields = {f: _clean(record.get(f)) for f in STAT_FIELDS}
        fields["rand_disagreement"] = bool(fields["rand_disagreement"])
        fields["median_band"] = fields["median_band"] or ""
        fields.update(figures)
        fields.update({f: fields[f] or "" for f in TEXT_FIELDS})
        if record["group"] == "" and len(stable):
            extra = (
                stable.loc[(record["item"], record["dimension"])]
                if (record["item"], record["dimension"]) in stable.index
                else None
            )
            if extra is not None:
                fields.update({f: _clean(extra.get(f)) for f in STABILITY_FIELDS})
        rows.append(
            ItemStatistic(
                round=round_,
                round_item=round_item,
                dimension=dimensions[record["dimension"]],
                group=record["group"],
                verdict=record["verdict"] or "",
                computed_at=now,
                **fields,
            )
        )
    rows += _empty_rows(round_, {(r.round_item_id, r.dimension_id) for r in rows if r.group == ""}, now)
    ItemStatistic.objects.filter(round=round_).delete()
    ItemStatistic.objects.bulk_create(rows, batch_size=1000)
    _store_themes(round_, by_root, beyond, now)
    if settings.DELPHI_FAULT_AGGREGATE_SLEEP_S:  # fault injection for tests/test_worker_faults.py only
        time.sleep(settings.DELPHI_FAULT_AGGREGATE_SLEEP_S)  # the new rows written, not yet committed
    decisive = {key for key, d in dimensions.items() if d.is_consensus_dimension}
    whole = stats[(stats["group"] == "") & stats["dimension"].isin(decisive)]
    counts = whole["verdict"].value_counts()
    summary, _ = RoundStatistic.objects.update_or_create(
        round=round_,
        defaults={
            "n_invited": invited, "n_submitted": submitted,
            "response_rate": submitted / invited if invited else None,
            "apmo": _clean(apmo_value), "kendall": kendall,
            "n_in": int(counts.get("in", 0)), "n_out": int(counts.get("out", 0)), "n_none": int(counts.get("none", 0)),
            "is_stop_met": bool(decision.is_met), "stop_reason": decision.reason, "computed_at": now,
            "influence": beyond.influence, "attrition_bias": _attrition_json(round_, beyond),
        },
    )  # fmt: skip
    if not live:
        round_.move_to(Round.Status.AGGREGATED)
        round_.aggregated_at = now
        round_.save(update_fields=["status", "aggregated_at"])
        reason_bands_refresh_after(round_)  # a later open round's feedback bands may come from these statistics
        audit_record(study=round_.study, action="round.aggregated", round=round_, items=len(by_root), rows=len(rows))
    return summary


def _store_themes(round_: Round, by_root: dict, beyond: BeyondConsensus, now: Any) -> None:
    """Replace the round's argument themes: one ItemThemes row per round item with rationales."""
    ItemThemes.objects.filter(round=round_).delete()
    rows = []
    for root, themes in beyond.themes.groupby("item", sort=True):
        if int(root) in by_root:
            listed = themes[["label", "terms", "size", "by_side", "example"]].to_dict("records")
            listed = [{**theme, "size": int(theme["size"])} for theme in listed]
            rows.append(
                ItemThemes(
                    round=round_,
                    round_item=by_root[int(root)],
                    n_rationales=sum(t["size"] for t in listed),
                    themes=listed,
                    computed_at=now,
                )
            )
    ItemThemes.objects.bulk_create(rows)
