"""The statistics tests need no Django: they also run with ``-p no:django``.

Nothing in ``surveys.stats`` reads settings or writes media, so the project's autouse fixtures that
change Django's settings get a stand-in ``settings`` here (what they set is never read), and the one
that makes a media folder per test is a no-op.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest


@pytest.fixture
def settings() -> SimpleNamespace:
    """A stand-in for pytest-django's ``settings``: the autouse fixtures may set what they like."""
    return SimpleNamespace()


@pytest.fixture(autouse=True)
def _media_in_tmp() -> None:
    """Stats tests write no media files."""
