"""A fixed-window counter of failures per client, in Django's cache (Redis on the full stack).

Used where a guess costs the attacker nothing: the invitation link. Only failures count, so experts
of one institute behind a shared address are never stopped by each other's successful visits; once a
client has failed too often, every attempt from it is refused until the window ends, so a guess that
would have been right is refused too. Should the cache be unreachable the limiter lets requests
through and logs it: an outage of Redis must not lock every expert out (the token's 256 bits remain
the real defence).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.http import HttpRequest

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FailureLimit:
    scope: str
    limit: int
    window_s: int

    def _key(self, request: HttpRequest) -> tuple[str, int]:
        window = int(time.time()) // self.window_s
        client = request.META.get("REMOTE_ADDR", "unknown")
        return f"delphi:fail:{self.scope}:{client}:{window}", (window + 1) * self.window_s

    def retry_after(self, request: HttpRequest) -> int | None:
        """Seconds until this client may try again, or None when it is not blocked."""
        key, window_end = self._key(request)
        try:
            failures = cache.get(key, 0)
        except Exception:  # the cache is down: fail open, see the module's docstring
            logger.exception("rate limit %s: cache unavailable; not limiting", self.scope)
            return None
        if failures < self.limit:
            return None
        return max(1, window_end - int(time.time()))

    def record_failure(self, request: HttpRequest) -> None:
        key, _ = self._key(request)
        try:
            if not cache.add(key, 1, timeout=self.window_s + 1):
                cache.incr(key)
        except ValueError:  # the key expired between add and incr
            cache.set(key, 1, timeout=self.window_s + 1)
        except Exception:
            logger.exception("rate limit %s: cache unavailable; failure not counted", self.scope)
