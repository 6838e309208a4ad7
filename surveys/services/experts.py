"""What an expert writes besides ratings: consent, the expertise profile, answers to open questions,
and the questionnaire's whole-form save (ratings and open answers together, all or nothing)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.db import transaction
from django.utils import timezone

from surveys.answer_fields import open_field_name
from surveys.errors import DomainError
from surveys.expert_language import language_for
from surveys.models import Ballot, Item, Panelist, Round, RoundItem, Suggestion
from surveys.models.panel import UNUSABLE
from surveys.services.ballots import (
    BallotRefused,
    RatingInput,
    ballot_for,
    ballot_save,
    ballot_submit,
    check_panelist,
    locked_open_round,
)
from surveys.text_input import text_problem

OPEN_ANSWER_MAX_LENGTH = 4000  # Suggestion.text's limit
BACKGROUND_MAX_LENGTH = 2000  # Panelist.background
YEARS_MAX = 80  # the panelist_years_experience_sane constraint
EXPERTISE_SCALE = (1, 5)


def _usable(panelist: Panelist) -> Panelist:
    locked = Panelist.objects.select_for_update().select_related("study").get(pk=panelist.pk)
    if locked.status in UNUSABLE:
        raise DomainError("This invitation is no longer valid.")
    return locked


@transaction.atomic
def panelist_consent(*, panelist: Panelist) -> Panelist:
    """Record the expert's consent with its time. Consenting again keeps the first time."""
    locked = _usable(panelist)
    if locked.consent_at is None:
        locked.consent_at = timezone.now()
        locked.save(update_fields=["consent_at"])
    return locked


@transaction.atomic
def panelist_profile_update(
    *, panelist: Panelist, background: str, years_experience: int | None, expertise: Mapping[str, int | None]
) -> Panelist:
    """Save the short expertise profile: background, years of experience, self-rated expertise 1–5 per section.

    The group is not the expert's to set: it is the facilitator's (panel import, dashboard), and it
    decides subgroup analysis and suppression, so free text here once split "Central Asia" from
    "central asia" and let an expert declare their own group. ``background`` is the expert's own
    description instead, shown to the facilitator and used by no analysis or report.
    ``expertise`` is keyed by section key; a section left out (or None) is not stated.
    """
    locked = _usable(panelist)
    if locked.consent_at is None:
        raise DomainError("Please give your consent before filling in your profile.")
    background = background.strip()
    if len(background) > BACKGROUND_MAX_LENGTH:
        raise DomainError(f"Your background has {len(background)} characters; the limit is {BACKGROUND_MAX_LENGTH}.")
    if problem := text_problem(background):
        raise DomainError(f"Your background {problem}.")
    if years_experience is not None and not 0 <= years_experience <= YEARS_MAX:
        raise DomainError(f"Years of experience must be between 0 and {YEARS_MAX}.")
    sections = dict(locked.study.sections.values_list("key", "title"))
    low, high = EXPERTISE_SCALE
    stated: dict[str, int] = {}
    for key, value in expertise.items():
        if key not in sections:
            raise DomainError(f"'{key}' is not a section of this study.")
        if value is None:
            continue
        if not low <= value <= high:
            raise DomainError(f"Expertise in '{sections[key]}' must be between {low} and {high}.")
        stated[key] = value
    locked.background, locked.years_experience, locked.expertise = background, years_experience, stated
    locked.save(update_fields=["background", "years_experience", "expertise"])
    return locked


@transaction.atomic
def suggestion_submit(*, panelist: Panelist, round: Round, item: Item, text: str) -> Suggestion | None:
    """Save the expert's answer to an open question as a suggested new item for the facilitator.

    One suggestion per panelist, round and question: answering again updates it, and an emptied
    answer withdraws it (returns None). Refused on a closed round or a submitted ballot.
    """
    round_ = locked_open_round(round.pk)
    check_panelist(panelist, round_)
    if not RoundItem.objects.filter(round=round_, item=item).exists():
        raise DomainError(f"Item {item.code} is not part of round {round_.number}.")
    if not item.is_open:
        raise DomainError(f"Item {item.code} is not an open question; rate it instead.")
    ballot = ballot_for(panelist=panelist, round=round_)
    if ballot.status == Ballot.Status.SUBMITTED:
        raise DomainError("This ballot is submitted; reopen it to revise your answers.")
    if len(text) > OPEN_ANSWER_MAX_LENGTH:
        raise DomainError(
            f"Your answer to {item.code} has {len(text)} characters; the limit is {OPEN_ANSWER_MAX_LENGTH}."
        )
    if problem := text_problem(text):
        raise DomainError(f"Your answer to {item.code} {problem}.")
    text = text.strip()
    existing = (
        Suggestion.objects.select_for_update()
        .filter(round=round_, panelist=panelist, prompt_item=item, kind=Suggestion.Kind.NEW_ITEM)
        .first()
    )
    if existing is not None and existing.status != Suggestion.Status.NEW:
        raise DomainError(
            f"Your answer to {item.code} was already reviewed by the facilitator; it can no longer change."
        )
    if not text:
        if existing is not None:
            existing.delete()
        return None
    if existing is None:
        return Suggestion.objects.create(
            study_id=round_.study_id,
            round=round_,
            panelist=panelist,
            prompt_item=item,
            kind=Suggestion.Kind.NEW_ITEM,
            text=text,
            language=language_for(panelist),
        )
    if existing.text != text:
        existing.text, existing.language = text, language_for(panelist)  # the language it is now written in
        existing.save(update_fields=["text", "language"])
    return existing


def answers_save(
    *,
    panelist: Panelist,
    round: Round,
    entries: Iterable[RatingInput],
    rationales: Mapping[int, str],
    open_answers: Mapping[int, str],
    submit: bool = False,
) -> Ballot:
    """The questionnaire's save (autosave, the Save button, or Submit): ratings, item rationales and
    open answers in one transaction. Any refused field refuses the whole save (``BallotRefused``
    names every field), so nothing else in the ballot changes.

    With ``submit`` the ballot is then submitted in a second transaction: when the submission is
    refused (``ballot_submit``'s rules), the answers stay saved and the ballot stays a draft.
    """
    with transaction.atomic():
        errors: dict[str, str] = {}
        try:
            ballot = ballot_save(panelist=panelist, round=round, entries=entries, rationales=rationales)
        except BallotRefused as exc:
            errors.update(exc.errors)
        if open_answers:
            rows = RoundItem.objects.filter(round=round, pk__in=open_answers).select_related("item")
            items = {ri.pk: ri.item for ri in rows}
            for round_item_id, text in open_answers.items():
                item = items.get(round_item_id)
                if item is None:
                    errors[open_field_name(round_item_id)] = (
                        f"Item #{round_item_id} is not part of round {round.number}."
                    )
                    continue
                try:
                    suggestion_submit(panelist=panelist, round=round, item=item, text=text)
                except DomainError as exc:
                    errors[open_field_name(round_item_id)] = str(exc)
        if errors:
            raise BallotRefused(errors)
    if submit:
        ballot = ballot_submit(panelist=panelist, round=round)
    return ballot
