from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.test.utils import override_settings

from delphi.celery import app as celery_app
from tests.services import is_required, require_postgres, require_redis

ROOT = Path(__file__).resolve().parent.parent
SLOW_SKIPPED = "slow: run with --runslow (CI runs it: CI=true or DELPHI_REQUIRE_SERVICES=1)"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--runslow", action="store_true", help="also run the tests marked slow (CI always does)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``slow`` (the Schemathesis fuzzing, about a minute) skip locally, saying how to run
    them; CI (which sets CI=true) and any run that requires every service run them."""
    on_ci = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")
    if config.getoption("--runslow") or on_ci or is_required():
        return
    skip = pytest.mark.skip(reason=SLOW_SKIPPED)
    for item in items:
        if item.get_closest_marker("slow"):
            item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing() -> Iterator[None]:
    """One PBKDF2 hash costs about 0.25 s here, and every staff fixture and sign-in makes one. The tests
    check who may sign in, not the hash's strength (production keeps Django's default hashers, which
    ``manage.py check --deploy`` and the subprocess tests under production settings still use)."""
    if not settings.configured:  # tests/stats also run without Django (-p no:django)
        yield
        return
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True)
def eager_celery() -> Iterator[None]:
    """Tasks run in-process in tests unless a test asks for a real worker."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _token_guess_limit_out_of_the_way(settings) -> None:  # type: ignore[no-untyped-def]
    """Every test client comes from 127.0.0.1, and the counters live in the cache (Redis on the full
    stack, across tests): the suite's many deliberate wrong links must not add up to a lockout.
    tests/security sets a real limit, from an address of its own."""
    settings.DELPHI_TOKEN_GUESS_LIMIT = 1_000_000


def _database_url_for_test_db() -> str:
    from django.db import connection

    params = connection.settings_dict
    user = params.get("USER") or "postgres"
    password = f":{params['PASSWORD']}" if params.get("PASSWORD") else ""
    host = params.get("HOST") or "127.0.0.1"
    port = params.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{params['NAME']}"

@pytest.fixture(autouse=True)
def _report_builds_inline(settings) -> None:  # type: ignore[no-untyped-def]
    """A requested report is built before the request returns, as tests expect; the embedded
    default's background thread has its own test (tests/test_report_builds.py)."""
    settings.DELPHI_REPORT_BUILD_THREAD = False



def start_celery_worker(queue: str, **extra_env: str) -> subprocess.Popen[str]:
    """Start a real Celery worker process on Redis, using the test's PostgreSQL database, consuming
    only ``queue`` (so a stray worker elsewhere never takes the test's tasks), and wait until it listens."""
    env = {
        **os.environ,
        "DATABASE_URL": _database_url_for_test_db(),
        "DELPHI_CELERY_QUEUE": queue,
        "DJANGO_SETTINGS_MODULE": "delphi.settings",
        **extra_env,
    }
    argv = [sys.executable, "-m", "celery", "-A", "delphi", "worker", "--pool", "solo", "--queues", queue]
    argv += ["--loglevel", "warning", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    worker = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # noqa: S603
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            pytest.fail(f"the Celery worker exited at start:\n{worker.stdout.read() if worker.stdout else ''}")
        replies = celery_app.control.inspect(timeout=1).active_queues() or {}
        if any(q["name"] == queue for qs in replies.values() for q in qs):
            return worker
    worker.kill()
    pytest.fail("the Celery worker did not come up within 60 s")


def stop_celery_worker(worker: subprocess.Popen[str]) -> None:
    worker.terminate()
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()


@contextmanager
def tasks_sent_to(queue: str) -> Iterator[None]:
    """Send this process's tasks to ``queue`` for real (not eagerly) while inside."""
    previous = (celery_app.conf.task_always_eager, celery_app.conf.task_default_queue)
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = queue
    try:
        yield
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = previous


@pytest.fixture
def celery_worker_process(transactional_db: None) -> Iterator[str]:
    """A real Celery worker process on Redis, using the test's PostgreSQL database.

    Yields the name of its own queue; tasks sent while the fixture is active go to it.
    """
    require_postgres()
    require_redis()
    queue = f"test-{uuid.uuid4().hex[:8]}"
    with tasks_sent_to(queue):
        worker = start_celery_worker(queue)
        try:
            yield queue
        finally:
            stop_celery_worker(worker)
