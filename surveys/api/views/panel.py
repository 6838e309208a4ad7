"""The panel: list, add one expert, change one (name, group, language), import a CSV (preview, then
import), revoke, new link, remove.

The CSV import is two calls with the same file, as stateless as the API: ``import/preview`` says
what importing would do and writes nothing; ``import`` adds every row or nobody (400 naming each bad
line), checking the rows again since the panel may have changed in between.
"""

from __future__ import annotations

from django.db.models import Count, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from surveys.api.errors import Invalid
from surveys.api.filters import QueryFilter
from surveys.api.parsers import LimitedJSONParser
from surveys.api.schema import ID_PATTERN, STUDY
from surveys.api.serializers.panel import (
    LinkSerializer,
    PanelFileSerializer,
    PanelImportedSerializer,
    PanelistAddSerializer,
    PanelistSerializer,
    PanelistUpdateSerializer,
    PanelistWithLinkSerializer,
    PanelPreviewSerializer,
    PanelTextSerializer,
)
from surveys.api.views.base import StudyScopedViewSet, valid
from surveys.models import Panelist
from surveys.services import panel_roster
from surveys.services.mail import expert_link
from surveys.services.panel_import import (
    EMPTY_FILE,
    PanelImportError,
    panel_csv_is_empty,
    panel_import,
    panel_import_preview,
)

CSV_UPLOAD = {"multipart/form-data": PanelFileSerializer, "application/json": PanelTextSerializer}


def _csv_text(request: Request) -> str:
    """The CSV sent as multipart ``file`` or as JSON ``content``; one without any cell is a 400 on that field."""
    if request.content_type.startswith("multipart/"):
        field, text = "file", str(valid(PanelFileSerializer, request)["content"])
    else:
        field, text = "content", str(valid(PanelTextSerializer, request)["content"])
    if panel_csv_is_empty(text):
        empty = str(EMPTY_FILE)
        message = f"{empty[0].upper()}{empty[1:]}."
        raise Invalid(message, {field: [message]})
    return text


@extend_schema(parameters=[STUDY])
@extend_schema_view(
    list=extend_schema(summary="List the panel, with names and emails"),
    retrieve=extend_schema(summary="Read one expert"),
)
class PanelistViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, StudyScopedViewSet):
    serializer_class = PanelistSerializer
    lookup_field = "pk"
    lookup_url_kwarg = "panelist_id"
    lookup_value_regex = ID_PATTERN
    query_filters = (
        QueryFilter("status", "status", "Only experts in this state.", choices=Panelist.Status.values),
        QueryFilter("group", "group", "Only experts of this group."),
        QueryFilter("email", "email__iexact", "Only the expert with this email."),
    )

    def get_queryset(self) -> QuerySet[Panelist]:
        return Panelist.objects.filter(study=self.study).annotate(n_ballots=Count("ballots")).order_by("pseudonym")

    def _show(self, panelist: Panelist) -> Panelist:
        return self.get_queryset().get(pk=panelist.pk)

    @extend_schema(
        summary="Add one expert; the answer holds their link, shown once",
        request=PanelistAddSerializer,
        responses={201: PanelistWithLinkSerializer},
    )
    def create(self, request: Request, study_slug: str) -> Response:
        data = valid(PanelistAddSerializer, request)
        panelist, raw = panel_roster.panelist_add(study=self.study, **data, actor=self.actor)
        body = PanelistWithLinkSerializer(self._show(panelist), context={"link": expert_link(raw)}).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change an expert's name, group or language",
        description=(
            "Any of `name`, `group` and `language`; other fields are refused (400 naming them). The "
            "language must be one of the study's declared languages (the site's, en and ru, when it "
            "declares none); name and group have the panel CSV's limits. Recorded in the audit trail "
            "as `panelist.updated`, with the fields changed."
        ),
        request=PanelistUpdateSerializer,
        responses=PanelistSerializer,
    )
    def partial_update(self, request: Request, study_slug: str, panelist_id: str) -> Response:
        data = valid(PanelistUpdateSerializer, request)
        changed = panel_roster.panelist_update(panelist=self.get_object(), actor=self.actor, **data)
        return Response(PanelistSerializer(self._show(changed)).data)

    @extend_schema(summary="Remove an expert who has not answered (revoke one who has)", responses={204: None})
    def destroy(self, request: Request, study_slug: str, panelist_id: str) -> Response:
        panel_roster.panelist_remove(panelist=self.get_object(), actor=self.actor)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Revoke an expert: their link stops working, their answers stay",
        request=None,
        responses=PanelistSerializer,
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, study_slug: str, panelist_id: str) -> Response:
        revoked = panel_roster.panelist_revoke(panelist=self.get_object(), actor=self.actor)
        return Response(PanelistSerializer(self._show(revoked)).data)

    @extend_schema(
        summary="Issue a new personal link (the old one stops working)", request=None, responses=LinkSerializer
    )
    @action(detail=True, methods=["post"])
    def link(self, request: Request, study_slug: str, panelist_id: str) -> Response:
        raw = panel_roster.panelist_link_issue(panelist=self.get_object(), actor=self.actor)
        return Response({"link": expert_link(raw)})

    @extend_schema(
        summary="Check a panel CSV: what importing it would do (nothing is written)",
        request=CSV_UPLOAD,
        responses=PanelPreviewSerializer,
    )
    @action(
        detail=False, methods=["post"], url_path="import/preview", parser_classes=[MultiPartParser, LimitedJSONParser]
    )
    def import_preview(self, request: Request, study_slug: str) -> Response:
        preview = panel_import_preview(study=self.study, text=_csv_text(request))
        body = {"is_valid": preview.is_valid, "rows": preview.rows, "errors": preview.errors}
        return Response(PanelPreviewSerializer(body).data)

    @extend_schema(
        summary="Import a panel CSV: every row, or nobody", request=CSV_UPLOAD, responses={201: PanelImportedSerializer}
    )
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser, LimitedJSONParser])
    def import_file(self, request: Request, study_slug: str) -> Response:
        preview = panel_import_preview(study=self.study, text=_csv_text(request))
        if not preview.is_valid:
            raise PanelImportError(preview.errors)  # answered as a 400 naming each line (surveys.api.errors)
        added = panel_import(study=self.study, rows=preview.rows, actor=self.actor)
        body = {"added": len(added), "panelists": self.get_queryset().filter(pk__in=[p.pk for p in added])}
        return Response(PanelImportedSerializer(body).data, status=status.HTTP_201_CREATED)
