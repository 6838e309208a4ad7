"""Reads for the consensus report: one study's rows in a constant number of queries.

The number of queries does not depend on the number of items, rounds or panelists (a test pins
it). Panelists are read without their email address or name, so no report can show them.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Count, F, Max, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone, translation

from surveys.models import (
    AuditEvent,
    Ballot,
    DeliveryLog,
    Dimension,
    ItemStatistic,
    Panelist,
    ReportJob,
    Round,
    RoundItem,
    RoundStatistic,
    Study,
    Suggestion,
)
from surveys.reports.data import ReportData, build_report_data
from surveys.reports.language import supported
from surveys.reports.movement import unstored_rounds
from surveys.reports.source import AUDIT_ACTIONS, PANELIST_FIELDS, ReportSource
from surveys.selectors.report_rows import answers_read, items_read, localize_source

STUDY_FIELDS = (
    "id",
    "slug",
    "title",
    "description",
    "source_citation",
    "status",
    "consensus_rule",
    "consensus_rule_frozen_at",
    "stopping_rule",
    "min_group_size",
    "is_report_public",
    "default_language",
    "translations",  # study content in other languages: report_rows.localize_source
)
DIMENSION_FIELDS = (
    "id",
    "key",
    "label",
    "question",
    "scale_min",
    "scale_max",
    "agree_low",
    "agree_high",
    "disagree_low",
    "disagree_high",
    "is_consensus_dimension",
    "order",
    "translations",
)
ROUND_STAT_FIELDS = (
    "n_invited",
    "n_submitted",
    "response_rate",
    "apmo",
    "kendall",
    "n_in",
    "n_out",
    "n_none",
    "is_stop_met",
    "stop_reason",
    "computed_at",
    "influence",
    "attrition_bias",
)
ITEM_STAT_FIELDS = (
    "group",
    "n",
    "abstentions",
    "mean",
    "sd",
    "median",
    "q1",
    "q3",
    "iqr",
    "pct_agree",
    "pct_disagree",
    "distribution",
    "cv",
    "weighted_median",
    "median_band",
    "p30",
    "p70",
    "ipr",
    "iprcp",
    "ai",
    "ipras",
    "rand_disagreement",
    "verdict",
    "n_paired",
    "wilcoxon_p",
    "kappa_qw",
    "pct_unchanged",
    "scheibe_pct_change",
    "delta_cv",
    "is_stable",
    # beyond consensus (reports.sections.BEYOND_COLUMNS; n_toward, n_away, n_stayed as MOVEMENT_FIELDS)
    "median_ci_lo",
    "median_ci_hi",
    "pct_agree_ci_lo",
    "pct_agree_ci_hi",
    "verdict_confidence",
    "direction",
    "has_consensus",
    "agreement_a",
    "bimodality",
    "kruskal_p",
    "epsilon_sq",
    "trend",
    "herding_index",
)
#: Movement toward the previous median, when the aggregation stores it (surveys.reports.movement
#: computes it from the ratings otherwise).
MOVEMENT_FIELDS = ("n_toward", "n_away", "n_stayed")
SUGGESTION_FIELDS = (
    "id",
    "round_id",
    "kind",
    "text",
    "status",
    "prompt_item_id",
    "target_item_id",
    "created_item_id",
    "created_at",
)


def _stored_movement() -> tuple[str, ...]:
    try:
        for name in MOVEMENT_FIELDS:
            ItemStatistic._meta.get_field(name)
    except FieldDoesNotExist:
        return ()
    return MOVEMENT_FIELDS


def _reminders_sent() -> Subquery:
    sent = DeliveryLog.objects.filter(
        round=OuterRef("pk"), kind=DeliveryLog.Kind.REMINDER, status=DeliveryLog.Status.SENT
    )
    return Subquery(sent.order_by().values("round").annotate(n=Count("pk")).values("n")[:1])


def report_source(study: Study, *, with_ratings: bool = False) -> ReportSource:
    """The rows of ``study`` a report is built from (11 queries, with or without the raw ratings)."""
    rounds = [
        {
            **{k: v for k, v in row.items() if not k.startswith("statistic__")},
            **{f"stat_{f}": row[f"statistic__{f}"] for f in ROUND_STAT_FIELDS},
        }
        for row in Round.objects.filter(study=study)
        .order_by("number")
        .annotate(reminders_sent=Coalesce(_reminders_sent(), 0))
        .values(
            "id",
            "number",
            "status",
            "opened_at",
            "closed_at",
            "aggregated_at",
            "reminders_sent",
            *(f"statistic__{f}" for f in ROUND_STAT_FIELDS),
        )
    ]
    aggregated = [r["id"] for r in rounds if r["status"] == Round.Status.AGGREGATED]
    movement = _stored_movement()
    statistics = list(
        ItemStatistic.objects.filter(round_id__in=aggregated)
        .annotate(item_id=F("round_item__item_id"))
        .values("round_id", "item_id", "dimension_id", *ITEM_STAT_FIELDS, *movement)
    )
    answers, languages = answers_read(
        aggregated, every_rating=with_ratings or bool(unstored_rounds(statistics, aggregated))
    )
    items, item_dimensions = items_read(study)
    # The round items with their argument themes (ItemThemes, one per round item) in the same query.
    round_items = list(
        RoundItem.objects.filter(round__study=study)
        .order_by("round__number", "order")
        .values_list("round_id", "item_id", "order", "themes__n_rationales", "themes__themes")
    )
    return ReportSource(
        study=Study.objects.filter(pk=study.pk).values(*STUDY_FIELDS).get(),
        dimensions=list(Dimension.objects.filter(study=study).order_by("order", "key").values(*DIMENSION_FIELDS)),
        items=items,
        item_dimensions=item_dimensions,
        rounds=rounds,
        round_items=[row[:3] for row in round_items],
        statistics=statistics,
        panelists=list(Panelist.objects.filter(study=study).order_by("pseudonym").values(*PANELIST_FIELDS)),
        ballots=list(Ballot.objects.filter(round__study=study).values_list("round_id", "panelist_id", "status")),
        audit=list(
            AuditEvent.objects.filter(study=study, action__in=AUDIT_ACTIONS)
            .order_by("created_at", "id")
            .values("action", "round_id", "item_id", "detail", "created_at")
        ),
        generated_at=timezone.now(),
        ratings=answers if with_ratings else None,
        answers=answers,
        suggestions=list(
            Suggestion.objects.filter(study=study)
            .order_by("round__number", "created_at", "id")
            .values(*SUGGESTION_FIELDS)
        ),
        themes=[
            {"round_id": r, "item_id": i, "n_rationales": n, "themes": themes}
            for r, i, _, n, themes in round_items
            if n is not None
        ],
        rationale_languages=languages,
    )


def report_data(study: Study, *, with_ratings: bool = False) -> ReportData:
    """The report of ``study`` in the active language: its rows read once, its study content in that
    language (:func:`~surveys.selectors.report_rows.localize_source`), built into one :class:`ReportData`."""
    source = report_source(study, with_ratings=with_ratings)
    return build_report_data(localize_source(source, supported(translation.get_language())))


def report_study_by_slug(slug: str) -> Study | None:
    return Study.objects.filter(slug=slug).first()


def report_jobs_latest(study: Study, language: str | None = None) -> dict[str, ReportJob]:
    """The newest job of each format for ``study``, of one report ``language`` if given (one query)."""
    jobs = (
        ReportJob.objects.filter(study=study)
        if language is None
        else ReportJob.objects.filter(study=study, language=language)
    )
    newest = jobs.filter(format=OuterRef("format")).order_by("-created_at", "-id").values("id")[:1]
    return {job.format: job for job in jobs.filter(id=Subquery(newest))}


def report_changed_at(study: Study) -> datetime:
    """When the report's content last changed: the latest aggregation, audit event, new panelist or
    edit of the study. A report file built after it is still current."""
    moments = [
        study.updated_at,
        RoundStatistic.objects.filter(round__study=study).aggregate(at=Max("computed_at"))["at"],
        AuditEvent.objects.filter(study=study).aggregate(at=Max("created_at"))["at"],
        Panelist.objects.filter(study=study).aggregate(at=Max("created_at"))["at"],
    ]
    return max(m for m in moments if m is not None)
