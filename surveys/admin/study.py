"""The study and what it asks (sections, dimensions, items): changed through the study-file importer,
read-only wherever the domain has frozen them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin

from surveys import models as m
from surveys.services import study_edits
from surveys.services.study_settings import study_report_visibility_set

from .base import Change, ServiceAdmin, ShownInline, acting_user, frozen_fields

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


def set_paths(values: dict[tuple[str, ...], Any]) -> Change:
    def apply(data: dict[str, Any]) -> None:
        for path, value in values.items():
            target = data
            for key in path[:-1]:
                target = target.setdefault(key, {})
            target[path[-1]] = value

    return apply


class SectionInline(ShownInline):
    model = m.Section
    fields = readonly_fields = ("key", "title", "order")


class DimensionInline(ShownInline):
    model = m.Dimension
    fields = readonly_fields = (
        "key",
        "label",
        "scale_min",
        "scale_max",
        "agree_low",
        "agree_high",
        "disagree_low",
        "disagree_high",
    )


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
        return frozen_fields(self, obj is not None and obj.is_rule_frozen, ("consensus_rule",))

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False  # a study is created by importing its study file (dashboard, CLI or API)

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        """Only a study that never ran, as ``study_delete`` allows; never in bulk."""
        return (
            obj is not None
            and obj.status == m.Study.Status.DRAFT
            and not obj.rounds.exclude(status=m.Round.Status.DRAFT).exists()
        )

    def delete_model(self, request, obj) -> None:  # type: ignore[no-untyped-def]
        study_edits.study_delete(study=obj, actor=acting_user(request))

    def save_model(self, request, obj, form, change) -> None:  # type: ignore[no-untyped-def]
        actor = acting_user(request)
        changed = set(form.changed_data)
        in_file = {STUDY_FILE_FIELDS[name]: form.cleaned_data[name] for name in changed & set(STUDY_FILE_FIELDS)}
        if in_file:
            study_edits.study_change(study=obj, change=set_paths(in_file), actor=actor)
        if "is_report_public" in changed:
            study_report_visibility_set(study=obj, is_public=form.cleaned_data["is_report_public"], actor=actor)
        obj.refresh_from_db()


class StudyPartAdmin(ServiceAdmin):
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
            study_edits.study_change(study=obj.study, change=update, actor=acting_user(request))
        obj.refresh_from_db()


@admin.register(m.Section)
class SectionAdmin(StudyPartAdmin):
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
class DimensionAdmin(StudyPartAdmin):
    """A dimension's scale, bands and role are read-only once anyone rated on it."""

    list_display = ("label", "key", "study", "scale_min", "scale_max", "agree_low", "agree_high")
    list_filter = ("study",)
    search_fields = ("label", "key")
    readonly_fields = ("study", "key", "order")
    collection, key_field = "dimensions", "key"

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        rated = obj is not None and m.Rating.objects.filter(dimension=obj).exists()
        return frozen_fields(self, rated, (*DIMENSION_SCALE, "is_consensus_dimension"))

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
class ItemAdmin(StudyPartAdmin):
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
        return frozen_fields(self, answered, ("kind", "text", "dimensions"))

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
