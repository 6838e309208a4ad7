"""The two errors the statistics core raises: bad ratings and bad rules.

Both subclass ``ValueError`` so callers that only know "this input is wrong" can catch that, and
both carry messages a facilitator can act on: they name the item, the field and the allowed values.
"""

from __future__ import annotations

import reprlib
from typing import Any

SHORT_MAX_CHARS = 80

_short = reprlib.Repr()
_short.maxstring = _short.maxother = 60
_short.maxlist = _short.maxtuple = _short.maxdict = _short.maxset = 6
_short.maxlevel = 3


def short(value: Any) -> str:
    """``repr(value)`` cut to at most ``SHORT_MAX_CHARS`` characters, for quoting a bad value in a message.

    A message must never print a whole megabyte of input (or a structure built by YAML aliases) back.
    """
    text = _short.repr(value)
    return text if len(text) <= SHORT_MAX_CHARS else text[: SHORT_MAX_CHARS - 3] + "..."


class StatsInputError(ValueError):
    """A ratings frame or scale the statistics cannot use.

    ``item``, ``dimension`` and ``value`` name the offending rating when there is one.
    """

    def __init__(
        self,
        message: str,
        *,
        item: Any = None,
        dimension: str | None = None,
        value: Any = None,
    ) -> None:
        super().__init__(message)
        self.item = item
        self.dimension = dimension
        self.value = value


class RuleError(ValueError):
    """A consensus or stopping rule that does not validate.

    ``field`` is the dotted path of the offending entry as it appears in a study file, e.g.
    ``consensus_rule.preset`` or ``consensus_rule.criteria[1].op``; ``str(error)`` is the message.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
