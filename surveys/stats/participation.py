"""Who took part in each round: the one definition the dashboard, the aggregation and every report use.

Plain rows go in (:class:`Member`, :class:`RoundSpan`, ballots as ``(round id, panelist id, status)``);
frozen :class:`RoundParticipation` rows come out. A round *ends* when it closes (``closed_at``); a
round that has not closed yet is still running and is judged "now".

Definitions, for a round r:

- **on the panel at a moment**: joined (``joined_at``) at or before it, and neither revoked nor
  withdrawn at or before it. An expert marked revoked or withdrawn without a time has left for good.
- **submitted** in r: holds a *submitted* ballot in r. Answers given before a revocation or a
  withdrawal count: the link stops working at once, so a submitted ballot always predates it.
  "Withdraw and delete my answers" deletes the ballots, so the expert no longer submitted anything.
- **invited** to r: on the panel when r ended (while r runs: on the panel now), or submitted in r.
  So ``submitted ⊆ invited`` and every share below lies in [0, 1]. An expert who joined after r
  closed was not asked in r; one revoked or withdrawn after r closed was.
- **drafts**: invited experts whose ballot in r is still a draft.
- **withdrew** / **revoked** in r: experts whose withdrawal or revocation falls after the previous
  round ended (the first round: any time) and at or before r ended (while r runs: up to now).
- **response rate** (a round that has ended): submitted / invited.
- **progress** (an open round): submitted so far / invited; never called a response rate. A draft
  round has neither.
- **attrition** (an ended round after the first): the share of the previous round's respondents
  who did not submit in r; ``lost`` counts them. A running round has no attrition yet.
- **joined** (newcomers): respondents of r who did not answer the previous round;
  **retained from round 1**: respondents of r who answered the first round given.

CREDES (Jünger et al. 2017) asks a report to give the response rate of every round; this module is
where that figure is defined.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

REVOKED = "revoked"
WITHDRAWN = "withdrawn"
SUBMITTED = "submitted"
OPEN = "open"
ENDED = ("closed", "aggregated")


class Moment(Protocol):
    """A point in time (a timezone-aware ``datetime``); only ordering is used."""

    def __le__(self, other: Any, /) -> bool: ...
    def __lt__(self, other: Any, /) -> bool: ...


@dataclass(frozen=True)
class Member:
    """One panelist, as far as participation goes. ``joined_at`` None: on the panel from the start."""

    id: int
    group: str = ""
    status: str = "active"
    joined_at: Moment | None = None
    revoked_at: Moment | None = None
    withdrawn_at: Moment | None = None

    @property
    def has_left(self) -> bool:
        """Revoked or withdrawn, whether or not the time is known."""
        return self.status in (REVOKED, WITHDRAWN) or self.revoked_at is not None or self.withdrawn_at is not None

    def left_by(self, moment: Moment | None) -> bool:
        """Revoked or withdrawn at or before ``moment`` (None: now)."""
        if not self.has_left:
            return False
        times = [t for t in (self.revoked_at, self.withdrawn_at) if t is not None]
        if moment is None or not times:
            return True
        return min(times) <= moment  # type: ignore[type-var]

    def on_panel_at(self, moment: Moment | None) -> bool:
        """Joined at or before ``moment`` (None: now) and not left by then."""
        joined = self.joined_at is None or moment is None or self.joined_at <= moment
        return joined and not self.left_by(moment)


@dataclass(frozen=True)
class RoundSpan:
    """A round: its id, number, status and the moment it closed (None while it has not)."""

    id: int
    number: int
    status: str
    closed_at: Moment | None = None

    @property
    def has_ended(self) -> bool:
        return self.status in ENDED

    @property
    def end(self) -> Moment | None:
        """When the round ended; None while it runs (or if an ended round has no closing time)."""
        return self.closed_at if self.has_ended else None


@dataclass(frozen=True)
class RoundParticipation:
    """Who was invited to, submitted in, withdrew and was revoked in one round (see the module docstring).

    ``group`` is "" for the whole panel. ``previous`` holds the previous round's respondents (None
    in the first round given) and ``first`` the first round's, both within the same group.
    """

    round_id: int
    round_number: int
    round_status: str
    group: str
    invited: frozenset[int]
    submitted: frozenset[int]
    drafts: frozenset[int]
    withdrew: frozenset[int]
    revoked: frozenset[int]
    previous: frozenset[int] | None
    first: frozenset[int]

    @property
    def has_ended(self) -> bool:
        return self.round_status in ENDED

    @property
    def n_invited(self) -> int:
        return len(self.invited)

    @property
    def n_submitted(self) -> int:
        return len(self.submitted)

    @property
    def n_drafts(self) -> int:
        return len(self.drafts)

    @property
    def n_previous(self) -> int | None:
        return None if self.previous is None else len(self.previous)

    @property
    def share(self) -> float | None:
        """Submitted / invited, in [0, 1]: the response rate once ended, the progress while running."""
        return len(self.submitted) / len(self.invited) if self.invited else None

    @property
    def response_rate(self) -> float | None:
        return self.share if self.has_ended else None

    @property
    def progress(self) -> float | None:
        """Submitted so far / invited, while the round is open (None otherwise)."""
        return self.share if self.round_status == OPEN else None

    @property
    def lost(self) -> int | None:
        """The previous round's respondents who did not submit here (None in the first round)."""
        return None if self.previous is None else len(self.previous - self.submitted)

    @property
    def attrition(self) -> float | None:
        """lost / previous respondents, for an ended round after the first with any previous respondent."""
        if not self.has_ended or not self.previous:
            return None
        return len(self.previous - self.submitted) / len(self.previous)

    @property
    def joined(self) -> int:
        return 0 if self.previous is None else len(self.submitted - self.previous)

    @property
    def retained_from_first(self) -> int:
        return len(self.submitted & self.first)

    def within(self, ids: Iterable[int], group: str) -> RoundParticipation:
        """The same round restricted to the panelists ``ids`` (e.g. one group's members)."""
        keep = frozenset(ids)
        return replace(
            self,
            group=group,
            invited=self.invited & keep,
            submitted=self.submitted & keep,
            drafts=self.drafts & keep,
            withdrew=self.withdrew & keep,
            revoked=self.revoked & keep,
            previous=None if self.previous is None else self.previous & keep,
            first=self.first & keep,
        )


def _left_between(times: Iterable[tuple[int, Moment | None]], after: Moment | None, until: Moment | None) -> set[int]:
    """Ids whose time lies in (after, until]; None bounds are open ends."""
    return {
        pk
        for pk, at in times
        if at is not None and (after is None or after < at) and (until is None or at <= until)  # type: ignore[operator]
    }


def participation(
    rounds: Sequence[RoundSpan], members: Sequence[Member], ballots: Iterable[tuple[int, int, str]]
) -> list[RoundParticipation]:
    """Each round's participation for the whole panel, in round-number order (module docstring).

    ``ballots`` are ``(round id, panelist id, status)``; ballots of other rounds are ignored.
    """
    ordered = sorted(rounds, key=lambda r: r.number)
    ids = {r.id for r in ordered}
    submitted: dict[int, set[int]] = {r.id: set() for r in ordered}
    started: dict[int, set[int]] = {r.id: set() for r in ordered}
    for round_id, panelist_id, status in ballots:
        if round_id in ids:
            (submitted if status == SUBMITTED else started)[round_id].add(panelist_id)
    withdrawals = [(m.id, m.withdrawn_at) for m in members]
    revocations = [(m.id, m.revoked_at) for m in members]
    rows: list[RoundParticipation] = []
    previous: RoundParticipation | None = None
    for span in ordered:
        end = span.end
        done = frozenset(submitted[span.id])
        invited = frozenset({m.id for m in members if m.on_panel_at(end)} | done)
        after = None if previous is None else _end_of(ordered, previous.round_id)
        row = RoundParticipation(
            round_id=span.id,
            round_number=span.number,
            round_status=span.status,
            group="",
            invited=invited,
            submitted=done,
            drafts=frozenset(started[span.id] & invited),
            withdrew=frozenset(_left_between(withdrawals, after, end)),
            revoked=frozenset(_left_between(revocations, after, end)),
            previous=None if previous is None else previous.submitted,
            first=done if previous is None else previous.first,
        )
        rows.append(row)
        previous = row
    return rows


def _end_of(rounds: Sequence[RoundSpan], round_id: int) -> Moment | None:
    return next(r.end for r in rounds if r.id == round_id)


def by_group(
    rows: Sequence[RoundParticipation], group_of: Mapping[int, str], *, keep_empty: bool = False
) -> list[RoundParticipation]:
    """Each round's participation per group (``group_of``: panelist id -> group label), groups sorted.

    A group with nobody invited and no previous respondent in a round is left out unless ``keep_empty``.
    """
    members: dict[str, set[int]] = {}
    for pk, group in group_of.items():
        members.setdefault(group, set()).add(pk)
    out = []
    for row in rows:
        for group in sorted(members):
            part = row.within(members[group], group)
            if keep_empty or part.invited or part.previous:
                out.append(part)
    return out


def members_from_rows(rows: Iterable[Mapping[str, Any]]) -> list[Member]:
    """Members from panelist rows keyed ``id``, ``group``, ``status``, ``created_at`` (when they joined),
    ``revoked_at`` and ``withdrawn_at``; a missing key takes the default."""
    return [
        Member(
            id=row["id"],
            group=row.get("group") or "",
            status=row.get("status") or "active",
            joined_at=row.get("created_at"),
            revoked_at=row.get("revoked_at"),
            withdrawn_at=row.get("withdrawn_at"),
        )
        for row in rows
    ]


def spans_from_rows(rows: Iterable[Mapping[str, Any]]) -> list[RoundSpan]:
    """Rounds from rows keyed ``id``, ``number``, ``status`` and ``closed_at``."""
    return [RoundSpan(id=r["id"], number=r["number"], status=r["status"], closed_at=r.get("closed_at")) for r in rows]


def ever_on_panel(rows: Sequence[RoundParticipation], members: Sequence[Member]) -> set[int]:
    """Panelists a report counts as the panel: invited to any of ``rows``' rounds, or on the panel now."""
    invited = set().union(*(row.invited for row in rows)) if rows else set()
    return invited | {m.id for m in members if m.on_panel_at(None)}
