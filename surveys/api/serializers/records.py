"""Report jobs, suggestions, email wording and the audit trail. No suggestion names its author."""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from surveys.api.serializers.study_file import ITEM_TEXT_MAX
from surveys.models import AuditEvent, DeliveryLog, Item, ReportJob, Suggestion


class ReportJobSerializer(serializers.ModelSerializer):
    download = serializers.SerializerMethodField(help_text="Where to fetch the file once the job is done.")

    class Meta:
        model = ReportJob
        fields = [
            "id",
            "format",
            "status",
            "progress",
            "stage",
            "error",
            "created_at",
            "started_at",
            "finished_at",
            "download",
        ]
        read_only_fields = fields

    def get_download(self, job: ReportJob) -> str | None:
        if job.status != ReportJob.Status.DONE:
            return None
        return reverse("api:report-download", args=[job.study.slug, job.pk])


class ReportRequestSerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=ReportJob.Format.choices)
    force = serializers.BooleanField(
        default=False, help_text="Build again even when a finished file is newer than the study's last change."
    )


class SuggestionSerializer(serializers.ModelSerializer):
    round = serializers.SlugRelatedField(slug_field="number", read_only=True, allow_null=True)
    prompt_item = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    target_item = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    created_item = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Suggestion
        fields = ["id", "kind", "status", "text", "round", "prompt_item", "target_item", "created_item", "created_at"]
        read_only_fields = fields


class SuggestionAcceptSerializer(serializers.Serializer):
    round = serializers.IntegerField(min_value=1, max_value=32767, help_text="The number of the draft round.")
    code = serializers.CharField(max_length=16, required=False, allow_blank=True, default="")
    kind = serializers.ChoiceField(choices=Item.Kind.choices, required=False, allow_blank=True, default="")
    section = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    dimensions = serializers.ListField(
        child=serializers.CharField(max_length=40), max_length=50, required=False, default=list
    )
    text = serializers.CharField(max_length=ITEM_TEXT_MAX, required=False, allow_blank=True, default="")


class MessageTemplateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DeliveryLog.Kind.choices)
    label = serializers.CharField()
    subject = serializers.CharField()
    body = serializers.CharField()
    is_custom = serializers.BooleanField(help_text="False while the built-in wording is used.")


class MessageTemplateChangeSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=200)
    body = serializers.CharField(
        max_length=10000,
        help_text="Must show {{ link }} to every expert in invitations and reminders (checked by rendering it for "
        "sample experts). Tags: if, comment, firstof, templatetag, verbatim; no loops.",
    )


class AuditEventSerializer(serializers.ModelSerializer):
    round = serializers.SlugRelatedField(slug_field="number", read_only=True, allow_null=True)
    item = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = AuditEvent
        fields = ["id", "created_at", "action", "actor_label", "round", "item", "detail"]
        read_only_fields = fields
