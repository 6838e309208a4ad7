"""Report jobs (request, status, download), suggestions, email wording and the audit trail."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response

from surveys.api.errors import Conflict, Invalid
from surveys.api.filters import QueryFilter
from surveys.api.schema import ID_PATTERN, STUDY
from surveys.api.serializers.records import (
    AuditEventSerializer,
    MessageTemplateChangeSerializer,
    MessageTemplateSerializer,
    ReportJobSerializer,
    ReportRequestSerializer,
    SuggestionAcceptSerializer,
    SuggestionSerializer,
)
from surveys.api.serializers.studies import ItemSerializer
from surveys.api.views.base import StudyScopedViewSet, valid
from surveys.models import AuditEvent, DeliveryLog, Dimension, ReportJob, Round, Section, Suggestion
from surveys.reports.formats import FORMATS
from surveys.selectors.facilitator import message_templates
from surveys.services import suggestions
from surveys.services.message_templates import MessageTemplateInvalid, message_template_reset, message_template_save
from surveys.services.reports import report_request

DOWNLOAD_TYPES = {(200, spec.content_type.split(";")[0]): OpenApiTypes.BINARY for spec in FORMATS.values()}
KIND = OpenApiParameter(
    "kind",
    type={"type": "string", "enum": DeliveryLog.Kind.values},
    location=OpenApiParameter.PATH,
    description="The kind of email.",
)


class AnyAccept(DefaultContentNegotiation):
    """A download is a file whatever the client accepts; an error on the way is rendered as JSON."""

    def select_renderer(self, request: Request, renderers: list[Any], format_suffix: str | None = None) -> Any:
        return renderers[0], renderers[0].media_type


@extend_schema(parameters=[STUDY])
@extend_schema_view(
    list=extend_schema(summary="List report jobs, newest first"),
    retrieve=extend_schema(summary="A report job's status"),
)
class ReportJobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, StudyScopedViewSet):
    serializer_class = ReportJobSerializer
    lookup_url_kwarg = "job_id"
    lookup_value_regex = ID_PATTERN
    query_filters = (
        QueryFilter("format", "format", "Only jobs of this format.", choices=list(FORMATS)),
        QueryFilter("status", "status", "Only jobs in this state.", choices=ReportJob.Status.values),
    )

    def get_queryset(self) -> QuerySet[ReportJob]:
        return ReportJob.objects.filter(study=self.study).select_related("study").order_by("-created_at", "-id")

    @extend_schema(
        summary="Request a report file (built in the background; an up-to-date one is reused)",
        request=ReportRequestSerializer,
        responses={202: ReportJobSerializer},
    )
    def create(self, request: Request, study_slug: str) -> Response:
        data = valid(ReportRequestSerializer, request)
        job = report_request(study=self.study, format=data["format"], user=self.actor, force=data["force"])
        return Response(ReportJobSerializer(self.get_queryset().get(pk=job.pk)).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(summary="Download a finished report file", responses=DOWNLOAD_TYPES)
    @action(detail=True, methods=["get"], content_negotiation_class=AnyAccept)
    def download(self, request: Request, study_slug: str, job_id: str) -> FileResponse:
        job = self.get_object()
        if job.status != ReportJob.Status.DONE or not job.file:
            raise Conflict(f"The report is {job.status}; download it once its status is done.", code="not_ready")
        spec = FORMATS[job.format]
        name = f"{self.study.slug}-consensus-report.{spec.extension}"
        response = FileResponse(job.file.open("rb"), as_attachment=True, filename=name, content_type=spec.content_type)
        response["X-Content-Type-Options"] = "nosniff"
        return response


@extend_schema(parameters=[STUDY])
@extend_schema_view(list=extend_schema(summary="List the experts' suggestions (without who made them)"))
class SuggestionViewSet(mixins.ListModelMixin, StudyScopedViewSet):
    serializer_class = SuggestionSerializer
    lookup_url_kwarg = "suggestion_id"
    lookup_value_regex = ID_PATTERN
    query_filters = (
        QueryFilter("status", "status", "Only suggestions in this state.", choices=Suggestion.Status.values),
        QueryFilter("kind", "kind", "Only suggestions of this kind.", choices=Suggestion.Kind.values),
        QueryFilter("round", "round__number", "Only suggestions made in this round.", kind="int"),
    )

    def get_queryset(self) -> QuerySet[Suggestion]:
        return (
            Suggestion.objects.filter(study=self.study)
            .select_related("round", "prompt_item", "target_item", "created_item")
            .order_by("created_at", "id")
        )

    @extend_schema(
        summary="Turn a suggestion into an item of a draft round",
        request=SuggestionAcceptSerializer,
        responses=ItemSerializer,
    )
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, study_slug: str, suggestion_id: str) -> Response:
        suggestion = self.get_object()
        data = valid(SuggestionAcceptSerializer, request)
        round_ = Round.objects.filter(study=self.study, number=data["round"]).first()
        section = Section.objects.filter(study=self.study, key=data["section"]).first() if data["section"] else None
        dimensions = list(Dimension.objects.filter(study=self.study, key__in=data["dimensions"]))
        unknown = {
            "round": round_ is None,
            "section": bool(data["section"]) and section is None,
            "dimensions": len(dimensions) != len(set(data["dimensions"])),
        }
        if any(unknown.values()):
            fields = {name: ["Not found in this study."] for name, missing in unknown.items() if missing}
            raise Invalid("Some references are unknown; nothing was changed.", fields)
        assert round_ is not None
        item = suggestions.suggestion_accept(
            suggestion=suggestion,
            round=round_,
            code=data["code"],
            kind=data["kind"],
            section=section,
            dimensions=dimensions,
            text=data["text"],
            actor=self.actor,
        )
        return Response(ItemSerializer(item).data)

    @extend_schema(summary="Set a suggestion aside", request=None, responses=SuggestionSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, study_slug: str, suggestion_id: str) -> Response:
        rejected = suggestions.suggestion_reject(suggestion=self.get_object(), actor=self.actor)
        return Response(SuggestionSerializer(self.get_queryset().get(pk=rejected.pk)).data)


@extend_schema(parameters=[STUDY])
@extend_schema_view(
    retrieve=extend_schema(parameters=[KIND]),
    update=extend_schema(parameters=[KIND]),
    destroy=extend_schema(parameters=[KIND]),
)
class MessageTemplateViewSet(StudyScopedViewSet):
    """The study's wording of each email; the built-in one until saved."""

    serializer_class = MessageTemplateSerializer
    pagination_class = None
    lookup_url_kwarg = "kind"
    lookup_value_regex = "|".join(DeliveryLog.Kind.values)

    def _template(self, kind: str) -> Response:
        return Response(next(t for t in message_templates(self.study) if t["kind"] == kind))

    @extend_schema(summary="List the email wordings", responses=MessageTemplateSerializer(many=True))
    def list(self, request: Request, study_slug: str) -> Response:
        return Response(MessageTemplateSerializer(message_templates(self.study), many=True).data)

    @extend_schema(summary="Read one email's wording", responses=MessageTemplateSerializer)
    def retrieve(self, request: Request, study_slug: str, kind: str) -> Response:
        return self._template(kind)

    @extend_schema(
        summary="Save one email's wording (it must render, and invitations and reminders must show the link)",
        request=MessageTemplateChangeSerializer,
        responses=MessageTemplateSerializer,
    )
    def update(self, request: Request, study_slug: str, kind: str) -> Response:
        data = valid(MessageTemplateChangeSerializer, request)
        try:
            message_template_save(study=self.study, kind=kind, **data, actor=self.actor)
        except MessageTemplateInvalid as exc:  # the wording itself is wrong: a 400 naming the part, not a 409
            raise Invalid(f"The wording was refused; nothing was saved. {exc}", {exc.field: [str(exc)]}) from exc
        return self._template(kind)

    @extend_schema(summary="Go back to the built-in wording", responses={204: None})
    def destroy(self, request: Request, study_slug: str, kind: str) -> Response:
        message_template_reset(study=self.study, kind=kind, actor=self.actor)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(parameters=[STUDY])
@extend_schema_view(list=extend_schema(summary="The study's audit trail, newest first"))
class AuditEventViewSet(mixins.ListModelMixin, StudyScopedViewSet):
    serializer_class = AuditEventSerializer
    query_filters = (
        QueryFilter("action", "action", "Only events of this action, e.g. round.opened."),
        QueryFilter("round", "round__number", "Only events about this round.", kind="int"),
    )

    def get_queryset(self) -> QuerySet[AuditEvent]:
        return (
            AuditEvent.objects.filter(study=self.study).select_related("round", "item").order_by("-created_at", "-id")
        )
