"""Records kept for the facilitators: suggestions, report jobs, the audit trail and API tokens."""

from __future__ import annotations

from django.contrib import admin

from surveys import models as m
from surveys.services.api_tokens import api_token_revoke

from .base import ReadOnlyAdmin


@admin.register(m.Suggestion)
class SuggestionAdmin(ReadOnlyAdmin):
    """Accepted or rejected on the dashboard's round preparation page, which makes the item."""

    list_display = ("short_text", "kind", "status", "study", "round", "created_at")
    list_filter = ("study", "kind", "status")
    search_fields = ("text",)

    @admin.display(description="text")
    def short_text(self, obj: m.Suggestion) -> str:
        return obj.text[:80]


@admin.register(m.ReportJob)
class ReportJobAdmin(ReadOnlyAdmin):
    list_display = ("study", "format", "status", "created_at", "finished_at")
    list_filter = ("format", "status", "study")
    search_fields = ("study__slug",)


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
