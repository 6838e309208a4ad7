"""Django admin for every model, with list columns, filters and search that facilitators use.

The admin keeps the domain's promises. It is read-only wherever the domain is frozen (a frozen
consensus rule, the scale of a rated dimension, the wording of an answered item, the items of a
round that has opened, a panelist's or a round's status), and every save that changes state goes
through the same service as the dashboard and the API, with its validation and its audit event:

- a study's fields that its study file holds, an item, a dimension and a section: the study-file
  importer (``surveys.api.study_edits.study_change``), whose guards refuse what would alter answers;
- a round's deadline: ``round_deadline_set``; whether a study's report is public:
  ``study_report_visibility_set``; an email's wording: ``message_template_save`` (and deleting one is
  ``message_template_reset``); revoking experts: an action calling ``panelist_revoke``.

What no service changes (a round's status or items, a panelist's status or details, suggestions,
ballots, statistics, the audit trail) is shown, not edited: the dashboard's pages make those moves.
A refused save shows the form again with the service's reason; nothing of it is stored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.http import HttpRequest

from surveys import models as m
from surveys.api import study_edits
from surveys.errors import DomainError
from surveys.services.api_tokens import api_token_revoke
from surveys.services.message_templates import (
    MessageTemplateInvalid,
    message_template_check,
    message_template_reset,
    message_template_save,
)
from surveys.services.panel_roster import panelist_revoke
from surveys.services.rounds import round_deadline_set
from surveys.services.study_settings import study_report_visibility_set

Change = Callable[[dict[str, Any]], None]


def _actor(request: HttpRequest) -> AbstractBaseUser:
    user = request.user
    assert isinstance(user, AbstractBaseUser)  # the admin admits signed-in staff only
    return user


class ReadOnlyAdmin(admin.ModelAdmin):
    """Computed or append-only records: visible, never edited or deleted by hand."""

    def has_add_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


class ServiceAdmin(admin.ModelAdmin):
    """An admin whose saves call a service (``save_model``) instead of writing the row.

    A refusal (a ``DomainError``) rolls the whole request back, since the admin wraps it in one
    transaction, and the form is shown again with the reason as its error.
    """

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):  # type: ignore[no-untyped-def]
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            request._service_refusal = exc  # type: ignore[attr-defined]  # read by get_form on the second pass
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):  # type: ignore[no-untyped-def]
        form = super().get_form(request, obj, change, **kwargs)
        refusal = getattr(request, "_service_refusal", None)
        if refusal is None:
            return form

        class Refused(form):  # type: ignore[valid-type,misc]
            def clean(self) -> dict[str, Any]:
                cleaned: dict[str, Any] = super().clean() or {}
                field = getattr(refusal, "field", None)
                self.add_error(field if field in self.fields else None, f"Nothing was saved: {refusal}")
                return cleaned

        Refused.__name__ = form.__name__
        return Refused

    def save_related(self, request, form, formsets, change) -> None:  # type: ignore[no-untyped-def]
        """The service saved the relations too (an item's dimensions); nothing is written behind it.
        The inlines here are read-only, so they have nothing to save (the change message reads these)."""
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


def _frozen_fields(admin_: admin.ModelAdmin, frozen: bool, fields: tuple[str, ...]) -> list[str]:
    """The admin's read-only fields, plus ``fields`` once the domain has frozen them."""
    return [*admin_.readonly_fields, *(fields if frozen else ())]


# --- the study and what it asks -------------------------------------------------------------------------


# Study fields held by the study file: model field -> (section, key) in the file's data.
STUDY_FILE_FIELDS: dict[str, tuple[str, ...]] = {
    "title": ("title",),
    "description": ("description",),
    "source_citation": ("source", "citation"),
    "source_references": ("source", "references"),
    "min_group_size": ("settings", "min_group_size"),
    "outside_iqr_reason": ("settings", "outside_iqr_reason"),
    "has_expertise_weighting": ("settings", "expertise_weighting"),
    "time_zone": ("settings", "time_zone"),
    "consensus_rule": ("consensus_rule",),
    "stopping_rule": ("stopping_rule",),
}


def _set_paths(values: dict[tuple[str, ...], Any]) -> Change:
    def apply(data: dict[str, Any]) -> None:
        for path, value in values.items():
            target = data
            for key in path[:-1]:
                target = target.setdefault(key, {})
            target[path[-1]] = value

    return apply


class _ShownInline(admin.TabularInline):
    """Rows shown on their parent's page, never edited there."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


class SectionInline(_ShownInline):
    model = m.Section
    fields = readonly_fields = ("key", "title", "order")


class DimensionInline(_ShownInline):
    model = m.Dimension
    fields = readonly_fields = (
        "key", "label", "scale_min", "scale_max", "agree_low", "agree_high", "disagree_low", "disagree_high",
    )  # fmt: skip


@admin.register(m.Study)
class StudyAdmin(ServiceAdmin):
    """Studies are created by importing a study file; here their fields change through the importer.

    The consensus rule is read-only once frozen (round 1 opened). The stopping rule may change later
    (a facilitator may extend a study): the importer accepts it and records ``study.updated``.
    """

    list_display = ("title", "slug", "status", "consensus_rule_frozen_at", "min_group_size", "updated_at")
    list_filter = ("status", "is_report_public")
    search_fields = ("title", "slug", "description")
    readonly_fields = ("slug", "status", "consensus_rule_frozen_at", "created_at", "updated_at")
    inlines = [SectionInline, DimensionInline]

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        return _frozen_fields(self, obj is not None and obj.is_rule_frozen, ("consensus_rule",))

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False  # a study is created by importing its study file (dashboard, CLI or API)

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        """Only a study that never ran, as ``study_delete`` allows; never in bulk."""
        return (
            obj is not None and obj.status == m.Study.Status.DRAFT and not obj.rounds.exclude(status="draft").exists()
        )

    def delete_model(self, request, obj) -> None:  # type: ignore[no-untyped-def]
        study_edits.study_delete(study=obj)

    def save_model(self, request, obj, form, change) -> None:  # type: ignore[no-untyped-def]
        actor = _actor(request)
        changed = set(form.changed_data)
        in_file = {STUDY_FILE_FIELDS[name]: form.cleaned_data[name] for name in changed & set(STUDY_FILE_FIELDS)}
        if in_file:
            study_edits.study_change(study=obj, change=_set_paths(in_file), actor=actor)
        if "is_report_public" in changed:
            study_report_visibility_set(study=obj, is_public=form.cleaned_data["is_report_public"], actor=actor)
        obj.refresh_from_db()


class _StudyPartAdmin(ServiceAdmin):
    """An entry of the study file (section, dimension, item), changed through the importer."""

    collection = ""
    key_field = ""

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False  # added through the study file, the dashboard's round preparation or the API

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False  # removed the same ways, whose guards keep what has answers

    def file_changes(self, obj: Any, form: forms.ModelForm) -> dict[str, Any]:
        """The form's changes as changes of the entry in the study file; each kind of entry maps its own."""
        return {}

    def save_model(self, request, obj, form, change) -> None:  # type: ignore[no-untyped-def]
        changes = self.file_changes(obj, form)
        if changes:
            key = getattr(obj, self.key_field)
            update = study_edits.entry_update(self.collection, self.key_field, key, changes)
            study_edits.study_change(study=obj.study, change=update, actor=_actor(request))
        obj.refresh_from_db()


@admin.register(m.Section)
class SectionAdmin(_StudyPartAdmin):
    list_display = ("title", "key", "study", "order")
    list_filter = ("study",)
    search_fields = ("title", "key")
    readonly_fields = ("study", "key", "order")
    collection, key_field = "sections", "key"

    def file_changes(self, obj: m.Section, form: forms.ModelForm) -> dict[str, Any]:
        return {"title": form.cleaned_data["title"]} if "title" in form.changed_data else {}


def _point(key: str) -> int | str:
    """A label's key as the scale point it names; anything else is left for the importer to refuse."""
    try:
        return int(key)
    except ValueError:
        return key


DIMENSION_SCALE = ("scale_min", "scale_max", "agree_low", "agree_high", "disagree_low", "disagree_high")


@admin.register(m.Dimension)
class DimensionAdmin(_StudyPartAdmin):
    """A dimension's scale, bands and role are read-only once anyone rated on it."""

    list_display = ("label", "key", "study", "scale_min", "scale_max", "agree_low", "agree_high")
    list_filter = ("study",)
    search_fields = ("label", "key")
    readonly_fields = ("study", "key", "order")
    collection, key_field = "dimensions", "key"

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        rated = obj is not None and m.Rating.objects.filter(dimension=obj).exists()
        return _frozen_fields(self, rated, (*DIMENSION_SCALE, "is_consensus_dimension"))

    def file_changes(self, obj: m.Dimension, form: forms.ModelForm) -> dict[str, Any]:
        changed, data = set(form.changed_data), form.cleaned_data
        changes: dict[str, Any] = {name: data[name] for name in ("label", "question") if name in changed}
        scale = {
            file_key: data[name]
            for name, file_key in (("scale_min", "min"), ("scale_max", "max"), ("scale_labels", "labels"))
            if name in changed
        }
        if "labels" in scale and isinstance(scale["labels"], dict):  # JSON keys are text; the file's points are numbers
            scale["labels"] = {_point(key): label for key, label in scale["labels"].items()}
        if scale:
            changes["scale"] = scale
        for band in ("agree", "disagree"):
            if {f"{band}_low", f"{band}_high"} & changed:
                changes[band] = [data[f"{band}_low"], data[f"{band}_high"]]
        if "is_consensus_dimension" in changed:
            changes["consensus"] = data["is_consensus_dimension"]
        return changes


@admin.register(m.Item)
class ItemAdmin(_StudyPartAdmin):
    """An item's wording, kind and dimensions are read-only once it has ratings: reword it instead
    (the dashboard's round preparation adds a new item that ``replaces`` it)."""

    list_display = ("code", "kind", "section", "short_text", "source_ref", "replaces", "order")
    list_filter = ("study", "kind", "section")
    search_fields = ("code", "text", "source_ref")
    list_select_related = ("section", "replaces")
    filter_horizontal = ("dimensions",)
    readonly_fields = ("study", "code", "created_at")
    collection, key_field = "items", "code"

    @admin.display(description="text")
    def short_text(self, obj: m.Item) -> str:
        return obj.text[:80]

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        answered = obj is not None and m.Rating.objects.filter(round_item__item=obj).exists()
        return _frozen_fields(self, answered, ("kind", "text", "dimensions"))

    def get_form(self, request, obj=None, change=False, **kwargs):  # type: ignore[no-untyped-def]
        form = super().get_form(request, obj, change, **kwargs)
        if obj is not None:  # choices from this item's own study only
            choices = {
                "section": m.Section.objects.filter(study=obj.study),
                "dimensions": m.Dimension.objects.filter(study=obj.study),
                "replaces": m.Item.objects.filter(study=obj.study).exclude(pk=obj.pk),
            }
            for name, queryset in choices.items():
                if name in form.base_fields:
                    form.base_fields[name].queryset = queryset  # type: ignore[attr-defined]
        return form

    def file_changes(self, obj: m.Item, form: forms.ModelForm) -> dict[str, Any]:
        changed, data = set(form.changed_data), form.cleaned_data
        changes: dict[str, Any] = {name: data[name] for name in ("kind", "text", "order") if name in changed}
        if "source_ref" in changed:
            changes["source"] = data["source_ref"]
        if "section" in changed:
            changes["section"] = data["section"].key
        if "dimensions" in changed:
            changes["dimensions"] = [d.key for d in sorted(data["dimensions"], key=lambda d: d.order)]
        if "replaces" in changed:
            changes["replaces"] = data["replaces"].code if data["replaces"] else None
        return changes


# --- the panel ------------------------------------------------------------------------------------------


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
                panelist_revoke(panelist=panelist, actor=_actor(request))
                done += 1
            except DomainError as exc:
                refused.append(str(exc))
        self.message_user(request, f"Revoked {done} expert(s).")
        for reason in refused:
            self.message_user(request, reason, messages.ERROR)


# --- rounds ---------------------------------------------------------------------------------------------


class RoundItemInline(_ShownInline):
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
        "study", "number", "status", "closes_at", "opens_at", "opened_at", "closed_at", "aggregated_at",
        "is_live_feedback",
    )  # fmt: skip
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
            round_deadline_set(round=obj, closes_at=form.cleaned_data["closes_at"], actor=_actor(request))
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


@admin.register(m.DeliveryLog)
class DeliveryLogAdmin(ReadOnlyAdmin):
    list_display = ("panelist", "round", "kind", "sent_at")
    list_filter = ("kind", "round__study")
    search_fields = ("panelist__pseudonym", "panelist__email")


# --- email wording ----------------------------------------------------------------------------------------


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
            study=obj.study, kind=obj.kind, subject=obj.subject, body=obj.body, actor=_actor(request)
        )
        obj.pk, obj.subject, obj.body, obj.updated_at = saved.pk, saved.subject, saved.body, saved.updated_at

    def delete_model(self, request, obj) -> None:  # type: ignore[no-untyped-def]
        message_template_reset(study=obj.study, kind=obj.kind, actor=_actor(request))

    def delete_queryset(self, request, queryset) -> None:  # type: ignore[no-untyped-def]
        for template in queryset.select_related("study"):
            self.delete_model(request, template)


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
