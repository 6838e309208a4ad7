"""Who the client is, and a fixed-window counter of its failures in Django's cache (Redis on the full stack).

:func:`client_address` is the one definition of a request's client address, used by every limiter:
the invitation link's and the API's guessed-token limit, the API's rate limit and django-axes. It
believes ``X-Forwarded-For`` only as far as ``DELPHI_TRUSTED_PROXIES`` says, since anyone can send it.

The counter is used where a guess costs the attacker nothing: the invitation token, by link or by
API. Only failures count, so experts of one institute behind a shared address are never stopped by
each other's successful visits; once a client has failed too often, every attempt from it is refused
until the window ends, so a guess that would have been right is refused too. Should the cache be
unreachable the limiter lets requests through and logs a warning: an outage of Redis must not lock
every expert out (the token's 256 bits remain the real defence).
"""

from __future__ import annotations

import ipaddress
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

try:
    from redis.exceptions import RedisError
except ImportError:  # pragma: no cover - redis comes with celery[redis]
    RedisError = OSError  # type: ignore[assignment,misc]

logger = logging.getLogger(__name__)

# What an unreachable or failing cache raises (Redis's own errors, sockets), and nothing else: a bug
# in the limiter itself must still show.
CACHE_ERRORS: tuple[type[Exception], ...] = (RedisError, OSError)


def client_address(request: HttpRequest | None) -> str | None:
    """The address of the client that sent ``request``, as far as the trusted proxies vouch for it;
    None when the request carries none (a request built in code, e.g. a test client's sign-in).

    - No trusted proxy (the default): ``REMOTE_ADDR``; forwarded headers are ignored.
    - A count N: each proxy appends the address it was reached from, so the client is the N-th
      entry of ``X-Forwarded-For`` from the right (the leftmost if there are fewer), as DRF counts.
    - Addresses: only when ``REMOTE_ADDR`` is one of them, ``X-Forwarded-For`` is read from the right,
      skipping trusted proxies; the first other address is the client.

    A forwarded entry that is not an IP address is not believed: ``REMOTE_ADDR`` is used instead.
    """
    if request is None:
        return None
    remote = request.META.get("REMOTE_ADDR") or None
    trusted = settings.DELPHI_TRUSTED_PROXIES
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if not trusted or not forwarded:
        return remote
    if isinstance(trusted, int):
        candidate = forwarded[-min(trusted, len(forwarded))]
    else:
        networks = [ipaddress.ip_network(network) for network in trusted]
        if not _is_in(remote, networks):
            return remote
        candidate = next((a for a in reversed(forwarded) if not _is_in(a, networks)), forwarded[0])
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def _is_in(address: str | None, networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in network for network in networks)


@dataclass(frozen=True)
class FailureLimit:
    scope: str
    limit: int
    window_s: int

    def _key(self, request: HttpRequest) -> tuple[str, int]:
        window = int(time.time()) // self.window_s
        client = client_address(request) or "unknown"
        return f"delphi:fail:{self.scope}:{client}:{window}", (window + 1) * self.window_s

    def retry_after(self, request: HttpRequest) -> int | None:
        """Seconds until this client may try again, or None when it is not blocked."""
        key, window_end = self._key(request)
        try:
            failures = cache.get(key, 0)
        except CACHE_ERRORS as exc:  # the cache is down: fail open, see the module's docstring
            logger.warning("rate limit %s: cache unavailable (%s); not limiting", self.scope, exc)
            return None
        if failures < self.limit:
            return None
        return max(1, window_end - int(time.time()))

    def record_failure(self, request: HttpRequest) -> None:
        key, _ = self._key(request)
        try:
            if not cache.add(key, 1, timeout=self.window_s + 1):
                try:
                    cache.incr(key)
                except ValueError:  # the key expired between add and incr
                    cache.set(key, 1, timeout=self.window_s + 1)
        except CACHE_ERRORS as exc:
            logger.warning("rate limit %s: cache unavailable (%s); failure not counted", self.scope, exc)


def token_guess_limit() -> FailureLimit:
    """Wrong invitation tokens allowed per client and window, by link or by API (one count for both).

    Read from the settings on each request, so a changed setting (a test's override) applies at once.
    """
    return FailureLimit("token", settings.DELPHI_TOKEN_GUESS_LIMIT, settings.DELPHI_TOKEN_GUESS_WINDOW_S)
