"""The statistics tests need no Django: they also run with ``-p no:django``.

The project's autouse fixtures that need Django's ``settings`` fixture are replaced here by no-ops,
since nothing in ``surveys.stats`` reads settings or writes media.
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _media_in_tmp() -> None:
    """Stats tests write no media files."""


@pytest.fixture(autouse=True)
def _token_guess_limit_out_of_the_way() -> None:
    """Stats tests make no requests."""
