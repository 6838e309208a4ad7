"""Email to the panel: invitations, reminders and thank-yous, each sent at most once.

Exactly once per expert, round and kind: a ``DeliveryLog`` row is claimed first (its unique
constraint makes a second claim, by a retried or duplicated task, find it and skip), then the email
is sent; if sending fails the claim is deleted so that a retry sends it. The one gap is a worker
that dies between the claim and the send: that expert gets nothing rather than two emails, and the
facilitator sees them missing from the delivery log.

Links: the raw token exists only when it is issued (``Panelist`` keeps a hash), so every email that
carries a link (invitation, reminder) issues a new one and the expert's earlier link stops working.
The link in the newest email is always the valid one; the emails say so. If sending fails, the
previous link is restored. A thank-you carries no link.

Bodies are Django templates edited per study (``MessageTemplate``), rendered without HTML escaping
(they are plain text) by an engine that can load no other template or tag library.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.template import Context, Engine, Template, TemplateSyntaxError
from django.template.defaulttags import DebugNode
from django.urls import reverse
from django.utils import timezone

from surveys.errors import DomainError
from surveys.models import Ballot, DeliveryLog, MessageTemplate, Panelist, Round, Study
from surveys.models.messages import DEFAULT_MESSAGES
from surveys.services.audit import audit_record
from surveys.services.panel import panelist_token_rotate

logger = logging.getLogger(__name__)

Kind = DeliveryLog.Kind
# Experts who get email: not revoked, not withdrawn.
REACHABLE = (Panelist.Status.INVITED, Panelist.Status.ACTIVE)
LINKED = (Kind.INVITATION, Kind.REMINDER)
_ENGINE = Engine(debug=False)  # no loaders, no tag libraries: it can load nothing else


@dataclass
class MailOutcome:
    """What one batch did: pseudonyms sent to, how many were already sent, pseudonyms that failed."""

    sent: list[str] = field(default_factory=list)
    skipped: int = 0
    failed: list[str] = field(default_factory=list)

    def describe(self) -> str:
        text = f"{len(self.sent)} sent, {self.skipped} already sent"
        return text + (f", {len(self.failed)} failed ({', '.join(self.failed)})" if self.failed else "")


# --- templates -------------------------------------------------------------------------------------


def message_template_for(study: Study, kind: str) -> tuple[str, str]:
    """The study's (subject, body) for ``kind``, or the built-in default."""
    saved = MessageTemplate.objects.filter(study=study, kind=kind).values_list("subject", "body").first()
    return saved if saved is not None else DEFAULT_MESSAGES[kind]


SAMPLE = {
    "study": {"title": "Study", "slug": "study"},
    "round": {"number": 1},
    "closes_at": "2030-01-01 12:00 (UTC)",
    "name": "Expert",
    "link": "https://example.org/e/token/",
}


def _compile(text: str, what: str) -> Template:
    """Compile a facilitator's template; ``{% debug %}`` is refused (it would mail the server's internals)."""
    try:
        template = _ENGINE.from_string(text)
    except TemplateSyntaxError as exc:
        raise DomainError(f"The {what} is not a valid template: {exc}") from exc
    if template.nodelist.get_nodes_by_type(DebugNode):
        raise DomainError(f"The {what} uses {{% debug %}}, which is not allowed in an email.")
    return template


def _render(text: str, what: str, values: dict[str, Any]) -> str:
    try:
        return _compile(text, what).render(Context(values, autoescape=False))
    except DomainError:
        raise
    except Exception as exc:  # e.g. {% include %} of a template this engine cannot load
        raise DomainError(f"The {what} cannot be rendered: {exc}") from exc


@transaction.atomic
def message_template_save(
    *,
    study: Study,
    kind: str,
    subject: str,
    body: str,
    actor: AbstractBaseUser | None = None,
    actor_label: str = "system",
) -> MessageTemplate:
    """Save a study's wording of one kind of email, after checking that it renders."""
    if kind not in Kind.values:
        raise DomainError(f"'{kind}' is not a kind of email; choose from {', '.join(Kind.values)}.")
    subject, body = " ".join(subject.split()), body.strip()
    if not subject or not body:
        raise DomainError("The subject and the body must not be empty.")
    if len(subject) > 200 or len(body) > 10000:
        raise DomainError("The subject is limited to 200 characters and the body to 10,000.")
    _render(subject, "subject", SAMPLE)  # a broken template never reaches a send
    _render(body, "body", SAMPLE)
    if kind in LINKED and "{{link" not in body.replace(" ", ""):
        raise DomainError(
            "The body must contain {{ link }}: it is the expert's personal link, without which they cannot answer."
        )
    template, _ = MessageTemplate.objects.update_or_create(
        study=study, kind=kind, defaults={"subject": subject, "body": body + "\n"}
    )
    audit_record(study=study, action="message.edited", actor=actor, actor_label=actor_label, kind=kind)
    return template


@transaction.atomic
def message_template_reset(
    *, study: Study, kind: str, actor: AbstractBaseUser | None = None, actor_label: str = "system"
) -> None:
    """Go back to the built-in wording."""
    MessageTemplate.objects.filter(study=study, kind=kind).delete()
    audit_record(study=study, action="message.reset", actor=actor, actor_label=actor_label, kind=kind)


def message_render(*, study: Study, round: Round, kind: str, name: str = "", link: str = "") -> tuple[str, str]:
    """(subject, body) of one email. Only plain values reach the template, never a model."""
    subject, body = message_template_for(study, kind)
    closes_at = ""
    if round.closes_at is not None:
        closes_at = f"{timezone.localtime(round.closes_at):%Y-%m-%d %H:%M} ({settings.TIME_ZONE})"
    values = {
        "study": {"title": study.title, "slug": study.slug},
        "round": {"number": round.number},
        "closes_at": closes_at,
        "name": name,
        "link": link,
    }
    return " ".join(_render(subject, "subject", values).split()), _render(body, "body", values)


def expert_link(raw_token: str) -> str:
    return settings.BASE_URL + reverse("surveys:expert_entry", args=[raw_token])


# --- delivery --------------------------------------------------------------------------------------


def _deliver(panelist: Panelist, round_: Round, kind: str, connection: object) -> str:
    """Claim, send, and release the claim on failure. Returns "sent", "skipped" or "failed"."""
    previous = (panelist.token_hash, panelist.token_issued_at)
    with transaction.atomic():
        claim, created = DeliveryLog.objects.get_or_create(panelist=panelist, round=round_, kind=kind)
        if not created:
            return "skipped"
        link = expert_link(panelist_token_rotate(panelist=panelist)) if kind in LINKED else ""
    try:
        subject, body = message_render(study=round_.study, round=round_, kind=kind, name=panelist.name, link=link)
        EmailMessage(subject, body, to=[panelist.email], connection=connection).send()  # type: ignore[arg-type]
    except Exception:  # any backend or template error: release the claim so a retry sends it
        logger.warning("%s to %s for round %s not sent", kind, panelist.pseudonym, round_.number, exc_info=True)
        with transaction.atomic():
            DeliveryLog.objects.filter(pk=claim.pk).delete()
            if link:
                Panelist.objects.filter(pk=panelist.pk).update(token_hash=previous[0], token_issued_at=previous[1])
        return "failed"
    return "sent"


def _deliver_all(round_: Round, kind: str, panelists: list[Panelist]) -> MailOutcome:
    outcome = MailOutcome()
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
    if round_.status != Round.Status.OPEN:
        raise DomainError(f"Round {round_.number} is {round_.status}; {what} go out only while a round is open.")
    return round_


def invitations_send(*, round: Round) -> MailOutcome:
    """Invite every reachable expert of the study to the open round (each at most once)."""
    round_ = _open_round(round, "invitations")
    panelists = list(Panelist.objects.filter(study_id=round_.study_id, status__in=REACHABLE).order_by("pk"))
    return _deliver_all(round_, Kind.INVITATION, panelists)


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
    from surveys import tasks  # tasks import services; enqueue lazily

    task = getattr(tasks, task_name)
    # enqueue() logs and carries on when the broker is down (asking again sends nobody a duplicate);
    # robust: in the embedded default the task runs right here, and a mail failure is logged, not a 500.
    transaction.on_commit(lambda: tasks.enqueue(task, object_id), robust=True)


def invitations_request(*, round: Round) -> None:
    """Queue the invitations of an open round (a Celery task, once the caller's transaction commits)."""
    _enqueue("send_invitations", _open_round(round, "invitations").pk)


def reminders_request(*, round: Round) -> None:
    """Queue reminders for those who have not submitted in an open round."""
    _enqueue("send_reminders", _open_round(round, "reminders").pk)


def on_ballot_submitted(ballot: Ballot) -> None:
    """Call inside ``ballot_submit``'s transaction: the thank-you goes out once the submission commits."""
    _enqueue("send_thank_you", ballot.pk)
