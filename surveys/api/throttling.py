"""Rate limits on the expert endpoints (scope ``expert``), kept in the default cache.

One bucket per expert; requests that fail to authenticate share a bucket per client address
(:func:`surveys.ratelimit.client_address`, which believes ``X-Forwarded-For`` only from trusted
proxies), so a flood of guessed tokens is slowed down too. The rate is read from ``REST_FRAMEWORK
["DEFAULT_THROTTLE_RATES"]["expert"]`` on each request rather than once at import (DRF's default),
so a changed setting, e.g. a test's override, takes effect at once.

If the cache (Redis) is unreachable the throttle lets the request through and logs a warning: the
API keeps working as the pages do, with throttling degraded, never a 500.
"""

from __future__ import annotations

import logging

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from surveys.api.authentication import ExpertPrincipal
from surveys.ratelimit import CACHE_ERRORS, client_address

logger = logging.getLogger(__name__)


class ExpertRateThrottle(SimpleRateThrottle):
    scope = "expert"

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_ident(self, request: Request) -> str:
        return client_address(request._request) or "unknown"

    def get_cache_key(self, request: Request, view: APIView) -> str:
        user = request.user
        if isinstance(user, ExpertPrincipal):
            return f"throttle_{self.scope}_panelist_{user.panelist.pk}"
        return f"throttle_{self.scope}_address_{self.get_ident(request)}"

    def allow_request(self, request: Request, view: APIView) -> bool:
        try:
            return super().allow_request(request, view)
        except CACHE_ERRORS as exc:  # the cache is down: fail open (see the module's docstring)
            logger.warning("API throttle %s: cache unavailable (%s); not limiting", self.scope, exc)
            return True
