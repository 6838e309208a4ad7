"""Browser tests: Debian's Chromium driven by Playwright's sync API (never a downloaded browser build).

Without Chromium (or the playwright package) these tests skip; under ``DELPHI_REQUIRE_SERVICES=1``
they fail instead (see tests/services.py).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.servers.basehttp import ThreadedWSGIServer
from django.db import connections
from django.test.testcases import LiveServerThread

from tests.services import CHROMIUM, missing, require_chromium

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


class LiveServer(ThreadedWSGIServer):
    """The live server, one request at a time when its threads share one in-memory SQLite connection.

    On SQLite the test database lives in memory, and Django hands the server's threads the test's own
    connection. One sqlite3 connection cannot carry two requests at once: a page's autosave that
    overlaps its submit makes their savepoints collide, and the submit fails with a 500 that a real
    server (PostgreSQL, a connection per thread) never gives. Requests are serialised there, not
    connections, so the browser's keep-alive connections stay open. With no shared connection (the
    full stack) the server stays fully concurrent.

    Either way it counts the requests it is answering, so that a test's last request (an autosave
    still on its way when the page closed) ends before the test's database is flushed under it.
    """

    answering = 0
    _count = threading.Lock()

    def set_app(self, application: Callable[..., Iterable[bytes]]) -> None:
        one_at_a_time = threading.Lock() if self.connections_override else contextlib.nullcontext()

        def counted(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            with LiveServer._count:
                LiveServer.answering += 1
            try:
                with one_at_a_time:
                    return application(environ, start_response)
            finally:
                with LiveServer._count:
                    LiveServer.answering -= 1

        super().set_app(counted)


def wait_until_the_live_server_is_idle(timeout_s: float = 15) -> None:
    """Until the live server has answered every request it took (quiet for 0.1 s), at most ``timeout_s``."""
    deadline, quiet_since = time.monotonic() + timeout_s, None
    while time.monotonic() < deadline:
        if LiveServer.answering:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= 0.1:
            return
        time.sleep(0.02)


LiveServerThread.server_class = LiveServer


@pytest.fixture(scope="module")
def _chromium() -> Iterator[Any]:
    """One Chromium per test module: launching it costs about a second, and each test still gets a
    browser context of its own (cookies, storage, cache), which is what keeps tests apart."""
    require_chromium()
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still
    # synchronous, so Django's async-safety check must not refuse them.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
    finally:
        # ORM calls made while Playwright's loop counts as running keep their connection in that loop's
        # context: close them before the loop stops, or one outlives the test database (not droppable).
        connections.close_all()
        playwright.stop()  # and the browser with it


@pytest.fixture
def page(_chromium: Any) -> Iterator[Any]:
    """A fresh Chromium page in its own browser context (its own cookies)."""
    context = _chromium.new_context()
    context.set_default_timeout(15_000)
    refused: list[str] = []
    try:
        page = context.new_page()
        # The pages must work under the site's CSP: anything it refuses is a bug in a template.
        page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
        yield page
        assert refused == [], f"the Content Security Policy refused: {refused}"
    finally:
        for opened in list(_chromium.contexts):  # this one, and any the test opened and left open
            opened.close()
        wait_until_the_live_server_is_idle()  # its requests use the database that the teardown flushes
        connections.close_all()  # as above, before the test database is flushed or dropped


@pytest.fixture
def axe_source() -> str:
    """axe-core from npm (package.json at the repository root; ``npm install`` puts it in node_modules)."""
    if not AXE.exists():
        missing("run npm install for axe-core")
    return AXE.read_text()


def axe_serious_violations(page: Any, axe_source: str) -> list[str]:
    """Run axe-core on the page; the serious and critical violations, one line each."""
    # Evaluated through the DevTools protocol, which the site's CSP does not govern: a <script> tag
    # would be (rightly) refused, since the pages allow no inline script.
    page.evaluate(axe_source)
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]
