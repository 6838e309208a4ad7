"""Who may call what: staff everything under the study tree, an expert only ``/me/``."""

from __future__ import annotations

from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from surveys.api.authentication import ExpertPrincipal
from surveys.models import Panelist


class IsStaff(BasePermission):
    """An active staff user (session or API token): the facilitator."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_active and user.is_staff)


class IsExpert(BasePermission):
    """A request made with a valid expert token."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        return isinstance(request.user, ExpertPrincipal) and isinstance(request.auth, Panelist)
