"""Typed readers for environment variables.

Settings come from the environment only. A bad value fails loudly at start with the variable's name,
instead of running with a surprising default.
"""

from __future__ import annotations

import ipaddress
import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean; use 1/0, true/false, yes/no or on/off.")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from exc
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]


def env_trusted_proxies(name: str) -> int | tuple[str, ...]:
    """Which proxies in front of the app may say who the client is (``X-Forwarded-For``, ``-Proto``).

    Unset, empty or ``0``: none, so those headers are ignored. A whole number: that many proxies, each
    appending the address it was reached from. Otherwise a comma-separated list of the proxies'
    addresses or networks (``10.0.0.2,172.18.0.0/16``), returned normalised.
    """
    raw = os.environ.get(name, "").strip()
    if not raw:
        return 0
    if raw.isdigit():
        return int(raw)
    networks = []
    for part in (p.strip() for p in raw.split(",")):
        try:
            networks.append(str(ipaddress.ip_network(part, strict=False)))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name}={raw!r}: {part!r} is not a proxy address or network; give a count of proxies "
                "(e.g. 1) or their addresses, comma-separated (e.g. 10.0.0.2,172.18.0.0/16)."
            ) from None
    return tuple(networks)
