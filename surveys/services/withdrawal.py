"""An expert leaves the panel: withdraw and keep the answers given, or withdraw and delete them.

The rule, stated in the report's methods appendix (:data:`surveys.reports.methods.PARTICIPATION`)
and defined in :mod:`surveys.stats.participation`:

- Withdrawing (or being revoked) keeps what the expert submitted: those ballots stay in every
  statistic, and the expert counts as invited and answered in those rounds. Their link and their
  email stop at once.
- Withdrawing *and deleting the answers* deletes every ballot of theirs in every round (ratings,
  rationales and their revision history with them) and their open answers the facilitator has not
  turned into items; the aggregated rounds they had answered are computed again at once, an open
  real-time round's live feedback is recomputed, and a closed round still waiting for its
  aggregation gets it without them. They stay counted as invited to the rounds they were on the
  panel for, not as having answered. The audit event records counts, never what was answered.

The expert asks for it on their own pages; the facilitator does it on the panel page when an
expert asks by other means (also for a revoked expert, who stays revoked: revoking is final).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from surveys.errors import DomainError
from surveys.models import Ballot, Panelist, Rating, Round, Suggestion
from surveys.services import queue
from surveys.services.aggregation import round_aggregate
from surveys.services.audit import audit_record


@dataclass(frozen=True)
class Withdrawal:
    """What a withdrawal did: the panelist as saved, and what was deleted and recomputed."""

    panelist: Panelist
    ballots_deleted: int = 0
    ratings_deleted: int = 0
    suggestions_deleted: int = 0
    rounds_recomputed: tuple[int, ...] = ()


@transaction.atomic
def panelist_withdraw(
    *,
    panelist: Panelist,
    delete_answers: bool = False,
    actor: AbstractBaseUser | None = None,
    actor_label: str = "expert",
) -> Withdrawal:
    """Withdraw ``panelist`` from the panel (``withdrawn_at`` is set once), and with ``delete_answers``
    delete every answer of theirs (see the module docstring).

    Refused for an expert already withdrawn or revoked unless the answers are to be deleted.
    """
    locked = Panelist.objects.select_for_update(of=("self",)).select_related("study").get(pk=panelist.pk)
    if locked.status in (Panelist.Status.WITHDRAWN, Panelist.Status.REVOKED):
        if not delete_answers:
            already = {"p": locked.pseudonym, "status": str(locked.get_status_display()).lower()}
            raise DomainError(gettext("%(p)s is already %(status)s.") % already)
    else:
        locked.status = Panelist.Status.WITHDRAWN
        locked.withdrawn_at = timezone.now()
        locked.save(update_fields=["status", "withdrawn_at"])
        audit_record(
            study=locked.study,
            action="panelist.withdrew",
            actor=actor,
            actor_label=actor_label,
            pseudonym=locked.pseudonym,
            answers_deleted=delete_answers,
        )
    if not delete_answers:
        return Withdrawal(panelist=locked)
    return _answers_delete(locked, actor=actor, actor_label=actor_label)


def _answers_delete(panelist: Panelist, *, actor: AbstractBaseUser | None, actor_label: str) -> Withdrawal:
    ballots = Ballot.objects.filter(panelist=panelist)
    round_ids = set(ballots.values_list("round_id", flat=True))
    touched = list(Round.objects.select_for_update().filter(pk__in=round_ids).order_by("number"))
    n_ratings = Rating.objects.filter(ballot__panelist=panelist).count()
    n_ballots = ballots.count()
    ballots.delete()  # ratings and their revisions go with them (CASCADE)
    suggestions = Suggestion.objects.filter(panelist=panelist)
    suggestions.filter(status=Suggestion.Status.ACCEPTED).update(panelist=None)  # now the facilitator's item
    n_suggestions, _ = suggestions.exclude(status=Suggestion.Status.ACCEPTED).delete()
    recomputed = []
    for round_ in touched:
        if round_.status == Round.Status.AGGREGATED:
            round_aggregate(round=round_)
            recomputed.append(round_.number)
        elif round_.status == Round.Status.OPEN and round_.is_live_feedback:
            queue.schedule_live_feedback(round_)
    audit_record(
        study=panelist.study,
        action="panelist.answers_deleted",
        actor=actor,
        actor_label=actor_label,
        pseudonym=panelist.pseudonym,
        ballots=n_ballots,
        ratings=n_ratings,
        suggestions=n_suggestions,
        rounds_recomputed=recomputed,
    )
    return Withdrawal(
        panelist=panelist,
        ballots_deleted=n_ballots,
        ratings_deleted=n_ratings,
        suggestions_deleted=n_suggestions,
        rounds_recomputed=tuple(recomputed),
    )
