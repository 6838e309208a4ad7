"""Domain errors. Services raise them; views, API views and commands turn them into messages."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext


class DomainError(Exception):
    """A rule of the domain was broken; the message says which and what to do instead."""


class IllegalTransition(DomainError):
    """A state field was asked to make a move its state machine does not allow."""

    def __init__(self, what: str, current: str, target: str, allowed: tuple[str, ...]) -> None:
        options = ", ".join(allowed) if allowed else gettext("nothing (it is final)")
        message = gettext(
            "%(what)s cannot go from '%(current)s' to '%(target)s'; from '%(current)s' it can go to %(options)s."
        )
        super().__init__(message % {"what": what, "current": current, "target": target, "options": options})
        self.current = current
        self.target = target


@dataclass(frozen=True)
class FieldError:
    """One problem in an input file: where it is (file, item code, field) and what is wrong."""

    field: str
    message: str
    item: str = ""

    def render(self, filename: str) -> str:
        where = f"{filename}"
        if self.item:
            where += f": item {self.item}"
        return f"{where}: {self.field}: {self.message}"


class StudyFileError(DomainError):
    """A study file was refused as a whole. ``errors`` lists every problem found."""

    def __init__(self, filename: str, errors: list[FieldError]) -> None:
        self.filename = filename
        self.errors = errors
        lines = "\n".join(f"  - {e.render(filename)}" for e in errors)
        super().__init__(f"{filename} was refused ({len(errors)} error(s)); nothing was changed:\n{lines}")


class RatingError(DomainError):
    """A rating was refused: out of range, for an item not in the round, on a closed round, ..."""
