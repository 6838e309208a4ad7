"""The panel as the facilitator sees it: names and emails included (never in an expert's answer)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext, gettext_lazy
from rest_framework import serializers

from surveys.api.serializers.studies import upload_text
from surveys.models import Panelist
from surveys.services.panel_import import MAX_FILE_BYTES, MAX_LENGTH


class PanelistSerializer(serializers.ModelSerializer):
    n_ballots = serializers.IntegerField(read_only=True)

    class Meta:
        model = Panelist
        fields = [
            "id",
            "email",
            "name",
            "pseudonym",
            "group",
            "background",
            "language",
            "status",
            "consent_at",
            "years_experience",
            "expertise",
            "is_synthetic",
            "token_issued_at",
            "n_ballots",
            "created_at",
        ]
        read_only_fields = fields


class PanelistAddSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=MAX_LENGTH["email"])
    name = serializers.CharField(max_length=MAX_LENGTH["name"], allow_blank=True, required=False, default="")
    group = serializers.CharField(max_length=MAX_LENGTH["group"], allow_blank=True, required=False, default="")
    language = serializers.CharField(max_length=MAX_LENGTH["language"], required=False, default="en")


class PanelistUpdateSerializer(serializers.Serializer):
    """The fields of an expert a facilitator may change; the service checks them (one rule with the CSV)."""

    name = serializers.CharField(
        max_length=MAX_LENGTH["name"], allow_blank=True, required=False, trim_whitespace=False, help_text="Their name."
    )
    group = serializers.CharField(
        max_length=MAX_LENGTH["group"],
        allow_blank=True,
        required=False,
        trim_whitespace=False,
        help_text="Region or stakeholder type, as in the panel CSV.",
    )
    language = serializers.CharField(
        max_length=MAX_LENGTH["language"],
        required=False,
        help_text=gettext_lazy(
            "The language of their pages and email: one of the study's declared languages, or of the site's "
            "(en, ru) when it declares none."
        ),
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(self.initial_data) - set(self.fields)) if isinstance(self.initial_data, dict) else []
        if unknown:
            message = gettext("Unknown field; only name, group and language can be changed.")
            raise serializers.ValidationError({name: [message] for name in unknown})
        if not attrs:
            raise serializers.ValidationError(gettext("Give at least one of name, group and language."))
        return attrs


class LinkSerializer(serializers.Serializer):
    link = serializers.URLField(help_text="The expert's personal link, shown this once; the token is its last part.")


class PanelistWithLinkSerializer(PanelistSerializer):
    link = serializers.SerializerMethodField(help_text="The expert's personal link, shown this once.")

    class Meta(PanelistSerializer.Meta):
        fields = [*PanelistSerializer.Meta.fields, "link"]
        read_only_fields = fields

    def get_link(self, panelist: Panelist) -> str:
        return str(self.context.get("link", ""))


class PanelFileSerializer(serializers.Serializer):
    """A panel CSV uploaded as multipart form data (columns email, name, group, language)."""

    file = serializers.FileField(help_text="CSV with a header row; UTF-8, at most 2 MiB.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """``content``: the file's text, as :class:`PanelTextSerializer` gives it."""
        return {"content": upload_text(attrs["file"], max_bytes=MAX_FILE_BYTES)}


class PanelTextSerializer(serializers.Serializer):
    """A panel CSV sent as text in a JSON body."""

    content = serializers.CharField(max_length=MAX_FILE_BYTES, trim_whitespace=False)


class PanelRowSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    email = serializers.CharField()
    name = serializers.CharField()
    group = serializers.CharField()
    language = serializers.CharField()


class RowErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    message = serializers.CharField()
    email = serializers.CharField()


class PanelPreviewSerializer(serializers.Serializer):
    is_valid = serializers.BooleanField(help_text="True when importing the file would add every row.")
    rows = PanelRowSerializer(many=True, help_text="The experts the import would add.")
    errors = RowErrorSerializer(many=True, help_text="One entry per refused row; any error refuses the file.")


class PanelImportedSerializer(serializers.Serializer):
    added = serializers.IntegerField()
    panelists = PanelistSerializer(many=True)
