"""The panel and what reaches it: experts (revoked by an action), deliveries and the emails' wording."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from surveys import models as m
from surveys.errors import DomainError
from surveys.services.message_templates import (
    MessageTemplateInvalid,
    message_template_check,
    message_template_reset,
    message_template_save,
)
from surveys.services.panel_roster import panelist_revoke

from .base import ReadOnlyAdmin, ServiceAdmin, acting_user


@admin.register(m.Panelist)
class PanelistAdmin(ReadOnlyAdmin):
    """Shown, not edited: the panel page adds, removes and issues links, and revoking (final) is the
    action here. A status is never set by hand, so nobody revoked is let back in."""

    list_display = ("pseudonym", "email", "group", "status", "is_synthetic", "consent_at", "study")
    list_filter = ("study", "status", "group", "is_synthetic")
    search_fields = ("pseudonym", "email", "name", "group")
    exclude = ("token_hash",)
    actions = ["revoke"]

    @admin.action(description="Revoke the selected experts (final: their link and email stop)")
    def revoke(self, request: HttpRequest, queryset: QuerySet[m.Panelist]) -> None:
        done, refused = 0, []
        for panelist in queryset.exclude(status=m.Panelist.Status.REVOKED):
            try:
                panelist_revoke(panelist=panelist, actor=acting_user(request))
                done += 1
            except DomainError as exc:
                refused.append(str(exc))
        self.message_user(request, f"Revoked {done} expert(s).")
        for reason in refused:
            self.message_user(request, reason, messages.ERROR)


@admin.register(m.DeliveryLog)
class DeliveryLogAdmin(ReadOnlyAdmin):
    list_display = ("panelist", "round", "kind", "sent_at")
    list_filter = ("kind", "round__study")
    search_fields = ("panelist__pseudonym", "panelist__email")


class MessageTemplateForm(forms.ModelForm):
    """Runs the same check as the dashboard and the API, so a refusal is shown at the part that is wrong."""

    class Meta:
        model = m.MessageTemplate
        fields = ("study", "kind", "subject", "body")

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        study = cleaned.get("study") or (self.instance.study if self.instance.pk else None)
        kind = cleaned.get("kind") or self.instance.kind
        if study is not None and kind and "subject" in cleaned and "body" in cleaned:
            try:
                message_template_check(kind=kind, subject=cleaned["subject"], body=cleaned["body"], study=study)
            except MessageTemplateInvalid as exc:
                self.add_error(exc.field if exc.field in self.fields else None, str(exc))
        return cleaned


@admin.register(m.MessageTemplate)
class MessageTemplateAdmin(ServiceAdmin):
    """Saved by ``message_template_save`` (checked and audited); deleting goes back to the built-in wording."""

    form = MessageTemplateForm
    list_display = ("study", "kind", "subject", "updated_at")
    list_filter = ("study", "kind")
    search_fields = ("subject", "body")

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        return ("study", "kind", "updated_at") if obj is not None else ("updated_at",)

    def save_model(self, request, obj, form, change) -> None:  # type: ignore[no-untyped-def]
        saved = message_template_save(
            study=obj.study, kind=obj.kind, subject=obj.subject, body=obj.body, actor=acting_user(request)
        )
        obj.pk, obj.subject, obj.body, obj.updated_at = saved.pk, saved.subject, saved.body, saved.updated_at

    def delete_model(self, request, obj) -> None:  # type: ignore[no-untyped-def]
        message_template_reset(study=obj.study, kind=obj.kind, actor=acting_user(request))

    def delete_queryset(self, request, queryset) -> None:  # type: ignore[no-untyped-def]
        for template in queryset.select_related("study"):
            self.delete_model(request, template)
