"""The round lifecycle: create, open (round 1 freezes the consensus rule), close, and the next round.

Every move writes an audit event. A round goes ``draft → open → closed → aggregated`` and never
back: an illegal move raises :class:`~surveys.errors.IllegalTransition`, which says where the round
is and where it can go. Aggregation itself lives in :mod:`surveys.services.aggregation`; the edits
of a draft round's items (reword, drop, add) live in :mod:`surveys.services.round_items`.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from surveys.content_language import MissingTranslationsError, missing_translations
from surveys.deadlines import is_past, moment_format
from surveys.errors import DomainError
from surveys.models import Item, Round, RoundItem, Study
from surveys.services import queue
from surveys.services.audit import audit_record
from surveys.services.carry_forward import CarryForward, round_carry_forward
from surveys.services.feedback_bands import round_reason_bands_store
from surveys.services.mail import invitations_request
from surveys.services.round_items import item_reword
from surveys.stats import RuleError, parse_consensus_rule, parse_stopping_rule

__all__ = [
    "CarryForward",
    "item_reword",  # re-exported: callers import it from here
    "round_aggregate_request",
    "round_carry_forward",
    "round_close",
    "round_close_if_due",
    "round_create",
    "round_deadline_set",
    "round_next",
    "round_open",
    "rounds_close_due",
]


def _check_deadline(number: int, closes_at: datetime | None, zone: str) -> None:
    if is_past(closes_at):
        past = gettext("Round %(n)d cannot have a deadline in the past (%(when)s); choose a later one.")
        raise DomainError(past % {"n": number, "when": moment_format(closes_at, zone)})


def _build_round(study: Study, items: list[Item] | None, closes_at: datetime | None) -> Round:
    if study.status == Study.Status.FINISHED:
        raise DomainError(gettext("Study '%(slug)s' is finished; it takes no new round.") % {"slug": study.slug})
    if study.rounds.exclude(status__in=[Round.Status.CLOSED, Round.Status.AGGREGATED]).exists():
        open_one = gettext("Study '%(slug)s' already has a round that is not closed; close it first.")
        raise DomainError(open_one % {"slug": study.slug})
    number = (study.rounds.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    _check_deadline(number, closes_at, study.time_zone)
    chosen = list(study.items.order_by("order", "code")) if items is None else items
    if not chosen:
        raise DomainError(gettext("Round %(n)d of '%(slug)s' would hold no items.") % {"n": number, "slug": study.slug})
    round_ = Round.objects.create(study=study, number=number, closes_at=closes_at)
    RoundItem.objects.bulk_create(
        RoundItem(round=round_, item=item, order=position) for position, item in enumerate(chosen, start=1)
    )
    return round_


@transaction.atomic
def round_create(
    *,
    study: Study,
    items: list[Item] | None = None,
    closes_at: datetime | None = None,
    actor: AbstractBaseUser | None = None,
    actor_label: str = "system",
) -> Round:
    """A draft round holding ``items`` (default: every item of the study), in their order."""
    round_ = _build_round(study, items, closes_at)
    codes = list(round_.round_items.order_by("order").values_list("item__code", flat=True))
    audit_record(study=study, action="round.created", actor=actor, actor_label=actor_label, round=round_, items=codes)
    return round_


@transaction.atomic
def round_open(
    *,
    round: Round,
    actor: AbstractBaseUser | None = None,
    actor_label: str = "system",
    closes_at: datetime | None = None,
    invite: bool = False,
    allow_fallback: bool = False,
) -> Round:
    """Open a draft round (optionally setting its deadline). Opening round 1 freezes the rules.

    ``invite``: queue the panel's invitations too. They go out once the opening commits (in the embedded
    default, sent right then, in-process), and never for an opening that failed.
    ``allow_fallback``: open although a declared language lacks translations of the round's content
    (experts then see the default language there, marked); without it that raises
    :class:`~surveys.content_language.MissingTranslationsError` listing them."""
    round_ = Round.objects.select_for_update().select_related("study").get(pk=round.pk)
    study = round_.study
    round_.move_to(Round.Status.OPEN)
    if study.status == Study.Status.FINISHED:
        finished = gettext("Study '%(slug)s' is finished; its rounds can no longer open.")
        raise DomainError(finished % {"slug": study.slug})
    if closes_at is not None:
        round_.closes_at = closes_at
    _check_deadline(round_.number, round_.closes_at, study.time_zone)
    if not round_.round_items.exists():
        raise DomainError(gettext("Round %(n)d holds no items; add items before opening it.") % {"n": round_.number})
    if not allow_fallback:
        items = [ri.item for ri in round_.round_items.select_related("item").order_by("order")]
        if missing := missing_translations(study, items):
            raise MissingTranslationsError(round_.number, missing, study.default_language)
    now = timezone.now()
    round_.opened_at = now
    round_.save(update_fields=["status", "opened_at", "closes_at"])
    round_reason_bands_store(round=round_)  # the previous round's bands its experts need, once for the round
    if not study.is_rule_frozen:
        try:
            parse_consensus_rule(study.consensus_rule)
            parse_stopping_rule(study.stopping_rule)
        except RuleError as exc:
            invalid = gettext("Study '%(slug)s' has an invalid rule (%(field)s): %(problem)s")
            raise DomainError(invalid % {"slug": study.slug, "field": exc.field, "problem": exc}) from exc
        study.consensus_rule_frozen_at = now
        study.move_to(Study.Status.RUNNING)
        study.save(update_fields=["consensus_rule_frozen_at", "status"])
        audit_record(
            study=study,
            action="study.rule_frozen",
            actor=actor,
            actor_label=actor_label,
            round=round_,
            consensus_rule=study.consensus_rule,
        )
    audit_record(study=study, action="round.opened", actor=actor, actor_label=actor_label, round=round_)
    if invite:
        invitations_request(round=round_)
    return round_


@transaction.atomic
def round_deadline_set(
    *, round: Round, closes_at: datetime | None, actor: AbstractBaseUser | None = None, actor_label: str = "system"
) -> Round:
    """Set or clear the deadline of a draft or open round; an open round closes itself then."""
    round_ = Round.objects.select_for_update(of=("self",)).select_related("study").get(pk=round.pk)
    if round_.status not in (Round.Status.DRAFT, Round.Status.OPEN):
        state = {"n": round_.number, "status": str(round_.get_status_display()).lower()}
        raise DomainError(gettext("Round %(n)d is %(status)s; its deadline can no longer change.") % state)
    if round_.status == Round.Status.OPEN and is_past(round_.closes_at):  # due: moving it would reopen the round
        due = gettext("Round %(n)d passed its deadline (%(when)s) and closes; its deadline can no longer change.")
        raise DomainError(due % {"n": round_.number, "when": moment_format(round_.closes_at, round_.study.time_zone)})
    _check_deadline(round_.number, closes_at, round_.study.time_zone)
    round_.closes_at = closes_at
    round_.save(update_fields=["closes_at"])
    audit_record(
        study=round_.study,
        action="round.deadline_set",
        actor=actor,
        actor_label=actor_label,
        round=round_,
        closes_at=closes_at.isoformat() if closes_at else None,
    )
    return round_


def _claim_close(round_id: int, *, due_only: bool) -> bool:
    """Close the round with a conditional update; True only for the caller that won the claim.

    The UPDATE needs the round row, so it waits for every ballot transaction in flight, each holding
    the row ``FOR SHARE`` (a save or a submission; ``FOR UPDATE`` for a submission in a live round);
    a save that comes after it waits for the close to commit, then reads the round closed and is
    refused (``locked_open_round``, and the autosave's one read). So a ballot is either saved before
    the close or refused after it, never half in. On SQLite each write transaction begins IMMEDIATE:
    they run one at a time.
    """
    now = timezone.now()
    claim = Round.objects.filter(pk=round_id, status=Round.Status.OPEN)
    if due_only:
        claim = claim.filter(closes_at__lte=now)
    return claim.update(status=Round.Status.CLOSED, closed_at=now) == 1


@transaction.atomic
def round_close(
    *, round: Round, actor: AbstractBaseUser | None = None, actor_label: str = "system", aggregate: bool = True
) -> Round:
    """Close an open round by hand and enqueue its aggregation once the close commits.

    Closing twice, or a round that never opened, is an error.
    """
    if not _claim_close(round.pk, due_only=False):
        current = Round.objects.get(pk=round.pk)
        current.move_to(Round.Status.CLOSED)  # raises IllegalTransition with the current state
    closed = Round.objects.select_related("study").get(pk=round.pk)
    audit_record(study=closed.study, action="round.closed", actor=actor, actor_label=actor_label, round=closed)
    if aggregate:
        queue.schedule_aggregation(closed)
    return closed


@transaction.atomic
def round_aggregate_request(*, round: Round) -> None:
    """Queue the (re)computation of a closed round's statistics, e.g. after a failed run."""
    round_ = Round.objects.select_related("study").get(pk=round.pk)
    if round_.status not in (Round.Status.CLOSED, Round.Status.AGGREGATED):
        state = {"n": round_.number, "status": str(round_.get_status_display()).lower()}
        raise DomainError(gettext("Round %(n)d is %(status)s; close it before computing its statistics.") % state)
    queue.schedule_aggregation(round_)


def _close_due(round_id: int) -> Round | None:
    """The one close at the deadline, for the beat sweep and for the first touch after it alike.

    The conditional update claims the round (``status=open AND closes_at<=now``), so of any number of
    concurrent callers exactly one closes it, writes the audit event and enqueues the aggregation
    (once the close commits; in the embedded default it runs right then). The others get None.
    """
    with transaction.atomic():
        if not _claim_close(round_id, due_only=True):
            return None
        round_ = Round.objects.select_related("study").get(pk=round_id)
        audit_record(study=round_.study, action="round.closed", actor_label="deadline", round=round_)
        queue.schedule_aggregation(round_)
    return round_


def rounds_close_due(*, study: Study | None = None) -> list[Round]:
    """Close every open round (of ``study``, or of every study) whose deadline has passed, and enqueue
    each one's aggregation. Run by beat; safe to run concurrently."""
    due = Round.objects.filter(status=Round.Status.OPEN, closes_at__lte=timezone.now())
    if study is not None:
        due = due.filter(study=study)
    closed = (_close_due(round_id) for round_id in list(due.values_list("pk", flat=True)))
    return [round_ for round_ in closed if round_ is not None]


def round_close_if_due(*, round: Round) -> bool:
    """The touch: close ``round`` if its deadline has passed, whatever runs (or does not run) beat.

    Called wherever a round is read for an expert or the API, so a deadline holds without celery beat.
    Before the deadline it costs nothing (the test is on the loaded row); after it, one conditional
    update, which only one caller wins. ``round`` is refreshed in place; True if this call closed it.
    """
    if round.status != Round.Status.OPEN or not is_past(round.closes_at):
        return False
    closed = _close_due(round.pk) is not None
    round.refresh_from_db(fields=["status", "closed_at", "aggregated_at"])
    return closed


@transaction.atomic
def round_next(
    *,
    study: Study,
    drop: list[Item] | None = None,
    add: list[Item] | None = None,
    closes_at: datetime | None = None,
    actor: AbstractBaseUser | None = None,
    actor_label: str = "system",
) -> Round:
    """Create the next round as a draft: the carried items, less ``drop``, plus ``add``.

    Rewording (``item_reword``) and adding happen before the facilitator opens it.
    """
    last = study.rounds.order_by("-number").first()
    if last is None:
        raise DomainError(gettext("Study '%(slug)s' has no round yet; create round 1 first.") % {"slug": study.slug})
    plan = round_carry_forward(last)
    dropped = {i.pk for i in drop or []}
    items = [i for i in plan.carried if i.pk not in dropped]
    items += [i for i in add or [] if i.pk not in {x.pk for x in items}]
    if not items:
        raise DomainError(
            gettext(
                "Every item of round %(n)d was decided or dropped, so round %(next)d would hold no items; "
                "the study can stop here."
            )
            % {"n": last.number, "next": last.number + 1}
        )
    new_round = _build_round(study, items, closes_at)
    audit_record(
        study=study,
        action="round.created",
        actor=actor,
        actor_label=actor_label,
        round=new_round,
        carried=[i.code for i in items],
        decided={i.code: v for i, v in plan.decided},
        dropped=sorted(dropped),
    )
    return new_round
