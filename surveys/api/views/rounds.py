"""Rounds and their lifecycle (POST actions), a draft round's items, and a round's statistics."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from surveys.api.filters import QueryFilter
from surveys.api.schema import CODE_PATTERN, ID_PATTERN, ROUND, STUDY
from surveys.api.serializers.rounds import (
    DeadlineSerializer,
    ItemStatisticSerializer,
    QueuedSerializer,
    RewordSerializer,
    RoundCreateSerializer,
    RoundItemAddSerializer,
    RoundItemSerializer,
    RoundNextSerializer,
    RoundOpenSerializer,
    RoundSerializer,
)
from surveys.api.views.base import RoundScopedViewSet, StudyScopedViewSet, count_of, refuse_unknown, valid
from surveys.models import Ballot, Item, ItemStatistic, Round, RoundItem, Study
from surveys.services import round_items
from surveys.services import rounds as lifecycle
from surveys.services.mail import invitations_request, reminders_request


def _items_by_code(study: Study, codes: list[str]) -> tuple[list[Item], dict[int, str]]:
    """The study's items for ``codes`` in that order, and {position: message} for each unknown code."""
    found = {i.code: i for i in Item.objects.filter(study=study, code__in=codes)}
    unknown = {n: f"There is no item '{code}' in this study." for n, code in enumerate(codes) if code not in found}
    return [found[c] for c in codes if c in found], unknown


def _queued(message: str) -> Response:
    return Response({"detail": message}, status=status.HTTP_202_ACCEPTED)


@extend_schema(parameters=[STUDY])
@extend_schema_view(
    list=extend_schema(summary="List a study's rounds"),
    retrieve=extend_schema(summary="Read a round, with its turnout and statistics summary"),
)
class RoundViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, StudyScopedViewSet):
    """Rounds go ``draft → open → closed → aggregated`` by POST actions; an illegal move is a 409."""

    serializer_class = RoundSerializer
    lookup_field = "number"
    lookup_url_kwarg = "round_number"
    lookup_value_regex = ID_PATTERN
    query_filters = (QueryFilter("status", "status", "Only rounds in this state.", choices=Round.Status.values),)

    # A round past its deadline is closed before it is read or moved (``round_close_if_due``): free
    # before the deadline, since the test is on the rows already loaded; re-read once it has closed.
    def get_object(self) -> Round:
        round_ = super().get_object()
        return super().get_object() if lifecycle.round_close_if_due(round=round_) else round_

    def paginate_queryset(self, queryset: QuerySet[Round]) -> list[Round] | None:
        page = super().paginate_queryset(queryset)
        if page is not None and any([lifecycle.round_close_if_due(round=r) for r in page]):  # touch every one
            page = super().paginate_queryset(queryset)
        return page

    @property
    def zone(self) -> dict[str, str]:
        """Serializer context: a deadline typed without an offset is read in the study's time zone."""
        return {"time_zone": self.study.time_zone}

    def get_queryset(self) -> QuerySet[Round]:
        return (
            Round.objects.filter(study=self.study)
            .select_related("statistic")
            .annotate(
                n_items=count_of(RoundItem, "round"),
                n_submitted=count_of(Ballot, "round", status=Ballot.Status.SUBMITTED),
                n_drafts=count_of(Ballot, "round", status=Ballot.Status.DRAFT),
            )
            .order_by("number")
        )

    def _show(self, round_: Round, code: int = status.HTTP_200_OK) -> Response:
        return Response(RoundSerializer(self.get_queryset().get(pk=round_.pk)).data, status=code)

    def _items(self, codes: list[str] | None, field: str) -> list[Item] | None:
        if codes is None:
            return None
        items, unknown = _items_by_code(self.study, codes)
        refuse_unknown(unknown, field)
        return items

    @extend_schema(
        summary="Create the first (or a further) round as a draft",
        request=RoundCreateSerializer,
        responses={201: RoundSerializer},
    )
    def create(self, request: Request, study_slug: str) -> Response:
        data = valid(RoundCreateSerializer, request, context=self.zone)
        items = self._items(data.get("items"), "items")
        created = lifecycle.round_create(
            study=self.study, items=items, closes_at=data.get("closes_at"), actor=self.actor
        )
        return self._show(created, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Create the next round: undecided items carry forward",
        request=RoundNextSerializer,
        responses={201: RoundSerializer},
    )
    @action(detail=False, methods=["post"])
    def next(self, request: Request, study_slug: str) -> Response:
        data = valid(RoundNextSerializer, request, context=self.zone)
        drop, add = self._items(data.get("drop", []), "drop"), self._items(data.get("add", []), "add")
        created = lifecycle.round_next(
            study=self.study, drop=drop, add=add, closes_at=data.get("closes_at"), actor=self.actor
        )
        return self._show(created, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Open a draft round (round 1 freezes the rules)", request=RoundOpenSerializer, responses=RoundSerializer
    )
    @action(detail=True, methods=["post"])
    def open(self, request: Request, study_slug: str, round_number: str) -> Response:
        data = valid(RoundOpenSerializer, request, context=self.zone)
        opened = lifecycle.round_open(
            round=self.get_object(),
            closes_at=data.get("closes_at"),
            actor=self.actor,
            invite=data["send_invitations"],
            allow_fallback=data["allow_fallback"],
        )
        return self._show(opened)

    @extend_schema(
        summary="Close an open round; its statistics are computed next", request=None, responses=RoundSerializer
    )
    @action(detail=True, methods=["post"])
    def close(self, request: Request, study_slug: str, round_number: str) -> Response:
        return self._show(lifecycle.round_close(round=self.get_object(), actor=self.actor))

    @extend_schema(summary="Compute a closed round's statistics again", request=None, responses={202: QueuedSerializer})
    @action(detail=True, methods=["post"])
    def aggregate(self, request: Request, study_slug: str, round_number: str) -> Response:
        round_ = self.get_object()
        lifecycle.round_aggregate_request(round=round_)
        return _queued(f"The statistics of round {round_.number} are being computed.")

    @extend_schema(
        summary="Set or clear the deadline of a draft or open round",
        request=DeadlineSerializer,
        responses=RoundSerializer,
    )
    @action(detail=True, methods=["post"])
    def deadline(self, request: Request, study_slug: str, round_number: str) -> Response:
        data = valid(DeadlineSerializer, request, context=self.zone)
        return self._show(
            lifecycle.round_deadline_set(round=self.get_object(), closes_at=data["closes_at"], actor=self.actor)
        )

    @extend_schema(
        summary="Email the invitations of an open round (each expert once)",
        request=None,
        responses={202: QueuedSerializer},
    )
    @action(detail=True, methods=["post"])
    def invitations(self, request: Request, study_slug: str, round_number: str) -> Response:
        invitations_request(round=self.get_object())
        return _queued("The invitations are on their way.")

    @extend_schema(
        summary="Email reminders to experts who have not submitted", request=None, responses={202: QueuedSerializer}
    )
    @action(detail=True, methods=["post"])
    def reminders(self, request: Request, study_slug: str, round_number: str) -> Response:
        reminders_request(round=self.get_object())
        return _queued("The reminders are on their way.")


@extend_schema(parameters=[STUDY, ROUND])
@extend_schema_view(list=extend_schema(summary="List a round's items in order"))
class RoundItemViewSet(mixins.ListModelMixin, RoundScopedViewSet):
    """A round's items; while it is a draft, items can be added, dropped and reworded."""

    serializer_class = RoundItemSerializer
    lookup_field = "item_code"
    lookup_value_regex = CODE_PATTERN

    def get_queryset(self) -> QuerySet[RoundItem]:
        return RoundItem.objects.filter(round=self.round).select_related("item__replaces").order_by("order")

    def _item(self, code: str) -> Item:
        return get_object_or_404(Item, study=self.study, code=code)

    @extend_schema(
        summary="Add an item of the study to a draft round",
        request=RoundItemAddSerializer,
        responses={201: RoundItemSerializer},
    )
    def create(self, request: Request, study_slug: str, round_number: str) -> Response:
        code = valid(RoundItemAddSerializer, request)["item"]
        items, unknown = _items_by_code(self.study, [code])
        if unknown:
            refuse_unknown({0: unknown[0]}, "item")
        added = round_items.round_item_add(round=self.round, item=items[0], actor=self.actor)
        return Response(RoundItemSerializer(self.get_queryset().get(pk=added.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Drop an item from a draft round", responses={204: None})
    def destroy(self, request: Request, study_slug: str, round_number: str, item_code: str) -> Response:
        round_items.round_item_drop(round=self.round, item=self._item(item_code), actor=self.actor)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Reword an item of a draft round (a new item keeps the lineage)",
        request=RewordSerializer,
        responses=RoundItemSerializer,
    )
    @action(detail=True, methods=["post"])
    def reword(self, request: Request, study_slug: str, round_number: str, item_code: str) -> Response:
        data = valid(RewordSerializer, request)
        new = round_items.item_reword(
            round=self.round,
            item=self._item(item_code),
            text=data["text"],
            code=data.get("code") or None,
            actor=self.actor,
        )
        return Response(RoundItemSerializer(self.get_queryset().get(item=new)).data)


@extend_schema(parameters=[STUDY, ROUND])
@extend_schema_view(list=extend_schema(summary="A round's statistics per item, dimension and group"))
class StatisticViewSet(mixins.ListModelMixin, RoundScopedViewSet):
    """Item statistics of an aggregated (or live) round. ``group=`` (empty) is the whole panel.

    A group is listed for an item and dimension only where it gave at least the study's
    ``min_group_size`` valid ratings (:func:`surveys.stats.is_shown`); aggregation stores no
    other group row, and this list checks again.
    """

    serializer_class = ItemStatisticSerializer
    query_filters = (
        QueryFilter("item", "round_item__item__code", "Only this item (its code)."),
        QueryFilter("dimension", "dimension__key", "Only this dimension (its key)."),
        QueryFilter("group", "group", "Only this panelist group; empty for the whole panel."),
    )

    def get_queryset(self) -> QuerySet[ItemStatistic]:
        return (
            ItemStatistic.objects.filter(round=self.round)
            .filter(Q(group="") | Q(n__gte=self.study.min_group_size))  # the anonymity rule, checked again
            .select_related("round_item__item", "dimension")
            .order_by("round_item__order", "dimension__order", "group")
        )
