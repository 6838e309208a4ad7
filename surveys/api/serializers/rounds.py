"""Rounds, their items and statistics, as the facilitator reads and drives them."""

from __future__ import annotations

from datetime import datetime, tzinfo

from django.db import models
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from surveys.api.fields import FiniteFloatField
from surveys.api.serializers.study_file import ITEM_TEXT_MAX
from surveys.deadlines import aware_in_zone, zone_info
from surveys.errors import DomainError
from surveys.models import ItemStatistic, Round, RoundItem, RoundStatistic

CODES_MAX = 2000


class FiniteModelSerializer(serializers.ModelSerializer):
    """Model floats render NaN and infinity as null (strict JSON has neither)."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.FloatField: FiniteFloatField,
    }


class RoundStatisticSerializer(FiniteModelSerializer):
    class Meta:
        model = RoundStatistic
        fields = [
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
            "influence",
            "attrition_bias",
            "computed_at",
        ]
        read_only_fields = fields


class RoundSerializer(serializers.ModelSerializer):
    n_items = serializers.IntegerField(read_only=True)
    n_submitted = serializers.IntegerField(read_only=True)
    n_drafts = serializers.IntegerField(read_only=True)
    statistic = serializers.SerializerMethodField()

    class Meta:
        model = Round
        fields = [
            "number",
            "status",
            "opens_at",
            "closes_at",
            "opened_at",
            "closed_at",
            "aggregated_at",
            "is_live_feedback",
            "n_items",
            "n_submitted",
            "n_drafts",
            "statistic",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(RoundStatisticSerializer(allow_null=True))
    def get_statistic(self, round_: Round) -> dict[str, object] | None:
        statistic = getattr(round_, "statistic", None)
        return RoundStatisticSerializer(statistic).data if statistic is not None else None


class DeadlineField(serializers.DateTimeField):
    """A deadline in ISO 8601. With an offset (``2026-12-16T18:00+01:00``) or ``Z`` it is that instant;
    without one it is a wall time in the study's zone (``context["time_zone"]``, e.g. ``Europe/Paris``),
    and a wall time that zone skips or repeats when its clocks change is refused. Stored (and read back) in UTC."""

    def default_timezone(self) -> tzinfo:
        return zone_info(self.context.get("time_zone"))

    def enforce_timezone(self, value: datetime) -> datetime:
        if timezone.is_naive(value):  # DRF alone would let a skipped wall time (a DST gap) through
            try:
                value = aware_in_zone(value, self.context.get("time_zone"))
            except DomainError as exc:
                raise serializers.ValidationError(str(exc)) from exc
        return super().enforce_timezone(value)


DEADLINE_HELP = "The deadline: with an offset (or Z) that instant; without one, a time in the study's zone."


class RoundCreateSerializer(serializers.Serializer):
    items = serializers.ListField(
        child=serializers.CharField(max_length=16),
        max_length=CODES_MAX,
        required=False,
        help_text="Item codes in the order asked; every item of the study when left out.",
    )
    closes_at = DeadlineField(required=False, allow_null=True, help_text=DEADLINE_HELP)


class RoundNextSerializer(serializers.Serializer):
    drop = serializers.ListField(child=serializers.CharField(max_length=16), max_length=CODES_MAX, required=False)
    add = serializers.ListField(child=serializers.CharField(max_length=16), max_length=CODES_MAX, required=False)
    closes_at = DeadlineField(required=False, allow_null=True, help_text=DEADLINE_HELP)


class RoundOpenSerializer(serializers.Serializer):
    closes_at = DeadlineField(
        required=False, allow_null=True, help_text=f"Sets the deadline when given. {DEADLINE_HELP}"
    )
    send_invitations = serializers.BooleanField(
        default=False, help_text="Email every expert a new personal link once the round is open."
    )
    allow_fallback = serializers.BooleanField(
        default=False,
        help_text=(
            "Open although a declared language lacks translations of the round's content: experts reading it "
            "then see the default language there, marked. Without it such a round is refused (409, code "
            "translations_missing, naming each missing field)."
        ),
    )


class DeadlineSerializer(serializers.Serializer):
    closes_at = DeadlineField(allow_null=True, help_text=f"The new deadline, or null for none. {DEADLINE_HELP}")


class QueuedSerializer(serializers.Serializer):
    detail = serializers.CharField()


class RoundItemSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="item.code", read_only=True)
    kind = serializers.CharField(source="item.kind", read_only=True)
    text = serializers.CharField(source="item.text", read_only=True)
    replaces = serializers.SerializerMethodField(help_text="The code of the item this one rewords, if any.")

    class Meta:
        model = RoundItem
        fields = ["code", "kind", "text", "replaces", "order"]
        read_only_fields = fields

    def get_replaces(self, round_item: RoundItem) -> str | None:
        replaced = round_item.item.replaces
        return replaced.code if replaced is not None else None


class RoundItemAddSerializer(serializers.Serializer):
    item = serializers.CharField(max_length=16, help_text="The code of an item of the study.")


class RewordSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=ITEM_TEXT_MAX)
    code = serializers.CharField(max_length=16, required=False, allow_blank=True, help_text="The new item's code.")


INTERVAL_SCHEMA = serializers.ListField(
    child=serializers.FloatField(),
    min_length=2,
    max_length=2,
    allow_null=True,
    help_text="[lo, hi], the 95% percentile bootstrap interval; null when not computed.",
)


def _interval(lo: float | None, hi: float | None) -> list[float] | None:
    if lo is None or hi is None or not all(v == v and abs(v) != float("inf") for v in (lo, hi)):
        return None
    return [lo, hi]


class ItemStatisticSerializer(FiniteModelSerializer):
    item = serializers.CharField(source="round_item.item.code", read_only=True)
    dimension = serializers.CharField(source="dimension.key", read_only=True)
    median_ci = serializers.SerializerMethodField()
    pct_agree_ci = serializers.SerializerMethodField()

    @extend_schema_field(INTERVAL_SCHEMA)
    def get_median_ci(self, stat: ItemStatistic) -> list[float] | None:
        return _interval(stat.median_ci_lo, stat.median_ci_hi)

    @extend_schema_field(INTERVAL_SCHEMA)
    def get_pct_agree_ci(self, stat: ItemStatistic) -> list[float] | None:
        return _interval(stat.pct_agree_ci_lo, stat.pct_agree_ci_hi)

    class Meta:
        model = ItemStatistic
        fields = [
            "item",
            "dimension",
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
            "median_ci",
            "pct_agree_ci",
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
            "computed_at",
        ]
        read_only_fields = fields
