"""Concurrent saves on the embedded default queue instead of failing (issue 12, item 1).

A real server on a real SQLite file: the demo in a fresh data directory, served by ``runserver
--noreload`` as the quick start serves it, with real threads for the experts (``bench/embedded_load.py``,
whose code this shares). pytest-django's live server cannot show this: on SQLite its threads share the
test's one in-memory connection and are serialised (tests/browser/conftest.py).

Before SQLite's transactions took the write lock at BEGIN, most of these saves answered 503.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator

import pytest

from bench.embedded_load import Answer, Expert, Site, ballot_status, embedded_site, expected, run_concurrently


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with embedded_site() as site:
        yield site


def _server_errors(answers: list[Answer]) -> list[str]:
    return [f"{a.kind} {a.status}: {a.body[:300]}" for a in answers if a.status >= 500]


def test_twelve_experts_autosaving_and_submitting_at_once_all_have_their_answers_saved(site: Site) -> None:
    experts = [Expert(site, link, random.Random(i)) for i, link in enumerate(site.links[:12])]

    answers = run_concurrently(experts, lambda expert: expert.session(saves=5))

    assert _server_errors(answers) == []
    assert [f"{a.kind} {a.status}" for a in answers if not expected(a)] == []
    assert len(answers) == 12 * (5 + 4)
    assert {ballot_status(site, expert) for expert in experts} == {"submitted"}  # revised and submitted again


def test_one_expert_in_two_tabs_autosaving_then_submitting_at_once_gets_no_error(site: Site) -> None:
    link = site.links[12]
    tabs = [Expert(site, link, random.Random(100 + i)) for i in range(2)]  # two sessions of one expert

    both_saved = threading.Barrier(2)

    def autosave_then_submit(tab: Expert) -> None:
        for _ in range(15):
            tab.autosave()
        both_saved.wait()  # then both click Submit at once (an autosave after a submit is refused, 409)
        tab.submit()

    answers = run_concurrently(tabs, autosave_then_submit)

    assert _server_errors(answers) == []
    assert [a.status for a in answers if a.kind == "autosave"] == [200] * 30
    # Both tabs submit the same ballot: one submits it; the other either does too, or is told it is.
    submits = [a for a in answers if a.kind == "submit"]
    assert 302 in [a.status for a in submits]
    assert all(a.status == 302 or "This ballot is submitted" in a.body for a in submits)
    assert ballot_status(site, tabs[0]) == "submitted"
