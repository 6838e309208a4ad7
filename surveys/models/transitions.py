"""Explicit state machines for ``TextChoices`` state fields."""

from __future__ import annotations

from collections.abc import Mapping

from surveys.errors import IllegalTransition


def check_transition(what: str, graph: Mapping[str, tuple[str, ...]], current: str, target: str) -> None:
    """Raise ``IllegalTransition`` unless ``current -> target`` is an edge of ``graph``."""
    allowed = graph.get(current, ())
    if target not in allowed:
        raise IllegalTransition(what, current, target, allowed)
