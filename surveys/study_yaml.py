"""Reading a YAML study file safely: the one loader of the command line, the API and the restore.

Three defences, each against something a hostile or careless file did:

- a size cap (``MAX_FILE_BYTES``), checked before parsing, so nothing large is ever parsed;
- no aliases (``*name``): an alias reuses an anchored value, so ten lines of "billion laughs"
  stand for 10⁹ values that anything walking or printing the data expands (it ran past 60 s and
  2 GB). A study file never needs one; refusing them is simpler and safer than counting them;
- libyaml's C parser where PyYAML was built with it (``yaml.CSafeLoader``), which reads a 2 MB
  flow-style file in well under a second where the pure-Python ``SafeLoader`` takes 12–19 s.

Values quoted in error messages go through :func:`short` (from the statistics core, which quotes
bad rule values the same way), so an error never prints a whole
megabyte (or an expanded alias) back at the user.
"""

from __future__ import annotations

from typing import Any

import yaml

from surveys.errors import FieldError, StudyFileError
from surveys.stats.errors import SHORT_MAX_CHARS, short

__all__ = [
    "MAX_FILE_BYTES",
    "SHORT_MAX_CHARS",
    "NoAliases",
    "StudyFileLoader",
    "check_file_size",
    "load_study_yaml",
    "short",
]

MAX_FILE_BYTES = 2 * 1024 * 1024  # a large real study file has some hundreds of kilobytes

#: The C loader when PyYAML has libyaml, else the pure-Python one (same results, slower).
BaseSafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class NoAliases:
    """Refuses aliases in a safe loader (mixed in before ``SafeLoader`` or ``CSafeLoader``).

    The refusal sits in the constructor, not in ``compose_node``: the C parser composes nodes in
    compiled code that never calls a Python override, but both loaders construct objects here. An
    alias is a node constructed a second time (or, for ``&a [*a]``, while it is being built).
    """

    constructed_objects: dict[yaml.Node, Any]
    recursive_objects: dict[yaml.Node, None]

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        if node in self.constructed_objects or node in self.recursive_objects:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                "uses an alias (*name) of the value anchored here; aliases are not allowed in a study file, "
                "write the value out instead",
                node.start_mark,
            )
        return super().construct_object(node, deep)  # type: ignore[misc]


class StudyFileLoader(NoAliases, BaseSafeLoader):  # type: ignore[misc, valid-type]
    """The study files' loader: safe, without aliases, in C where PyYAML has libyaml."""


def _position(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"


def check_file_size(size: int, filename: str) -> None:
    """Refuse a study file of ``size`` bytes over the cap (callers with a file check before reading it)."""
    if size > MAX_FILE_BYTES:
        raise StudyFileError(
            filename, [FieldError("file", f"has {size} bytes; the limit is {MAX_FILE_BYTES} bytes (2 MiB)")]
        )


def load_study_yaml(text: str, filename: str) -> Any:
    """Parse the YAML text of a study file once; raise ``StudyFileError`` naming what is wrong.

    Refused: text over ``MAX_FILE_BYTES``, malformed YAML (with its position), any alias, values
    YAML cannot build (a date such as 2001-02-30) and nesting deeper than the parser allows.
    """
    check_file_size(len(text.encode("utf-8")), filename)
    try:
        return yaml.load(text, Loader=StudyFileLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.constructor.ConstructorError as exc:
        problem = exc.problem or str(exc)
        raise StudyFileError(filename, [FieldError("yaml", f"at {_position(exc)}: {problem}")]) from None
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc)
        raise StudyFileError(filename, [FieldError("yaml", f"malformed YAML at {_position(exc)}: {problem}")]) from None
    except RecursionError:
        raise StudyFileError(filename, [FieldError("yaml", "is nested too deeply to read")]) from None
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. the date 2001-02-30
        raise StudyFileError(filename, [FieldError("yaml", f"holds a value YAML cannot read: {exc}")]) from None
