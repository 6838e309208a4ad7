"""The study file (``delphi-study/1``, docs/study-format.md) as JSON.

These serializers check shape and storage limits only: types, lengths and integer ranges that the
database columns hold. What a study means (bands inside the scale, known sections, a valid
consensus rule) is checked once, by ``surveys.study_format.parse_study`` inside the import service,
which reports every problem with its item code and field.
"""

from __future__ import annotations

import re
from typing import Any

from rest_framework import serializers

from surveys.api.fields import POSITIVE_INT, SMALLINT, FreeFormObjectField, small_int
from surveys.models import Item, Study
from surveys.study_format import FORMAT

MAX_DIMENSIONS = 50
MAX_SECTIONS = 200
MAX_ITEMS = 2000
ITEM_TEXT_MAX = 5000
INTEGER_KEY = re.compile(r"^-?[0-9]{1,6}$")


class ScaleSerializer(serializers.Serializer):
    min = small_int()
    max = small_int()
    labels = serializers.DictField(child=serializers.CharField(max_length=200, allow_blank=True), required=False)

    def validate_labels(self, value: dict[str, str]) -> dict[Any, str]:
        """JSON keys are strings; the file's scale points are integers ("7" -> 7)."""
        return {int(k) if INTEGER_KEY.match(k) else k: v for k, v in value.items()}


def band() -> serializers.ListField:
    return serializers.ListField(child=small_int(), min_length=2, max_length=2, help_text="[low, high], inclusive.")


class DimensionFileSerializer(serializers.Serializer):
    key = serializers.CharField(max_length=40)
    label = serializers.CharField(max_length=100)
    question = serializers.CharField(max_length=300, allow_blank=True, required=False)
    scale = ScaleSerializer()
    agree = band()
    disagree = band()
    consensus = serializers.BooleanField(required=False, help_text="False for a meta-rating such as confidence.")


class DimensionChangeSerializer(DimensionFileSerializer):
    """A change of a dimension: any field but its key."""

    key = None  # type: ignore[assignment]


class SectionFileSerializer(serializers.Serializer):
    key = serializers.CharField(max_length=80)
    title = serializers.CharField(max_length=300)


class ItemFileSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=16, help_text="Letters then digits, e.g. C7; a rewording C7r2.")
    kind = serializers.ChoiceField(choices=Item.Kind.choices)
    section = serializers.CharField(max_length=80, help_text="A section key of the study.")
    text = serializers.CharField(max_length=ITEM_TEXT_MAX)
    source = serializers.CharField(max_length=200, allow_blank=True, required=False)
    dimensions = serializers.ListField(
        child=serializers.CharField(max_length=40), max_length=MAX_DIMENSIONS, required=False
    )
    order = serializers.IntegerField(min_value=POSITIVE_INT[0], max_value=POSITIVE_INT[1], required=False)
    replaces = serializers.CharField(max_length=16, allow_null=True, required=False)


class ItemChangeSerializer(ItemFileSerializer):
    """A change of an item: any field but its code."""

    code = None  # type: ignore[assignment]


class SourceSerializer(serializers.Serializer):
    citation = serializers.CharField(max_length=2000, allow_blank=True, required=False)
    references = serializers.ListField(child=serializers.CharField(max_length=2000), max_length=500, required=False)


class SettingsSerializer(serializers.Serializer):
    min_group_size = serializers.IntegerField(min_value=0, max_value=SMALLINT[1], required=False)
    outside_iqr_reason = serializers.ChoiceField(choices=Study.OutsideIqrReason.choices, required=False)
    expertise_weighting = serializers.BooleanField(required=False)


class StudyFileSerializer(serializers.Serializer):
    """A whole study file: what ``POST /studies/`` creates and ``PUT`` replaces, and what export gives."""

    format = serializers.ChoiceField(choices=[FORMAT])
    slug = serializers.CharField(max_length=80)
    title = serializers.CharField(max_length=300)
    description = serializers.CharField(max_length=20000, allow_blank=True, required=False)
    source = SourceSerializer(required=False)
    settings = SettingsSerializer(required=False)
    consensus_rule = FreeFormObjectField(help_text="e.g. {preset: cos}; see docs/study-format.md.")
    stopping_rule = FreeFormObjectField(help_text="e.g. {max_rounds: 3, criteria: [all_decided]}.")
    dimensions = DimensionFileSerializer(many=True, max_length=MAX_DIMENSIONS)
    sections = SectionFileSerializer(many=True, max_length=MAX_SECTIONS)
    items = ItemFileSerializer(many=True, max_length=MAX_ITEMS)


class StudySettingsSerializer(serializers.Serializer):
    """``PATCH /studies/{slug}/``: the study's own fields; items and dimensions have their endpoints."""

    title = serializers.CharField(max_length=300, required=False)
    description = serializers.CharField(max_length=20000, allow_blank=True, required=False)
    source = SourceSerializer(required=False)
    settings = SettingsSerializer(required=False)
    consensus_rule = FreeFormObjectField(required=False, help_text="Frozen once round 1 opens.")
    stopping_rule = FreeFormObjectField(required=False)
