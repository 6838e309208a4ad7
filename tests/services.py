"""Detect the real components (PostgreSQL, Redis, a Celery worker, Chromium) for the tests that need them.

Without a component such a test skips with a reason; with ``DELPHI_REQUIRE_SERVICES=1`` (CI) the
same situation is a failure, so CI always runs them for real.
"""

from __future__ import annotations

import os
import shutil
import socket
from urllib.parse import urlparse

import pytest

CHROMIUM = "/usr/bin/chromium"


def is_required() -> bool:
    return os.environ.get("DELPHI_REQUIRE_SERVICES", "").strip() == "1"


def missing(reason: str) -> None:
    """Skip, or fail when services are required."""
    if is_required():
        pytest.fail(f"DELPHI_REQUIRE_SERVICES=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=2):
            return True
    except OSError:
        return False


def require_postgres() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        missing("needs PostgreSQL: set DATABASE_URL=postgres://...")
    elif not _reachable(url, 5432):
        missing(f"PostgreSQL at {urlparse(url).hostname} is not reachable")


def require_redis() -> None:
    url = os.environ.get("REDIS_URL", "")
    if not url.startswith("redis://"):
        missing("needs Redis: set REDIS_URL=redis://...")
    elif not _reachable(url, 6379):
        missing(f"Redis at {urlparse(url).hostname} is not reachable")


def require_redis_server() -> str:
    """The redis-server program, for tests that start (and stop) a Redis of their own."""
    program = shutil.which("redis-server")
    if program is None:
        missing("needs the redis-server program (Debian package 'redis-server') to stop and restart a broker")
    return program or ""


def require_chromium() -> None:
    if not os.path.exists(CHROMIUM):
        missing(f"needs Chromium at {CHROMIUM} (Debian package 'chromium')")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing("needs the playwright Python package (pip install -e '.[test]')")
    if shutil.which("node") is None and not os.path.exists(CHROMIUM):
        missing("needs node for Playwright's driver")
