"""Studies, their sections, dimensions and items as the facilitator reads them.

Items and dimensions use the study file's field names (``source``, ``scale``, ``agree``), so what is
read can be written back unchanged.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from surveys.models import Dimension, Item, Section, Study
from surveys.study_yaml import MAX_FILE_BYTES
from surveys.text_input import UploadError, decode_upload

BAND_SCHEMA = {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2}
UPLOAD_MAX_BYTES = MAX_FILE_BYTES  # the study-file loader's own cap


class StudySerializer(serializers.ModelSerializer):
    is_rule_frozen = serializers.BooleanField(read_only=True)
    n_items = serializers.IntegerField(read_only=True)
    n_rounds = serializers.IntegerField(read_only=True)
    n_panelists = serializers.IntegerField(read_only=True)

    class Meta:
        model = Study
        fields = [
            "slug",
            "title",
            "description",
            "status",
            "source_citation",
            "source_references",
            "consensus_rule",
            "is_rule_frozen",
            "consensus_rule_frozen_at",
            "stopping_rule",
            "min_group_size",
            "outside_iqr_reason",
            "has_expertise_weighting",
            "is_report_public",
            "time_zone",
            "n_items",
            "n_rounds",
            "n_panelists",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class SectionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Section
        fields = ["key", "title", "order"]
        read_only_fields = fields


class ScaleOutSerializer(serializers.Serializer):
    min = serializers.IntegerField(source="scale_min")
    max = serializers.IntegerField(source="scale_max")
    labels = serializers.DictField(source="scale_labels", child=serializers.CharField())


class DimensionSerializer(serializers.ModelSerializer):
    scale = ScaleOutSerializer(source="*", read_only=True)
    agree = serializers.SerializerMethodField()
    disagree = serializers.SerializerMethodField()
    consensus = serializers.BooleanField(source="is_consensus_dimension", read_only=True)

    class Meta:
        model = Dimension
        fields = ["key", "label", "question", "scale", "agree", "disagree", "consensus", "order"]
        read_only_fields = fields

    @extend_schema_field(BAND_SCHEMA)
    def get_agree(self, dimension: Dimension) -> list[int]:
        return [dimension.agree_low, dimension.agree_high]

    @extend_schema_field(BAND_SCHEMA)
    def get_disagree(self, dimension: Dimension) -> list[int]:
        return [dimension.disagree_low, dimension.disagree_high]


class ItemSerializer(serializers.ModelSerializer):
    section = serializers.SlugRelatedField(slug_field="key", read_only=True)
    source = serializers.CharField(source="source_ref", read_only=True)
    dimensions = serializers.SlugRelatedField(slug_field="key", many=True, read_only=True)
    replaces = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Item
        fields = ["code", "kind", "section", "text", "source", "dimensions", "order", "replaces", "created_at"]
        read_only_fields = fields


class ImportResultSerializer(serializers.Serializer):
    study = StudySerializer()
    is_created = serializers.BooleanField()
    items_created = serializers.ListField(child=serializers.CharField())
    items_updated = serializers.ListField(child=serializers.CharField())
    items_removed = serializers.ListField(child=serializers.CharField())
    warnings = serializers.ListField(
        child=serializers.DictField(child=serializers.CharField(allow_blank=True)),
        help_text="What the file lacks without being refused (a missing translation): {item, field, message}.",
    )


class StudyUploadSerializer(serializers.Serializer):
    """A study file uploaded as multipart form data."""

    file = serializers.FileField(help_text="The study file (YAML, or JSON), UTF-8, at most 2 MiB.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """``content`` (the file's text) and ``filename``, as :class:`StudyTextSerializer` gives them."""
        upload = attrs["file"]
        return {"content": upload_text(upload, max_bytes=UPLOAD_MAX_BYTES), "filename": str(upload.name)[:200]}


def upload_text(upload: Any, *, max_bytes: int) -> str:
    """An uploaded file's text (:func:`surveys.text_input.decode_upload`), or a 400 on the ``file`` field."""
    try:
        return decode_upload(upload, max_bytes=max_bytes, what="The file")
    except UploadError as exc:
        raise serializers.ValidationError({"file": [serializers.ErrorDetail(str(exc), code=exc.code)]}) from exc


class StudyTextSerializer(serializers.Serializer):
    """A study file sent as text in a JSON body."""

    content = serializers.CharField(
        max_length=UPLOAD_MAX_BYTES, trim_whitespace=False, help_text="The study file's YAML text."
    )
    filename = serializers.CharField(max_length=200, required=False, default="request body")
