"""An expert's posted answers (item codes and dimension keys) as the ballot services take them.

The services speak in round item ids and name refused fields ``r12-agreement``, ``rationale-12`` and
``open-12``; the API speaks in item codes and answers with the path of the refused entry in the
request (``ratings[3]``). :class:`Answers` converts both ways.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from surveys.answer_fields import field_name, open_field_name, rationale_field_name
from surveys.api.errors import Fields, Invalid
from surveys.selectors.expert_api import BallotView
from surveys.services.ballots import RatingInput


@dataclass
class Answers:
    entries: list[RatingInput] = field(default_factory=list)
    rationales: dict[int, str] = field(default_factory=dict)
    open_answers: dict[int, str] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)  # the service's field name -> the request's path

    def refused(
        self, errors: dict[str, str], summary: str = "Nothing was saved: some answers were refused."
    ) -> Invalid:
        """The services' refusal as a 400 naming the request's entries."""
        fields: Fields = {}
        for key, message in errors.items():
            fields.setdefault(self.paths.get(key, key), []).append(message)
        return Invalid(summary, fields)


def answers_from(data: dict[str, Any], view: BallotView) -> Answers:
    """Map codes to the round's items; an unknown code refuses the whole request (400, nothing saved).

    A rated item whose rationale is not sent keeps the one it has: the ballot service rewrites an
    item's rationale with each save of its ratings.
    """
    by_code = {ri.item.code: ri for ri in view.round_items}
    answers, unknown, twice = Answers(), {}, {}  # type: Answers, Fields, Fields
    for n, rating in enumerate(data.get("ratings", [])):
        round_item = by_code.get(rating["item"])
        if round_item is None:
            unknown[f"ratings[{n}].item"] = [f"There is no item '{rating['item']}' in round {view.round.number}."]
            continue
        key = field_name(round_item.pk, rating["dimension"])
        if key in answers.paths:
            _named_twice(twice, answers.paths[key], f"ratings[{n}]", f"{rating['item']} on '{rating['dimension']}'")
            continue
        answers.entries.append(RatingInput(round_item.pk, rating["dimension"], rating["value"]))
        answers.paths[key] = f"ratings[{n}]"
    for name, target, key_of in (
        ("rationales", answers.rationales, rationale_field_name),
        ("open_answers", answers.open_answers, open_field_name),
    ):
        for n, entry in enumerate(data.get(name, [])):
            round_item = by_code.get(entry["item"])
            if round_item is None:
                unknown[f"{name}[{n}].item"] = [f"There is no item '{entry['item']}' in round {view.round.number}."]
                continue
            if key_of(round_item.pk) in answers.paths:
                _named_twice(twice, answers.paths[key_of(round_item.pk)], f"{name}[{n}]", entry["item"])
                continue
            target[round_item.pk] = entry["text"]
            answers.paths[key_of(round_item.pk)] = f"{name}[{n}]"
    if unknown:
        raise Invalid("Nothing was saved: some item codes are unknown.", {**unknown, **twice})
    if twice:
        raise Invalid("Nothing was saved: some answers are sent twice; send each once.", twice)
    kept = view.rationales()
    for entry in answers.entries:
        if entry.round_item_id not in answers.rationales and entry.round_item_id in kept:
            answers.rationales[entry.round_item_id] = kept[entry.round_item_id]
    return answers


def _named_twice(fields: Fields, first: str, again: str, what: str) -> None:
    """Both entries of an answer sent twice: which one would win is not for the server to guess."""
    fields.setdefault(first, []).append(f"{what} is sent again at {again}; send each answer once.")
    fields.setdefault(again, []).append(f"{what} is already sent at {first}; send each answer once.")


def submit_refused(errors: dict[str, str], view: BallotView) -> Invalid:
    """A refused submission (a reason is missing) as a 400 naming each item's rationale."""
    paths = {rationale_field_name(ri.pk): f"rationales.{ri.item.code}" for ri in view.round_items}
    return Answers(paths=paths).refused(errors, "Not submitted: give a reason where asked, then submit again.")
