"""A study's items, dimensions and sections. Reads come from the models; writes go through the
study-file importer (``surveys.services.study_edits``), so an answered item or scale cannot change."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer

from surveys.api.filters import QueryFilter
from surveys.api.schema import CODE_PATTERN, KEY_PATTERN, STUDY
from surveys.api.serializers.studies import DimensionSerializer, ItemSerializer, SectionSerializer
from surveys.api.serializers.study_file import (
    DimensionChangeSerializer,
    DimensionFileSerializer,
    ItemChangeSerializer,
    ItemFileSerializer,
)
from surveys.api.views.base import StudyScopedViewSet, valid
from surveys.models import Dimension, Item, Section
from surveys.services import study_edits
from surveys.study_format import KINDS


class _Editable(mixins.ListModelMixin, mixins.RetrieveModelMixin, StudyScopedViewSet):
    """Create, change and remove one entry of the study file's ``collection``, keyed by ``field``."""

    collection = ""
    field = ""
    read_serializer: type[Serializer] = Serializer
    create_serializer: type[Serializer] = Serializer
    change_serializer: type[Serializer] = Serializer

    def _edit(self, change: Any) -> None:
        study_edits.study_change(study=self.study, change=change, actor=self.actor)

    def _read(self, value: str, code: int = status.HTTP_200_OK) -> Response:
        entry = self.get_queryset().get(**{self.field: value})
        return Response(self.read_serializer(entry).data, status=code)

    def create(self, request: Request, study_slug: str) -> Response:
        data = valid(self.create_serializer, request)
        self._edit(study_edits.entry_add(self.collection, self.field, data))
        return self._read(data[self.field], status.HTTP_201_CREATED)

    def partial_update(self, request: Request, study_slug: str, **kwargs: str) -> Response:
        value = getattr(self.get_object(), self.field)
        changes = valid(self.change_serializer, request, partial=True)
        self._edit(study_edits.entry_update(self.collection, self.field, value, changes))
        return self._read(value)

    def destroy(self, request: Request, study_slug: str, **kwargs: str) -> Response:
        value = getattr(self.get_object(), self.field)
        self._edit(study_edits.entry_remove(self.collection, self.field, value))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(parameters=[STUDY])
@extend_schema_view(
    list=extend_schema(summary="List a study's items"),
    retrieve=extend_schema(summary="Read an item"),
    create=extend_schema(summary="Add an item", request=ItemFileSerializer, responses={201: ItemSerializer}),
    partial_update=extend_schema(summary="Change an item", request=ItemChangeSerializer, responses=ItemSerializer),
    destroy=extend_schema(summary="Remove an item that was never in an opened round", responses={204: None}),
)
class ItemViewSet(_Editable):
    serializer_class = ItemSerializer
    read_serializer = ItemSerializer
    create_serializer = ItemFileSerializer
    change_serializer = ItemChangeSerializer
    collection, field = "items", "code"
    lookup_field = "code"
    lookup_value_regex = CODE_PATTERN
    query_filters = (
        QueryFilter("kind", "kind", "Only items of this kind.", choices=KINDS),
        QueryFilter("section", "section__key", "Only items in this section (its key)."),
        QueryFilter("dimension", "dimensions__key", "Only items rated on this dimension (its key)."),
    )

    def get_queryset(self) -> QuerySet[Item]:
        return (
            Item.objects.filter(study=self.study)
            .select_related("section", "replaces")
            .prefetch_related("dimensions")
            .order_by("order", "code")
        )


@extend_schema(parameters=[STUDY])
@extend_schema_view(
    list=extend_schema(summary="List a study's dimensions (rating scales)"),
    retrieve=extend_schema(summary="Read a dimension"),
    create=extend_schema(
        summary="Add a dimension", request=DimensionFileSerializer, responses={201: DimensionSerializer}
    ),
    partial_update=extend_schema(
        summary="Change a dimension that has no answers",
        request=DimensionChangeSerializer,
        responses=DimensionSerializer,
    ),
    destroy=extend_schema(summary="Remove a dimension no item is rated on", responses={204: None}),
)
class DimensionViewSet(_Editable):
    serializer_class = DimensionSerializer
    read_serializer = DimensionSerializer
    create_serializer = DimensionFileSerializer
    change_serializer = DimensionChangeSerializer
    collection, field = "dimensions", "key"
    lookup_field = "key"
    lookup_value_regex = KEY_PATTERN

    def get_queryset(self) -> QuerySet[Dimension]:
        return Dimension.objects.filter(study=self.study).order_by("order")


@extend_schema(parameters=[STUDY])
@extend_schema_view(list=extend_schema(summary="List a study's sections (edit them through the study file)"))
class SectionViewSet(mixins.ListModelMixin, StudyScopedViewSet):
    serializer_class = SectionSerializer

    def get_queryset(self) -> QuerySet[Section]:
        return Section.objects.filter(study=self.study).order_by("order")
