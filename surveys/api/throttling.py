"""Rate limits on the expert endpoints (scope ``expert``), kept in the default cache.

One bucket per expert; requests that fail to authenticate share a bucket per client address, so a
flood of guessed tokens is slowed down too. The rate is read from ``REST_FRAMEWORK
["DEFAULT_THROTTLE_RATES"]["expert"]`` on each request rather than once at import (DRF's default),
so a changed setting, e.g. a test's override, takes effect at once.
"""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from surveys.api.authentication import ExpertPrincipal


class ExpertRateThrottle(SimpleRateThrottle):
    scope = "expert"

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request: Request, view: APIView) -> str:
        user = request.user
        if isinstance(user, ExpertPrincipal):
            return f"throttle_{self.scope}_panelist_{user.panelist.pk}"
        return f"throttle_{self.scope}_address_{self.get_ident(request)}"
