"""What an expert sends and reads. Nothing here carries a name, an email or another expert's rating."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from surveys.api.fields import SMALLINT, FiniteFloatField
from surveys.api.serializers.studies import DimensionSerializer, SectionSerializer
from surveys.models import Ballot, Round, Study
from surveys.models.ballots import RATIONALE_MAX_LENGTH
from surveys.selectors.expert_api import BallotView
from surveys.services.experts import BACKGROUND_MAX_LENGTH, EXPERTISE_SCALE, OPEN_ANSWER_MAX_LENGTH, YEARS_MAX

ANSWERS_MAX = 2000


class ExpertRoundSerializer(serializers.ModelSerializer):
    class Meta:
        model = Round
        fields = ["number", "status", "opened_at", "closes_at", "closed_at", "is_live_feedback"]
        read_only_fields = fields


class ExpertStudySerializer(serializers.ModelSerializer):
    sections = SectionSerializer(many=True, read_only=True)
    dimensions = DimensionSerializer(many=True, read_only=True)
    has_consented = serializers.SerializerMethodField()
    round = serializers.SerializerMethodField(help_text="The open round, else the latest closed one; null before any.")

    class Meta:
        model = Study
        fields = [
            "slug",
            "title",
            "description",
            "source_citation",
            "status",
            "outside_iqr_reason",
            "has_consented",
            "sections",
            "dimensions",
            "round",
        ]
        read_only_fields = fields

    def get_has_consented(self, study: Study) -> bool:
        return bool(self.context["panelist"].consent_at)

    @extend_schema_field(ExpertRoundSerializer(allow_null=True))
    def get_round(self, study: Study) -> dict[str, Any] | None:
        round_ = self.context.get("round")
        return ExpertRoundSerializer(round_).data if round_ is not None else None


class ConsentSerializer(serializers.Serializer):
    has_consented = serializers.BooleanField()
    consent_at = serializers.DateTimeField(allow_null=True)


class ProfileSerializer(serializers.Serializer):
    """The expert's profile. ``group`` is the facilitator's: read here, and a different one sent is refused."""

    group = serializers.CharField(read_only=True, help_text="Assigned by the facilitator; the expert cannot change it.")
    background = serializers.CharField(
        max_length=BACKGROUND_MAX_LENGTH,
        allow_blank=True,
        required=False,
        default="",
        help_text="The expert's own description of their background; the facilitator sees it, no analysis uses it.",
    )
    years_experience = serializers.IntegerField(
        min_value=0, max_value=YEARS_MAX, allow_null=True, required=False, default=None
    )
    expertise = serializers.DictField(
        child=serializers.IntegerField(min_value=EXPERTISE_SCALE[0], max_value=EXPERTISE_SCALE[1], allow_null=True),
        required=False,
        default=dict,
        help_text="Self-rated expertise 1–5 per section key; leave a section out if unsure.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """A read-only field is dropped silently by DRF; a group sent that is not the expert's own is refused."""
        sent = self.initial_data.get("group") if isinstance(self.initial_data, dict) else None
        if sent is not None and sent != self.context["panelist"].group:
            raise serializers.ValidationError({"group": ["Is set by the facilitator; it cannot change here."]})
        return attrs


class RatingSerializer(serializers.Serializer):
    item = serializers.CharField(max_length=16, help_text="The item's code, e.g. C1.")
    dimension = serializers.CharField(max_length=40, help_text="The dimension's key, e.g. agreement.")
    value = serializers.IntegerField(
        min_value=SMALLINT[0],
        max_value=SMALLINT[1],
        allow_null=True,
        help_text="A point of the scale; null: can't answer.",
    )


class ItemTextSerializer(serializers.Serializer):
    item = serializers.CharField(max_length=16, help_text="The item's code.")
    text = serializers.CharField(max_length=RATIONALE_MAX_LENGTH, allow_blank=True, help_text="Empty clears it.")


class OpenAnswerSerializer(ItemTextSerializer):
    text = serializers.CharField(max_length=OPEN_ANSWER_MAX_LENGTH, allow_blank=True, help_text="Empty withdraws it.")


class BallotChangeSerializer(serializers.Serializer):
    """``PATCH /me/ballot/``: only what is sent changes; all of it is saved, or none (400 naming each)."""

    ratings = RatingSerializer(many=True, required=False, max_length=ANSWERS_MAX)
    rationales = ItemTextSerializer(many=True, required=False, max_length=ANSWERS_MAX, help_text="One per item.")
    open_answers = OpenAnswerSerializer(many=True, required=False, max_length=ANSWERS_MAX)


class BallotItemSerializer(serializers.Serializer):
    code = serializers.CharField(source="item.code")
    kind = serializers.CharField(source="item.kind")
    section = serializers.CharField(source="item.section.key")
    text = serializers.SerializerMethodField(help_text="In the expert's language where translated.")
    text_language = serializers.SerializerMethodField(help_text="The language ``text`` is in.")
    is_fallback = serializers.SerializerMethodField(help_text="True: not translated, shown in the default language.")
    dimensions = serializers.SerializerMethodField()

    def _text(self, round_item: Any) -> Any:
        view = self.root.instance  # the BallotView this item list belongs to
        return view.text_of(round_item) if isinstance(view, BallotView) else None

    def get_text(self, round_item: Any) -> str:
        found = self._text(round_item)
        return round_item.item.text if found is None else found.text

    def get_text_language(self, round_item: Any) -> str:
        found = self._text(round_item)
        return round_item.item.study.default_language if found is None else found.language

    def get_is_fallback(self, round_item: Any) -> bool:
        found = self._text(round_item)
        return False if found is None else found.is_fallback

    def get_dimensions(self, round_item: Any) -> list[str]:
        return [d.key for d in round_item.item.dimensions.all()]


class BallotSerializer(serializers.Serializer):
    """The expert's own ballot: the round's items and the expert's answers, as ``PATCH`` takes them."""

    round = ExpertRoundSerializer()
    status = serializers.ChoiceField(choices=["not_started", *Ballot.Status.values])
    submitted_at = serializers.DateTimeField(source="ballot.submitted_at", allow_null=True, default=None)
    is_editable = serializers.BooleanField(help_text="False once submitted (reopen to revise) or the round closed.")
    answered = serializers.IntegerField()
    total = serializers.IntegerField()
    items = BallotItemSerializer(many=True, source="round_items")
    ratings = serializers.SerializerMethodField()
    rationales = serializers.SerializerMethodField()
    open_answers = serializers.SerializerMethodField()

    @extend_schema_field(RatingSerializer(many=True))
    def get_ratings(self, view: BallotView) -> list[dict[str, Any]]:
        ordered = sorted(view.ratings, key=lambda r: (view.code_of(r.round_item_id), r.dimension.order))
        return [
            {"item": view.code_of(r.round_item_id), "dimension": r.dimension.key, "value": r.value} for r in ordered
        ]

    @extend_schema_field(ItemTextSerializer(many=True))
    def get_rationales(self, view: BallotView) -> list[dict[str, str]]:
        return [{"item": view.code_of(pk), "text": text} for pk, text in view.rationales().items()]

    @extend_schema_field(OpenAnswerSerializer(many=True))
    def get_open_answers(self, view: BallotView) -> list[dict[str, str]]:
        return [{"item": view.code_of(pk), "text": text} for pk, text in view.open_answers.items()]


class PointCountSerializer(serializers.Serializer):
    point = serializers.IntegerField()
    count = serializers.IntegerField()


class FeedbackCellSerializer(serializers.Serializer):
    item = serializers.CharField()
    dimension = serializers.CharField()
    is_shown = serializers.BooleanField(help_text="False when fewer than the study's minimum group answered.")
    n = serializers.IntegerField(allow_null=True)
    median = FiniteFloatField()
    q1 = FiniteFloatField()
    q3 = FiniteFloatField()
    iqr = FiniteFloatField()
    pct_agree = FiniteFloatField()
    pct_disagree = FiniteFloatField()
    distribution = PointCountSerializer(many=True)
    own_previous = serializers.IntegerField(allow_null=True, help_text="Your own rating in that round.")
    has_own_previous = serializers.BooleanField()


class RationaleTextsSerializer(serializers.Serializer):
    item = serializers.CharField()
    texts = serializers.ListField(
        child=serializers.CharField(), help_text="Others' reasons, without names; those in your language first."
    )
    languages = serializers.ListField(
        child=serializers.CharField(allow_blank=True), help_text="The language each text was written in."
    )


class FeedbackSerializer(serializers.Serializer):
    round = ExpertRoundSerializer()
    source_round = serializers.IntegerField(allow_null=True, help_text="The round the statistics come from.")
    is_live = serializers.BooleanField()
    hidden_live = serializers.BooleanField(help_text="Live feedback, withheld until enough experts answered.")
    cells = FeedbackCellSerializer(many=True)
    rationales = RationaleTextsSerializer(many=True)
