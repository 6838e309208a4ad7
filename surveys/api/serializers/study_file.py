"""The study file (``delphi-study/1``, docs/study-format.md) as JSON.

These serializers check shape and storage limits only: types, lengths and integer ranges that the
database columns hold. What a study means (bands inside the scale, known sections, a valid
consensus rule) is checked once, by ``surveys.study_format.parse_study`` inside the import service,
which reports every problem with its item code and field.

Every mapping refuses a key it does not declare (``FileMapping``): DRF would drop it silently, and
a misspelt ``outside_iqr_reson`` would then import as the default. Each serializer's fields are the
parser's declared keys for that mapping (``surveys.study_format.FILE_KEYS``; a test pins them equal).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from surveys.api.fields import POSITIVE_INT, SMALLINT, FreeFormObjectField, small_int
from surveys.models import Item, Study
from surveys.study_format import BACKUP_KEY, BACKUP_NOTE, FORMAT, nearest_key
from surveys.study_yaml import short

MAX_DIMENSIONS = 50
MAX_SECTIONS = 200
MAX_ITEMS = 2000
MAX_LANGUAGES = 20
ITEM_TEXT_MAX = 5000
INTEGER_KEY = re.compile(r"^-?[0-9]{1,6}$")


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string"},
            {"type": "object", "additionalProperties": {"type": "string"}, "description": "language → text"},
        ]
    }
)
class TranslatableField(serializers.Field):
    """A translatable field of the study file: text in the default language, or ``{en: ..., ru: ...}``.

    Only shape and length here; which languages the study declares is the parser's check."""

    def __init__(self, *, max_length: int, allow_blank: bool = False, **kwargs: Any) -> None:
        self.text = serializers.CharField(max_length=max_length, allow_blank=allow_blank)
        self.language_text = serializers.CharField(max_length=max_length, allow_blank=True)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return self.text.run_validation(data)
        if len(data) > MAX_LANGUAGES:
            raise serializers.ValidationError(f"gives {len(data)} languages; at most {MAX_LANGUAGES}")
        return {str(code)[:16]: self.language_text.run_validation(text) for code, text in data.items()}

    def to_representation(self, value: Any) -> Any:
        return value


class FileMapping(serializers.Serializer):
    """A mapping of the study file that refuses keys it does not declare, suggesting the nearest one.

    ``fixed_keys`` may be sent but are not changed here (an item's code in a PATCH of that item).
    """

    whose: ClassVar[str] = "this mapping"
    fixed_keys: ClassVar[tuple[str, ...]] = ()
    notes: ClassVar[Mapping[str, str]] = {}

    def describe(self, data: Mapping[str, Any]) -> str:
        return self.whose

    def to_internal_value(self, data: Any) -> Any:
        unknown: dict[str, list[str]] = {}
        if isinstance(data, Mapping):
            for key in data:
                if key in self.fields or key in self.fixed_keys:
                    continue
                note = self.notes.get(key) or f"is not a key of {self.describe(data)}; {nearest_key(key, self.fields)}"
                unknown[str(key)] = [note]
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if unknown and isinstance(exc.detail, dict):
                raise serializers.ValidationError({**exc.detail, **unknown}) from None
            raise
        if unknown:
            raise serializers.ValidationError(unknown)
        return value


class ScaleSerializer(FileMapping):
    whose = "a scale"
    min = small_int()
    max = small_int()
    labels = serializers.DictField(child=TranslatableField(max_length=200, allow_blank=True), required=False)

    def validate_labels(self, value: dict[str, str]) -> dict[Any, str]:
        """JSON keys are strings; the file's scale points are integers ("7" -> 7)."""
        return {int(k) if INTEGER_KEY.match(k) else k: v for k, v in value.items()}


def band() -> serializers.ListField:
    return serializers.ListField(child=small_int(), min_length=2, max_length=2, help_text="[low, high], inclusive.")


class DimensionFileSerializer(FileMapping):
    whose = "a dimension"
    key = serializers.CharField(max_length=40)

    def describe(self, data: Mapping[str, Any]) -> str:
        return f"dimension {short(data['key'])}" if "key" in data else self.whose

    label = TranslatableField(max_length=100)
    question = TranslatableField(max_length=300, allow_blank=True, required=False)
    scale = ScaleSerializer()
    agree = band()
    disagree = band()
    consensus = serializers.BooleanField(required=False, help_text="False for a meta-rating such as confidence.")


class DimensionChangeSerializer(DimensionFileSerializer):
    """A change of a dimension: any field but its key."""

    key = None  # type: ignore[assignment]
    fixed_keys = ("key",)


class SectionFileSerializer(FileMapping):
    whose = "a section"
    key = serializers.CharField(max_length=80)
    title = TranslatableField(max_length=300)


class ItemFileSerializer(FileMapping):
    whose = "an item"

    def describe(self, data: Mapping[str, Any]) -> str:
        return f"item {short(data['code'])}" if "code" in data else self.whose

    code = serializers.CharField(max_length=16, help_text="Letters then digits, e.g. C7; a rewording C7r2.")
    kind = serializers.ChoiceField(choices=Item.Kind.choices)
    section = serializers.CharField(max_length=80, help_text="A section key of the study.")
    text = TranslatableField(max_length=ITEM_TEXT_MAX)
    source = serializers.CharField(max_length=200, allow_blank=True, required=False)
    dimensions = serializers.ListField(
        child=serializers.CharField(max_length=40), max_length=MAX_DIMENSIONS, required=False
    )
    order = serializers.IntegerField(min_value=POSITIVE_INT[0], max_value=POSITIVE_INT[1], required=False)
    replaces = serializers.CharField(max_length=16, allow_null=True, required=False)


class ItemChangeSerializer(ItemFileSerializer):
    """A change of an item: any field but its code."""

    code = None  # type: ignore[assignment]
    fixed_keys = ("code",)


class SourceSerializer(FileMapping):
    whose = "source"
    citation = serializers.CharField(max_length=2000, allow_blank=True, required=False)
    references = serializers.ListField(child=serializers.CharField(max_length=2000), max_length=500, required=False)


class SettingsSerializer(FileMapping):
    whose = "settings"
    min_group_size = serializers.IntegerField(min_value=0, max_value=SMALLINT[1], required=False)
    outside_iqr_reason = serializers.ChoiceField(choices=Study.OutsideIqrReason.choices, required=False)
    expertise_weighting = serializers.BooleanField(required=False)
    time_zone = serializers.CharField(max_length=64, required=False, help_text="An IANA zone name, e.g. Europe/Berlin.")
    bootstrap_resamples = serializers.IntegerField(
        min_value=0, required=False, help_text="Bootstrap resamples behind each verdict's confidence (100 to 100,000)."
    )


class StudyFileSerializer(FileMapping):
    """A whole study file: what ``POST /studies/`` creates and ``PUT`` replaces, and what export gives."""

    whose = "a study file (top level)"
    notes = {BACKUP_KEY: BACKUP_NOTE}

    format = serializers.ChoiceField(choices=[FORMAT])
    slug = serializers.CharField(max_length=80)
    languages = serializers.ListField(
        child=serializers.CharField(max_length=16), max_length=MAX_LANGUAGES, required=False, help_text="e.g. [en, ru]."
    )
    default_language = serializers.CharField(
        max_length=16, required=False, help_text="One of the languages (default en); the plain texts are in it."
    )
    title = TranslatableField(max_length=300)
    description = TranslatableField(max_length=20000, allow_blank=True, required=False)
    source = SourceSerializer(required=False)
    settings = SettingsSerializer(required=False)
    consensus_rule = FreeFormObjectField(help_text="e.g. {preset: cos}; see docs/study-format.md.")
    stopping_rule = FreeFormObjectField(help_text="e.g. {max_rounds: 3, criteria: [all_decided]}.")
    dimensions = DimensionFileSerializer(many=True, max_length=MAX_DIMENSIONS)
    sections = SectionFileSerializer(many=True, max_length=MAX_SECTIONS)
    items = ItemFileSerializer(many=True, max_length=MAX_ITEMS)


class StudySettingsSerializer(FileMapping):
    """``PATCH /studies/{slug}/``: the study's own fields; items and dimensions have their endpoints."""

    whose = "a study's settings change"

    title = TranslatableField(max_length=300, required=False)
    description = TranslatableField(max_length=20000, allow_blank=True, required=False)
    source = SourceSerializer(required=False)
    settings = SettingsSerializer(required=False)
    consensus_rule = FreeFormObjectField(required=False, help_text="Frozen once round 1 opens.")
    stopping_rule = FreeFormObjectField(required=False)
    is_report_public = serializers.BooleanField(
        required=False, help_text="Whether anyone with the report's address may read it (audited); else staff only."
    )
