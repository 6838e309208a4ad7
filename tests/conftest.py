from __future__ import annotations

import io
import os
import subprocess
import sys
import time
import uuid
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_django
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Model
from django.test import TestCase
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


@contextmanager
def _tasks_run_eagerly() -> Iterator[None]:
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def eager_celery() -> Iterator[None]:
    """Tasks run in-process in tests unless a test asks for a real worker."""
    with _tasks_run_eagerly():
        yield


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _report_builds_inline(settings) -> None:  # type: ignore[no-untyped-def]
    """A requested report is built before the request returns, as tests expect; the embedded
    default's background thread has its own test (tests/test_report_builds.py)."""
    settings.DELPHI_REPORT_BUILD_THREAD = False


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


# --- the quick-start demo, built once per session ------------------------------------------------------------------
# Building it (the seed study, 24 synthetic experts, three simulated and aggregated rounds) takes seconds, and a
# dozen tests read it. It is built once, inside a transaction that is rolled back, and the rows it added are kept;
# each test that asks for ``demo`` gets them inserted into its own database, which its transaction (or the flush
# after a transactional test) empties again. A test that watches the command itself (its output for another
# address, running it twice) still runs it.

Rows = dict[str, dict[object, tuple[object, ...]]]  # model label -> primary key -> the row's column values


@dataclass(frozen=True)
class Demo:
    """The demo as ``manage.py demo --no-serve`` leaves it; ``output`` is what it printed (the links, the
    facilitator's password, one expert's invitation link: all valid against the database)."""

    output: str


@dataclass(frozen=True)
class _DemoSnapshot:
    output: str
    counts: dict[str, int]  # every table's row count as the build found it
    inserts: list[tuple[str, list[tuple[object, ...]]]]  # INSERT statement, its rows (as the database takes them)
    tables: list[type[Model]]  # the tables the build added rows to
    unusable: str  # why the rows cannot simply be copied back ("" when they can)


def run_demo_command(*args: str) -> str:
    """Run ``manage.py demo --no-serve`` with ``args``; what it printed."""
    out = io.StringIO()
    call_command("demo", "--no-serve", *args, stdout=out)
    return out.getvalue()


def _tables() -> list[type[Model]]:
    return [m for m in apps.get_models(include_auto_created=True) if m._meta.managed and not m._meta.proxy]


def _columns(model: type[Model]) -> list[str]:
    return [field.attname for field in model._meta.concrete_fields]


def _rows() -> Rows:
    rows: Rows = {}
    for model in _tables():
        columns = _columns(model)
        key = columns.index(model._meta.pk.attname)
        rows[model._meta.label] = {row[key]: row for row in model._base_manager.values_list(*columns)}
    return rows


def _why_not_copyable(before: Rows, after: Rows, added: Rows, media: Path) -> str:
    """The rows the demo added can be copied into another test's database only if the demo changed no row
    it found, wrote no file, and points at no row outside its own (e.g. a content type, whose keys a flush
    renews)."""
    changed = [t for t, rows in before.items() if any(after[t].get(pk) != row for pk, row in rows.items())]
    outside = [
        f"{model._meta.label}.{field.name}"
        for model in map(apps.get_model, added)
        for field in model._meta.concrete_fields
        if field.is_relation and field.related_model._meta.label not in added
    ]
    files = any(media.iterdir())
    reasons = (f"it changed rows it found, in {changed}", "it wrote media files", f"its rows point outside: {outside}")
    return "; ".join(reason for reason, found in zip(reasons, (changed, files, outside), strict=True) if found)


@pytest.fixture(scope="session")
def _demo_snapshot(
    django_db_setup: None,
    django_db_blocker: pytest_django.DjangoDbBlocker,
    tmp_path_factory: pytest.TempPathFactory,
    _fast_password_hashing: None,
) -> _DemoSnapshot:
    media = tmp_path_factory.mktemp("demo-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media), _tasks_run_eagerly(), transaction.atomic():
        before = _rows()
        with TestCase.captureOnCommitCallbacks(execute=True):  # what the command's commits would run
            output = run_demo_command()
        after = _rows()
        transaction.set_rollback(True)  # the session's database is left as it was
    new = {t: {pk: row for pk, row in rows.items() if pk not in before[t]} for t, rows in after.items()}
    added = {t: rows for t, rows in new.items() if rows}
    return _DemoSnapshot(
        output=output,
        counts={t: len(rows) for t, rows in before.items()},
        inserts=[_insert(apps.get_model(t), rows.values()) for t, rows in added.items()],
        tables=[apps.get_model(t) for t in added],
        unusable=_why_not_copyable(before, after, added, media),
    )


def _insert(model: type[Model], rows: Iterable[tuple[object, ...]]) -> tuple[str, list[tuple[object, ...]]]:
    """The INSERT for ``model``'s ``rows``, with the values as its fields hand them to the database: converted
    once here, so that copying them in costs one ``executemany`` per table."""
    fields = model._meta.concrete_fields
    quote = connection.ops.quote_name
    columns, marks = ", ".join(quote(f.column) for f in fields), ", ".join(["%s"] * len(fields))
    table = quote(model._meta.db_table)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608 (names from the models; values bound)
    return sql, [tuple(f.get_db_prep_save(v, connection) for f, v in zip(fields, row, strict=True)) for row in rows]


def _unlike_the_build(snapshot: _DemoSnapshot) -> list[str]:
    """The tables not as the build found them: not empty where it was, or (content types and permissions,
    which a flush makes anew under new keys) with another number of rows."""
    return [m._meta.label for m in _tables() if m._base_manager.count() != snapshot.counts[m._meta.label]]


@pytest.fixture
def demo(db: None, _demo_snapshot: _DemoSnapshot) -> Demo:
    """The quick-start demo in this test's database: the session's build copied in, or built for real when
    its rows cannot be copied or the database is not as that build found it (ask for ``demo`` before the
    fixtures that write, e.g. ``admin_client``)."""
    snapshot = _demo_snapshot
    unlike = [] if snapshot.unusable else _unlike_the_build(snapshot)
    if snapshot.unusable or unlike:
        why = snapshot.unusable or f"the test wrote to {unlike} first"
        warnings.warn(f"the demo is built anew, which takes seconds: {why}", stacklevel=1)
        return Demo(output=run_demo_command())
    with transaction.atomic(), connection.cursor() as cursor:  # foreign keys are checked at commit
        for sql, rows in snapshot.inserts:
            cursor.executemany(sql, rows)
        for statement in connection.ops.sequence_reset_sql(no_style(), snapshot.tables):  # PostgreSQL's
            cursor.execute(statement)
    return Demo(output=snapshot.output)
