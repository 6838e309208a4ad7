"""Aggregated statistics, replaced in one transaction each time a round is aggregated."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .rounds import Round, RoundItem
from .study import Dimension


class ItemVerdict(models.TextChoices):
    IN = "in", _("Consensus in")
    OUT = "out", _("Consensus out")
    NONE = "none", _("No consensus")
    NO_VERDICT = "", _("No verdict")


class ItemDirection(models.TextChoices):
    """Where the median lies (surveys.stats.direction): the agree band, the disagree band, or between."""

    AGREE = "agree", pgettext_lazy("where the median lies", "Agree")
    NEUTRAL = "neutral", pgettext_lazy("where the median lies", "Neutral")
    DISAGREE = "disagree", pgettext_lazy("where the median lies", "Disagree")
    NONE = "", pgettext_lazy("where the median lies", "No median")


class ItemStatistic(models.Model):
    """Round item × dimension × group (``""`` is the whole panel). See surveys/stats for definitions.

    ``verdict`` is blank when there are no valid ratings, or on a dimension that does not count
    toward consensus (e.g. confidence).
    """

    Verdict = ItemVerdict

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="item_statistics")
    round_item = models.ForeignKey(RoundItem, on_delete=models.CASCADE, related_name="statistics")
    dimension = models.ForeignKey(Dimension, on_delete=models.CASCADE, related_name="statistics")
    group = models.CharField(max_length=80, blank=True, default="")
    n = models.PositiveIntegerField()
    abstentions = models.PositiveIntegerField()
    mean = models.FloatField(null=True)
    sd = models.FloatField(null=True)
    median = models.FloatField(null=True)
    q1 = models.FloatField(null=True)
    q3 = models.FloatField(null=True)
    iqr = models.FloatField(null=True)
    pct_agree = models.FloatField(null=True)
    pct_disagree = models.FloatField(null=True)
    distribution = models.JSONField(default=dict)
    cv = models.FloatField(null=True)
    weighted_median = models.FloatField(null=True)
    median_band = models.CharField(max_length=8, blank=True)
    p30 = models.FloatField(null=True)
    p70 = models.FloatField(null=True)
    ipr = models.FloatField(null=True)
    iprcp = models.FloatField(null=True)
    ai = models.FloatField(null=True)
    ipras = models.FloatField(null=True)
    rand_disagreement = models.BooleanField(default=False)
    verdict = models.CharField(max_length=8, choices=Verdict.choices, blank=True)
    # Stability against the previous round (whole panel only; null in round 1).
    n_paired = models.PositiveIntegerField(null=True)
    wilcoxon_p = models.FloatField(null=True)
    kappa_qw = models.FloatField(null=True)
    pct_unchanged = models.FloatField(null=True)
    scheibe_pct_change = models.FloatField(null=True)
    delta_cv = models.FloatField(null=True)
    is_stable = models.BooleanField(null=True)
    # Beyond consensus (surveys.stats.beyond): uncertainty, the two axes and dissent on every row shown;
    # verdict_confidence and has_consensus only on dimensions that give a verdict.
    median_ci_lo = models.FloatField(null=True)
    median_ci_hi = models.FloatField(null=True)
    pct_agree_ci_lo = models.FloatField(null=True)
    pct_agree_ci_hi = models.FloatField(null=True)
    verdict_confidence = models.FloatField(null=True)
    direction = models.CharField(max_length=8, choices=ItemDirection.choices, blank=True)
    has_consensus = models.BooleanField(null=True)
    agreement_a = models.FloatField(null=True)
    bimodality = models.FloatField(null=True)
    # Whole panel only (null on group rows): differences between the groups shown, the trend across
    # rounds, and herding toward the previous round's median (null in round 1 or for a new item).
    kruskal_p = models.FloatField(null=True)
    epsilon_sq = models.FloatField(null=True)
    trend = models.CharField(max_length=20, blank=True)
    n_toward = models.PositiveIntegerField(null=True)
    n_away = models.PositiveIntegerField(null=True)
    n_stayed = models.PositiveIntegerField(null=True)
    herding_index = models.FloatField(null=True)
    computed_at = models.DateTimeField()

    #: The stability figures stored above, in report order: the one list the aggregation writes and
    #: every report reads (surveys.stats.stability's frame has more columns, e.g. each criterion).
    STABILITY_COLUMNS: ClassVar[tuple[str, ...]] = (
        "n_paired",
        "wilcoxon_p",
        "kappa_qw",
        "pct_unchanged",
        "scheibe_pct_change",
        "delta_cv",
        "is_stable",
    )
    #: The beyond-consensus figures stored above (surveys.stats.BEYOND_COLUMNS), in report order.
    BEYOND_COLUMNS: ClassVar[tuple[str, ...]] = (
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
        "n_toward",
        "n_away",
        "n_stayed",
        "herding_index",
    )

    class Meta:
        ordering = ["round", "round_item__order", "dimension__order", "group"]
        constraints = [
            models.UniqueConstraint(fields=["round_item", "dimension", "group"], name="item_statistic_unique"),
            models.CheckConstraint(
                condition=Q(pct_agree__isnull=True) | Q(pct_agree__gte=0, pct_agree__lte=1),
                name="item_statistic_pct_agree_share",
            ),
            models.CheckConstraint(
                condition=Q(pct_disagree__isnull=True) | Q(pct_disagree__gte=0, pct_disagree__lte=1),
                name="item_statistic_pct_disagree_share",
            ),
            models.CheckConstraint(condition=Q(verdict__in=ItemVerdict.values), name="item_statistic_verdict_valid"),
            models.CheckConstraint(
                condition=Q(verdict_confidence__isnull=True) | Q(verdict_confidence__gte=0, verdict_confidence__lte=1),
                name="item_statistic_verdict_confidence_share",
            ),
            models.CheckConstraint(
                condition=Q(direction__in=ItemDirection.values), name="item_statistic_direction_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round_item} / {self.dimension.key} / {self.group or 'panel'}"


class RoundStatistic(models.Model):
    round = models.OneToOneField(Round, on_delete=models.CASCADE, related_name="statistic")
    n_invited = models.PositiveIntegerField()
    n_submitted = models.PositiveIntegerField()
    response_rate = models.FloatField(null=True)
    apmo = models.FloatField(null=True)
    # Kendall's W per dimension: {dimension_key: {"w", "chi2", "df", "p_value", "m", "n"}}.
    kendall = models.JSONField(default=dict)
    n_in = models.PositiveIntegerField(default=0)
    n_out = models.PositiveIntegerField(default=0)
    n_none = models.PositiveIntegerField(default=0)
    is_stop_met = models.BooleanField(default=False)
    stop_reason = models.CharField(max_length=300, blank=True)
    # Herding pooled over the round's consensus dimensions (surveys.stats.influence_summary): n_items, the
    # counts, herding_index and share_moved_inside; null in round 1.
    influence = models.JSONField(null=True)
    # Did those who left after the previous round rate differently? (surveys.stats.AttritionBias.to_json,
    # with per item x dimension "items"); null in round 1 and for live feedback.
    attrition_bias = models.JSONField(null=True)
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(response_rate__isnull=True) | Q(response_rate__gte=0, response_rate__lte=1),
                name="round_statistic_response_rate_share",
            ),
        ]

    def __str__(self) -> str:
        return f"statistics of {self.round}"


class ItemThemes(models.Model):
    """The argument themes of one round item's rationales in one round (surveys.stats.argument_themes).

    Themes belong to an item and round, not to a dimension or group, so they are one row per round
    item rather than columns of ItemStatistic; replaced with the round's statistics in one transaction.
    ``themes`` is a list, largest first, of ``{"label", "terms", "size", "by_side", "example"}``.
    """

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="item_themes")
    round_item = models.OneToOneField(RoundItem, on_delete=models.CASCADE, related_name="themes")
    n_rationales = models.PositiveIntegerField()
    themes = models.JSONField(default=list)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["round", "round_item__order"]

    def __str__(self) -> str:
        return f"themes of {self.round_item}"
