"""The questionnaire form: reading a post into service inputs.

Field names are those of :mod:`surveys.answer_fields`. The page's view of a ballot is a read, in
:mod:`surveys.selectors.questionnaire`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.utils.translation import gettext

from surveys.answer_fields import CANT_ANSWER, OPEN, RATING, RATIONALE
from surveys.services.ballots import RatingInput
from surveys.text_input import text_problem


@dataclass
class ParsedAnswers:
    """A questionnaire post turned into the service's inputs, plus what could not even be read."""

    entries: list[RatingInput] = field(default_factory=list)
    rationales: dict[int, str] = field(default_factory=dict)
    open_answers: dict[int, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def parse_answers(data: Mapping[str, str]) -> ParsedAnswers:
    """Read the posted fields. Unknown fields are ignored; a rating that is not a whole number is an error.

    Whether an item belongs to the round, a value lies on its scale or a text is too long is for the
    services to say, so the same rules hold for the page, the autosave and the API. Text that cannot
    be stored at all (a NUL character) is refused here, naming the field, and again by the services.
    """
    parsed = ParsedAnswers()
    for name in data:
        value = data[name]
        if match := RATING.match(name):
            raw = value.strip()
            if raw == "":
                continue
            if raw == CANT_ANSWER:
                number = None
            else:
                try:
                    number = int(raw)
                except ValueError:
                    parsed.errors[name] = gettext(
                        "“%(value)s” is not a rating; choose a point on the scale, or “Can't answer”."
                    ) % {"value": raw[:20]}
                    continue
            parsed.entries.append(RatingInput(int(match.group(1)), match.group(2), number))
        elif match := RATIONALE.match(name):
            if problem := text_problem(value):
                parsed.errors[name] = gettext("Your reason %(problem)s; remove it, then save again.") % {
                    "problem": problem
                }
                continue
            parsed.rationales[int(match.group(1))] = value
        elif match := OPEN.match(name):
            if problem := text_problem(value):
                parsed.errors[name] = gettext("Your answer %(problem)s; remove it, then save again.") % {
                    "problem": problem
                }
                continue
            parsed.open_answers[int(match.group(1))] = value
    return parsed
