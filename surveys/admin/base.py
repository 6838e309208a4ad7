"""What every admin of this site shares: read-only records, saves that call a service, shown inlines."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest

from surveys.errors import DomainError

Change = Callable[[dict[str, Any]], None]


def acting_user(request: HttpRequest) -> AbstractBaseUser:
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


def frozen_fields(admin_: admin.ModelAdmin, frozen: bool, fields: tuple[str, ...]) -> list[str]:
    """The admin's read-only fields, plus ``fields`` once the domain has frozen them."""
    return [*admin_.readonly_fields, *(fields if frozen else ())]


class ShownInline(admin.TabularInline):
    """Rows shown on their parent's page, never edited there."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False
