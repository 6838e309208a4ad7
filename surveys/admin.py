"""Django admin for every model, with list columns, filters and search that facilitators use."""

from __future__ import annotations

from django.contrib import admin

from surveys import models as m
from surveys.services.api_tokens import api_token_revoke


class ReadOnlyAdmin(admin.ModelAdmin):
    """Computed or append-only records: visible, never edited by hand."""

    def has_add_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


class SectionInline(admin.TabularInline):
    model = m.Section
    extra = 0


class DimensionInline(admin.TabularInline):
    model = m.Dimension
    extra = 0


@admin.register(m.Study)
class StudyAdmin(admin.ModelAdmin):
    list_display = ("title", "slug", "status", "consensus_rule_frozen_at", "min_group_size", "updated_at")
    list_filter = ("status", "is_report_public")
    search_fields = ("title", "slug", "description")
    readonly_fields = ("consensus_rule_frozen_at", "created_at", "updated_at")
    inlines = [SectionInline, DimensionInline]


@admin.register(m.Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ("title", "key", "study", "order")
    list_filter = ("study",)
    search_fields = ("title", "key")


@admin.register(m.Dimension)
class DimensionAdmin(admin.ModelAdmin):
    list_display = ("label", "key", "study", "scale_min", "scale_max", "agree_low", "agree_high")
    list_filter = ("study",)
    search_fields = ("label", "key")


@admin.register(m.Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = ("code", "kind", "section", "short_text", "source_ref", "replaces", "order")
    list_filter = ("study", "kind", "section")
    search_fields = ("code", "text", "source_ref")
    list_select_related = ("section", "replaces")
    filter_horizontal = ("dimensions",)

    @admin.display(description="text")
    def short_text(self, obj: m.Item) -> str:
        return obj.text[:80]


@admin.register(m.Panelist)
class PanelistAdmin(admin.ModelAdmin):
    list_display = ("pseudonym", "email", "group", "status", "is_synthetic", "consent_at", "study")
    list_filter = ("study", "status", "group", "is_synthetic")
    search_fields = ("pseudonym", "email", "name", "group")
    exclude = ("token_hash",)
    readonly_fields = ("token_issued_at", "consent_at", "created_at")


class RoundItemInline(admin.TabularInline):
    model = m.RoundItem
    extra = 0
    raw_id_fields = ("item",)


@admin.register(m.Round)
class RoundAdmin(admin.ModelAdmin):
    list_display = ("study", "number", "status", "opens_at", "closes_at", "opened_at", "closed_at", "is_live_feedback")
    list_filter = ("status", "study", "is_live_feedback")
    search_fields = ("study__title", "study__slug")
    readonly_fields = ("status", "opened_at", "closed_at", "aggregated_at")
    inlines = [RoundItemInline]


@admin.register(m.RoundItem)
class RoundItemAdmin(admin.ModelAdmin):
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


@admin.register(m.Suggestion)
class SuggestionAdmin(admin.ModelAdmin):
    list_display = ("short_text", "kind", "status", "study", "round", "created_at")
    list_filter = ("study", "kind", "status")
    search_fields = ("text",)
    raw_id_fields = ("panelist", "prompt_item", "target_item", "created_item")

    @admin.display(description="text")
    def short_text(self, obj: m.Suggestion) -> str:
        return obj.text[:80]


@admin.register(m.ReportJob)
class ReportJobAdmin(ReadOnlyAdmin):
    list_display = ("study", "format", "status", "created_at", "finished_at")
    list_filter = ("format", "status", "study")
    search_fields = ("study__slug",)


@admin.register(m.DeliveryLog)
class DeliveryLogAdmin(ReadOnlyAdmin):
    list_display = ("panelist", "round", "kind", "sent_at")
    list_filter = ("kind", "round__study")
    search_fields = ("panelist__pseudonym", "panelist__email")


@admin.register(m.MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ("study", "kind", "subject", "updated_at")
    list_filter = ("study", "kind")
    search_fields = ("subject", "body")


@admin.register(m.AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "study", "action", "actor_label", "round", "item")
    list_select_related = ("study", "round__study", "item")  # round and item may be empty: not joined by default
    list_filter = ("action", "study")
    search_fields = ("action", "actor_label")


@admin.register(m.ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    """Issued with ``manage.py api_token create`` (the key is shown once); revoked here or there."""

    list_display = ("prefix", "user", "name", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("prefix", "name", "user__username")
    exclude = ("key_hash",)
    actions = ["revoke"]

    @admin.action(description="Revoke the selected API tokens")
    def revoke(self, request, queryset) -> None:  # type: ignore[no-untyped-def]
        for token in queryset:
            api_token_revoke(token=token)
        self.message_user(request, f"Revoked {queryset.count()} token(s).")
