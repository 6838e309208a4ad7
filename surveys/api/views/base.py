"""What every facilitator view shares: staff only, filters, and the study named by the URL."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from rest_framework import viewsets
from rest_framework.request import Request
from rest_framework.serializers import Serializer

from surveys.api.errors import Invalid, flatten
from surveys.api.filters import QueryFilter, QueryFilterBackend
from surveys.api.permissions import IsStaff
from surveys.models import Round, Study


def count_of(model: type[Any], parent: str, **conditions: Any) -> Coalesce:
    """How many ``model`` rows point at each row through ``parent`` (matching ``conditions``), as a
    subquery: counting several relations by JOIN would multiply their rows by each other."""
    rows = (
        model.objects.filter(**{parent: OuterRef("pk")}, **conditions)
        .order_by()
        .values(parent)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


class StaffViewSet(viewsets.GenericViewSet):
    """A facilitator's view set: staff only (session or API token), filtered by ``query_filters``."""

    permission_classes = [IsStaff]
    filter_backends = [QueryFilterBackend]
    query_filters: tuple[QueryFilter, ...] = ()

    @property
    def actor(self) -> AbstractBaseUser:
        """The signed-in facilitator, for the audit trail (``IsStaff`` has checked who it is)."""
        user = self.request.user
        assert isinstance(user, AbstractBaseUser)
        return user


class StudyScopedViewSet(StaffViewSet):
    """A view set under ``/studies/{study_slug}/``: an unknown slug is a 404 before anything else."""

    @cached_property
    def study(self) -> Study:
        return get_object_or_404(Study, slug=self.kwargs["study_slug"])


class RoundScopedViewSet(StudyScopedViewSet):
    """A view set under ``/studies/{study_slug}/rounds/{round_number}/``."""

    @cached_property
    def round(self) -> Round:
        return get_object_or_404(
            Round.objects.select_related("study"), study=self.study, number=self.kwargs["round_number"]
        )


def valid(serializer_class: type[Serializer], request: Request, **kwargs: Any) -> dict[str, Any]:
    """The request body checked by ``serializer_class``: its validated data, or a 400 naming each field."""
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def refuse_unknown(positions: dict[int, str], field: str) -> None:
    """A 400 for unknown codes in a list field, e.g. ``{"items[2]": ["There is no item 'C9'..."]}``."""
    if positions:
        detail = {field: {n: [message] for n, message in positions.items()}}
        raise Invalid("Some codes are unknown; nothing was changed.", flatten(detail))
