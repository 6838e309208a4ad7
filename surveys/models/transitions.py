"""Explicit state machines for ``TextChoices`` state fields."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from surveys.errors import IllegalTransition


def check_transition(what: str, graph: Mapping[Any, tuple[str, ...]], current: str, target: str) -> None:
    """Raise ``IllegalTransition`` unless ``current -> target`` is an edge of ``graph``.

    ``graph`` is keyed by a ``TextChoices`` member (a ``str``); ``Mapping`` is invariant in its key, so
    it is typed ``Any`` rather than ``str`` to take each model's own enum."""
    allowed = graph.get(current, ())
    if target not in allowed:
        raise IllegalTransition(what, current, target, allowed)
