"""Rounds and what they gathered: ballots, ratings, their revisions and the statistics, shown only;
a round's deadline is the one field that changes here."""

from __future__ import annotations

from django.contrib import admin

from surveys import models as m
from surveys.services.rounds import round_deadline_set

from .base import ReadOnlyAdmin, ServiceAdmin, ShownInline, acting_user


class RoundItemInline(ShownInline):
    """Shown only: a draft round's items are edited on the dashboard's round preparation page."""

    model = m.RoundItem
    fields = readonly_fields = ("item", "order")


@admin.register(m.Round)
class RoundAdmin(ServiceAdmin):
    """Only the deadline of a draft or open round changes here (``round_deadline_set``, audited);
    opening, closing and aggregating are the dashboard's actions."""

    list_display = ("study", "number", "status", "opens_at", "closes_at", "opened_at", "closed_at", "is_live_feedback")
    list_filter = ("status", "study", "is_live_feedback")
    search_fields = ("study__title", "study__slug")
    fields = (
        "study",
        "number",
        "status",
        "closes_at",
        "opens_at",
        "opened_at",
        "closed_at",
        "aggregated_at",
        "is_live_feedback",
    )
    inlines = [RoundItemInline]

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        deadline_open = obj is not None and obj.status in (m.Round.Status.DRAFT, m.Round.Status.OPEN)
        return [name for name in self.fields if not (name == "closes_at" and deadline_open)]

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False  # rounds are created on the dashboard (or by the CLI or API), with their items

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def save_model(self, request, obj, form, change) -> None:  # type: ignore[no-untyped-def]
        if "closes_at" in form.changed_data:
            round_deadline_set(round=obj, closes_at=form.cleaned_data["closes_at"], actor=acting_user(request))
        obj.refresh_from_db()


@admin.register(m.RoundItem)
class RoundItemAdmin(ReadOnlyAdmin):
    list_display = ("round", "item", "order")
    list_filter = ("round__study", "round__number")
    search_fields = ("item__code", "item__text")
    list_select_related = ("round__study", "item")


@admin.register(m.Ballot)
class BallotAdmin(ReadOnlyAdmin):
    list_display = ("panelist", "round", "status", "submitted_at", "updated_at")
    list_filter = ("status", "round__study", "round__number")
    search_fields = ("panelist__pseudonym",)
    list_select_related = ("panelist", "round__study")


@admin.register(m.Rating)
class RatingAdmin(ReadOnlyAdmin):
    list_display = ("ballot", "round_item", "dimension", "value", "updated_at")
    list_filter = ("dimension__key", "ballot__round__study", "ballot__round__number")
    search_fields = ("round_item__item__code", "ballot__panelist__pseudonym", "rationale")
    list_select_related = (
        "ballot__panelist",
        "ballot__round__study",
        "round_item__item",
        "round_item__round",
        "dimension",
    )


@admin.register(m.RatingRevision)
class RatingRevisionAdmin(ReadOnlyAdmin):
    list_display = ("rating", "value", "saved_at")
    search_fields = ("rating__round_item__item__code",)
    list_select_related = ("rating__round_item__item", "rating__dimension", "rating__round_item__round")


@admin.register(m.ItemStatistic)
class ItemStatisticAdmin(ReadOnlyAdmin):
    list_display = ("round_item", "dimension", "group", "n", "median", "iqr", "pct_agree", "verdict", "is_stable")
    list_filter = ("round__study", "round__number", "verdict", "group", "dimension__key")
    search_fields = ("round_item__item__code",)
    list_select_related = ("round_item__item", "round_item__round__study", "dimension")


@admin.register(m.RoundStatistic)
class RoundStatisticAdmin(ReadOnlyAdmin):
    list_display = ("round", "response_rate", "apmo", "n_in", "n_out", "n_none", "is_stop_met", "computed_at")
    list_filter = ("round__study", "is_stop_met")
    search_fields = ("round__study__slug",)


@admin.register(m.ItemThemes)
class ItemThemesAdmin(ReadOnlyAdmin):
    list_display = ("round_item", "round", "n_rationales", "computed_at")
    list_filter = ("round__study", "round__number")
    search_fields = ("round_item__item__code",)
    list_select_related = ("round_item__item", "round__study")
