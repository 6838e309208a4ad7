"""Email to the panel: invitations, reminders and thank-yous, each sent at most once.

Exactly once per expert, round and kind: a ``DeliveryLog`` row is claimed first (its unique
constraint makes a second claim, by a retried or duplicated task, find it and skip), then the email
is sent, then the row records *sent* or *failed* with the error. The log never says "sent" before
the server took the message. A failed row, or one whose sender died mid-send (still *claimed*
after the lease), is claimed again by the next retry or by the sweep. SMTP has a timeout
(``DELPHI_EMAIL_TIMEOUT_S``), so a server that stalls fails the send instead of hanging the batch.

Links: the raw token exists only when it is issued (``Panelist`` keeps a hash), so every email that
carries a link (invitation, reminder) mints a new one. It becomes the expert's link only once that
email is sent, in the transaction that logs the send; until then the previous link keeps working.
The link in the newest email is always the valid one; the emails say so. A thank-you carries no link.

Bodies are Django templates edited per study (``MessageTemplate``), rendered without HTML escaping
(they are plain text) by an engine that can load no other template or tag library.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext

from surveys.content_language import localized_text
from surveys.deadlines import is_past
from surveys.errors import DomainError
from surveys.expert_language import language_for
from surveys.models import Ballot, DeliveryLog, Panelist, Round, Study
from surveys.services import message_templates, queue
from surveys.services.mail_language import NOT_SENT, deadline_text, wording_for
from surveys.services.panel import panelist_token_install, token_mint

logger = logging.getLogger(__name__)

Kind = DeliveryLog.Kind
# Experts who get email: not revoked, not withdrawn.
REACHABLE = (Panelist.Status.INVITED, Panelist.Status.ACTIVE)
LINKED = (Kind.INVITATION, Kind.REMINDER)


@dataclass
class MailOutcome:
    """What one batch did: pseudonyms sent to, how many were already sent, pseudonyms that failed."""

    sent: list[str] = field(default_factory=list)
    skipped: int = 0
    failed: list[str] = field(default_factory=list)

    def describe(self) -> str:
        parts = [
            ngettext("%(count)d sent", "%(count)d sent", len(self.sent)) % {"count": len(self.sent)},
            ngettext("%(count)d already sent", "%(count)d already sent", self.skipped) % {"count": self.skipped},
        ]
        if self.failed:
            failed = {"count": len(self.failed), "who": ", ".join(self.failed)}
            parts.append(
                ngettext("%(count)d failed (%(who)s)", "%(count)d failed (%(who)s)", len(self.failed)) % failed
            )
        return ", ".join(parts)


# --- templates -------------------------------------------------------------------------------------


# The wording itself (its one check, saving, and the cut-down, bounded engine) lives in
# surveys.services.message_templates; these names are re-exported for the callers of this module.
message_template_for = message_templates.message_template_for
message_template_save = message_templates.message_template_save
message_template_reset = message_templates.message_template_reset


def message_render(
    *, study: Study, round: Round, kind: str, name: str = "", link: str = "", language: str | None = None
) -> tuple[str, str]:
    """(subject, body) of one email in ``language`` (default: the study's default language), rendered in
    the language its wording is in (surveys.services.mail_language). Only plain values reach the
    template, never a model."""
    wording = wording_for(study, kind, language)
    with translation.override(wording.language):
        # A deadline in the study's zone, named; empty once it has passed or the round is no longer open, so
        # no email (a thank-you sent after the deadline, say) promises "revise until" a time in the past.
        closes_at = ""
        if round.status == Round.Status.OPEN and round.closes_at is not None and not is_past(round.closes_at):
            closes_at = deadline_text(round.closes_at, study.time_zone)
        title = localized_text(study, "title", wording.language, study.default_language)
        values = {
            "study": {"title": title, "slug": study.slug},
            "round": {"number": round.number},
            "closes_at": closes_at,
            "name": name,
            "link": link,
        }
        rendered_subject = message_templates.message_text_render(wording.subject, "subject", values)
        body = message_templates.message_text_render(wording.body, "body", values)
    return " ".join(rendered_subject.split()), body


def expert_link(raw_token: str) -> str:
    return settings.BASE_URL + reverse("surveys:expert_entry", args=[raw_token])


# --- delivery --------------------------------------------------------------------------------------


def claim_lease() -> timedelta:
    """How long a claim protects a send in progress: four SMTP timeouts (connect, envelope, DATA, the
    message's end), after which a live sender would have failed. Past it the sender is taken to have
    died mid-send, and the row may be claimed again."""
    return timedelta(seconds=4 * settings.EMAIL_TIMEOUT)


def _claim(panelist: Panelist, round_: Round, kind: str) -> DeliveryLog | None:
    """Claim the (panelist, round, kind) email for this sender, or None: already sent, or being sent.

    A first claim creates the row; the unique constraint makes a concurrent one find it. A failed row,
    or one claimed longer ago than the lease, is claimed again by a conditional update, so of two
    retries exactly one wins.
    """
    now = timezone.now()
    with transaction.atomic():
        claim, created = DeliveryLog.objects.get_or_create(
            panelist=panelist, round=round_, kind=kind, defaults={"claimed_at": now}
        )
    if created:
        return claim
    if claim.status == DeliveryLog.Status.SENT:
        return None
    abandoned = Q(status=DeliveryLog.Status.CLAIMED, claimed_at__lte=now - claim_lease())
    won = (
        DeliveryLog.objects.filter(pk=claim.pk)
        .filter(Q(status=DeliveryLog.Status.FAILED) | abandoned)
        .update(status=DeliveryLog.Status.CLAIMED, claimed_at=now, attempts=F("attempts") + 1, error="")
    )
    return claim if won else None


def _deliver(panelist: Panelist, round_: Round, kind: str, connection: object) -> str:
    """Claim, send, then record what happened. Returns "sent", "skipped" or "failed".

    A linked email carries a freshly minted token, but the expert's link changes only when the send
    has succeeded, in the same transaction that records it: until then their previous link keeps
    working. A sender that dies mid-send leaves the row *claimed*; the sweep claims it again after
    the lease and mints another link, so nobody is left with a dead link and no email.
    """
    claim = _claim(panelist, round_, kind)
    if claim is None:
        return "skipped"
    raw, digest = token_mint() if kind in LINKED else ("", "")
    link = expert_link(raw) if raw else ""
    try:
        language = language_for(panelist)  # the language the expert's pages are in
        subject, body = message_render(
            study=round_.study, round=round_, kind=kind, name=panelist.name, link=link, language=language
        )
        if link and link not in body:  # never retire a link the expert would not get in exchange
            raise DomainError(
                gettext("The %(kind)s template rendered no link; nothing was sent and the link is unchanged.")
                % {"kind": kind}
            )
        EmailMessage(subject, body, to=[panelist.email], connection=connection).send()  # type: ignore[arg-type]
    except Exception as exc:  # any backend, timeout or template error: recorded; a retry claims the row again
        logger.warning("%s to %s for round %s not sent", kind, panelist.pseudonym, round_.number, exc_info=True)
        DeliveryLog.objects.filter(pk=claim.pk).update(
            status=DeliveryLog.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:500]
        )
        return "failed"
    with transaction.atomic():
        if digest:
            panelist_token_install(panelist=panelist, digest=digest)
        DeliveryLog.objects.filter(pk=claim.pk).update(status=DeliveryLog.Status.SENT, sent_at=timezone.now())
    return "sent"


def deliveries_unfinished(*, max_attempts: int) -> list[DeliveryLog]:
    """Emails the sweep must try again: failed (fewer than ``max_attempts`` tries) or claimed by a sender
    that died (past the lease). Linked emails only while their round is open; a thank-you any time."""
    abandoned = Q(status=DeliveryLog.Status.CLAIMED, claimed_at__lte=timezone.now() - claim_lease())
    failed = Q(status=DeliveryLog.Status.FAILED, attempts__lt=max_attempts)
    still_useful = Q(kind=Kind.THANK_YOU) | Q(round__status=Round.Status.OPEN)
    rows = DeliveryLog.objects.filter(abandoned | failed).filter(still_useful, panelist__status__in=REACHABLE)
    return list(rows.select_related("round"))


def _deliver_all(round_: Round, kind: str, panelists: list[Panelist]) -> MailOutcome:
    outcome = MailOutcome()
    problem = message_templates.message_template_problem(round_.study, kind) if panelists else None
    if problem is not None:  # checked before anything is claimed or minted: a later batch sends once it is fixed
        logger.error("%s emails of %s round %s not sent: %s", kind, round_.study.slug, round_.number, problem)
        outcome.failed.extend(p.pseudonym for p in panelists)
        return outcome
    with get_connection() as connection:  # one connection (e.g. one SMTP session) per batch
        for panelist in panelists:
            result = _deliver(panelist, round_, kind, connection)
            if result == "sent":
                outcome.sent.append(panelist.pseudonym)
            elif result == "skipped":
                outcome.skipped += 1
            else:
                outcome.failed.append(panelist.pseudonym)
    return outcome


def _open_round(round: Round, what: str) -> Round:
    round_ = Round.objects.select_related("study").get(pk=round.pk)
    not_open, past_deadline = NOT_SENT[what]
    values = {"number": round_.number, "status": str(round_.get_status_display()).lower()}
    if round_.status != Round.Status.OPEN:
        raise DomainError(str(not_open) % values)
    if is_past(round_.closes_at):
        values["deadline"] = deadline_text(round_.closes_at, round_.study.time_zone)
        raise DomainError(str(past_deadline) % values)
    return round_


def invitations_send(*, round: Round) -> MailOutcome:
    """Invite every reachable expert of the study to the open round (each at most once)."""
    round_ = _open_round(round, "invitations")
    panelists = list(Panelist.objects.filter(study_id=round_.study_id, status__in=REACHABLE).order_by("pk"))
    return _deliver_all(round_, Kind.INVITATION, panelists)


def invitations_outcome(*, round: Round) -> MailOutcome:
    """What the log says of a round's invitations now: the reachable experts who were sent theirs, and
    (as failed) those who were not, whatever kept it from them (a failed send, a broken template)."""
    sent = DeliveryLog.objects.filter(round=round, kind=Kind.INVITATION, status=DeliveryLog.Status.SENT)
    sent_to = set(sent.values_list("panelist_id", flat=True))
    outcome = MailOutcome()
    panel = Panelist.objects.filter(study_id=round.study_id, status__in=REACHABLE).order_by("pk")
    for panelist_id, pseudonym in panel.values_list("pk", "pseudonym"):
        (outcome.sent if panelist_id in sent_to else outcome.failed).append(pseudonym)
    return outcome


def reminders_send(*, round: Round) -> MailOutcome:
    """Remind the reachable experts who have not submitted in the open round (each at most once)."""
    round_ = _open_round(round, "reminders")
    submitted = Ballot.objects.filter(round=round_, status=Ballot.Status.SUBMITTED).values("panelist_id")
    panelists = list(
        Panelist.objects.filter(study_id=round_.study_id, status__in=REACHABLE).exclude(pk__in=submitted).order_by("pk")
    )
    return _deliver_all(round_, Kind.REMINDER, panelists)


def thank_you_send(*, ballot: Ballot) -> MailOutcome:
    """Thank an expert for a submitted ballot (once per round, however often they resubmit)."""
    ballot = Ballot.objects.select_related("panelist", "round__study").get(pk=ballot.pk)
    if ballot.status != Ballot.Status.SUBMITTED or ballot.panelist.status not in REACHABLE:
        return MailOutcome()
    return _deliver_all(ballot.round, Kind.THANK_YOU, [ballot.panelist])


def thank_you_missing(*, submitted_after: datetime, submitted_before: datetime) -> list[int]:
    """Ballots submitted in that window by reachable, non-synthetic experts who were not thanked for
    their round (the thank-you task was lost, e.g. while the broker was down)."""
    thanked = DeliveryLog.objects.filter(panelist=OuterRef("panelist"), round=OuterRef("round"), kind=Kind.THANK_YOU)
    # Any row counts as handled here: a failed or abandoned one is retried through deliveries_unfinished.
    ballots = Ballot.objects.filter(
        status=Ballot.Status.SUBMITTED,
        submitted_at__gt=submitted_after,
        submitted_at__lte=submitted_before,
        panelist__is_synthetic=False,
        panelist__status__in=REACHABLE,
    ).exclude(Exists(thanked))
    return list(ballots.values_list("pk", flat=True))


# --- requests from the facilitator and hooks ----------------------------------------------------------


def _enqueue(task_name: str, object_id: int) -> None:
    # enqueue() logs and carries on when the broker is down (asking again sends nobody a duplicate);
    # robust: in the embedded default the task runs right here, and a mail failure is logged, not a 500.
    queue.enqueue_on_commit(task_name, object_id, robust=True)


def invitations_request(*, round: Round) -> None:
    """Queue the invitations of an open round (a Celery task, once the caller's transaction commits)."""
    _enqueue(queue.SEND_INVITATIONS, _open_round(round, "invitations").pk)


def reminders_request(*, round: Round) -> None:
    """Queue reminders for those who have not submitted in an open round."""
    _enqueue(queue.SEND_REMINDERS, _open_round(round, "reminders").pk)


def on_ballot_submitted(ballot: Ballot) -> None:
    """Call inside ``ballot_submit``'s transaction: the thank-you goes out once the submission commits."""
    _enqueue(queue.SEND_THANK_YOU, ballot.pk)
