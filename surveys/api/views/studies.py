"""Studies: list, read, create from study-file data, replace, change settings, delete, import, export."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from surveys.api.errors import Invalid
from surveys.api.fields import is_oversized
from surveys.api.filters import QueryFilter
from surveys.api.parsers import LimitedJSONParser
from surveys.api.schema import SLUG_PATTERN
from surveys.api.serializers.studies import (
    ImportResultSerializer,
    StudySerializer,
    StudyTextSerializer,
    StudyUploadSerializer,
)
from surveys.api.serializers.study_file import StudyFileSerializer, StudySettingsSerializer
from surveys.api.views.base import StaffViewSet, count_of, valid
from surveys.models import Item, Panelist, Round, Study
from surveys.services import study_edits
from surveys.services.study_files import ImportResult, study_export, study_import
from surveys.services.study_settings import study_report_visibility_set
from surveys.study_format import dump_yaml
from surveys.study_yaml import load_study_yaml

MAX_FILE_NODES = 100_000  # a large real study has some tens of thousands of values
MAX_FILE_DEPTH = 30


def studies() -> QuerySet[Study]:
    """Studies with their counts, one query whatever their number (subqueries, not joins)."""
    return Study.objects.annotate(
        n_items=count_of(Item, "study"), n_rounds=count_of(Round, "study"), n_panelists=count_of(Panelist, "study")
    )


class StudyYAMLRenderer(BaseRenderer):
    """The export as a YAML study file (``Accept: application/yaml``), ready for ``import_study``."""

    media_type = "application/yaml"
    format = "yaml"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        return dump_yaml(data if isinstance(data, dict) else {"data": data}).encode()


def _check_storable(data: Any) -> None:
    """Refuse a parsed file whose values the database could not hold, before the importer reads it.

    A file that is not a mapping is left to the importer, which says so.
    """
    if not isinstance(data, dict):
        return
    if is_oversized(data, max_nodes=MAX_FILE_NODES, max_depth=MAX_FILE_DEPTH):
        raise Invalid("The study file is too large.", {"file": [f"At most {MAX_FILE_NODES} values."]})
    serializer = StudyFileSerializer(data=data)
    if not serializer.is_valid():
        raise ValidationError(serializer.errors)


def _uploaded_text(request: Request) -> tuple[str, str]:
    """(text, filename) of a study file sent as multipart ``file`` or as JSON ``content``."""
    multipart = request.content_type.startswith("multipart/")
    data = valid(StudyUploadSerializer if multipart else StudyTextSerializer, request)
    return data["content"], data["filename"]


@extend_schema_view(
    list=extend_schema(summary="List studies", responses=StudySerializer(many=True)),
    retrieve=extend_schema(summary="Read a study", responses=StudySerializer),
)
class StudyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, StaffViewSet):
    """Studies. Writes go through the study-file importer, so its checks and guards always apply."""

    serializer_class = StudySerializer
    lookup_field = "slug"
    lookup_url_kwarg = "study_slug"
    lookup_value_regex = SLUG_PATTERN
    query_filters = (
        QueryFilter("status", "status", "Only studies in this state.", choices=Study.Status.values),
        QueryFilter("search", "title__icontains", "Only studies whose title contains this text."),
    )

    def get_queryset(self) -> QuerySet[Study]:
        return studies().order_by("title", "pk")

    def _study(self, result: ImportResult) -> Study:
        return studies().get(pk=result.study.pk)

    @extend_schema(
        summary="Create a study from study-file data", request=StudyFileSerializer, responses={201: StudySerializer}
    )
    def create(self, request: Request) -> Response:
        result = study_edits.study_create(data=valid(StudyFileSerializer, request), actor=self.actor)
        return Response(StudySerializer(self._study(result)).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Replace a study's whole definition", request=StudyFileSerializer, responses=StudySerializer)
    def update(self, request: Request, study_slug: str) -> Response:
        data = valid(StudyFileSerializer, request)
        result = study_edits.study_replace(study=self.get_object(), data=data, actor=self.actor)
        return Response(StudySerializer(self._study(result)).data)

    @extend_schema(summary="Change a study's settings", request=StudySettingsSerializer, responses=StudySerializer)
    @transaction.atomic  # a refused change of the file's fields publishes nothing either
    def partial_update(self, request: Request, study_slug: str) -> Response:
        data = valid(StudySettingsSerializer, request)
        is_public = data.pop("is_report_public", None)
        study = self.get_object()
        if data or is_public is None:
            change = study_edits.settings_change(data)
            study = study_edits.study_change(study=study, change=change, actor=self.actor).study
        if is_public is not None:  # not in the study file: its own service, audited as the admin's toggle is
            study_report_visibility_set(
                study=study, is_public=is_public, actor=self.actor, actor_label=study_edits.actor_label(self.actor)
            )
        return Response(StudySerializer(studies().get(pk=study.pk)).data)

    @extend_schema(summary="Delete a study that never ran", responses={204: None})
    def destroy(self, request: Request, study_slug: str) -> Response:
        study_edits.study_delete(study=self.get_object(), actor=self.actor)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Import a study file (create or update the study with its slug)",
        request={"multipart/form-data": StudyUploadSerializer, "application/json": StudyTextSerializer},
        responses={201: ImportResultSerializer, 200: ImportResultSerializer},
    )
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser, LimitedJSONParser])
    def import_file(self, request: Request) -> Response:
        text, filename = _uploaded_text(request)
        data = load_study_yaml(text, filename)  # parsed once: checked here, then imported as it is
        _check_storable(data)
        result = study_import(data=data, filename=filename, actor_label=study_edits.actor_label(self.actor))
        body = {
            "study": self._study(result),
            "is_created": result.is_created,
            "items_created": result.items_created,
            "items_updated": result.items_updated,
            "items_removed": result.items_removed,
            "warnings": [{"item": w.item, "field": w.field, "message": w.message} for w in result.warnings],
        }
        code = status.HTTP_201_CREATED if result.is_created else status.HTTP_200_OK
        return Response(ImportResultSerializer(body).data, status=code)

    @extend_schema(
        summary="Export a study file (JSON, or YAML with Accept: application/yaml)",
        responses={200: OpenApiResponse(StudyFileSerializer)},
    )
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, StudyYAMLRenderer])
    def export(self, request: Request, study_slug: str) -> Response:
        return Response(study_export(study=self.get_object()))
