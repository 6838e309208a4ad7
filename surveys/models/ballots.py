"""Ballots (one panelist in one round), ratings, and the revision history of every rating."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual

from .panel import Panelist
from .rounds import Round, RoundItem
from .study import Dimension
from .transitions import check_transition

#: The longest reason an expert can give for a rating, in characters. The form shows it, and the
#: ballot service, the API and a check constraint on ``Rating.rationale`` refuse anything longer.
RATIONALE_MAX_LENGTH = 4000


class BallotStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"


class Ballot(models.Model):
    Status = BallotStatus

    TRANSITIONS = {
        Status.DRAFT: (Status.SUBMITTED,),
        Status.SUBMITTED: (Status.DRAFT, Status.SUBMITTED),  # reopened to revise, or resubmitted
    }

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="ballots")
    panelist = models.ForeignKey(Panelist, on_delete=models.CASCADE, related_name="ballots")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    submitted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["round", "panelist"]
        constraints = [
            models.UniqueConstraint(fields=["round", "panelist"], name="ballot_unique_per_round"),
            models.CheckConstraint(condition=Q(status__in=BallotStatus.values), name="ballot_status_valid"),
            models.CheckConstraint(
                condition=Q(status=BallotStatus.DRAFT) | Q(submitted_at__isnull=False), name="ballot_submitted_has_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.panelist} in round {self.round.number} ({self.status})"

    def move_to(self, target: str) -> None:
        check_transition("Ballot", self.TRANSITIONS, self.status, target)
        self.status = target


class Rating(models.Model):
    """One value on one dimension of one item. ``value`` null means "can't answer".

    The scale bounds are copied from the dimension so that the database itself refuses a value
    outside the scale (a check constraint cannot look across tables).
    """

    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="ratings")
    round_item = models.ForeignKey(RoundItem, on_delete=models.CASCADE, related_name="ratings")
    dimension = models.ForeignKey(Dimension, on_delete=models.RESTRICT, related_name="ratings")
    value = models.SmallIntegerField(null=True, blank=True)
    scale_min = models.SmallIntegerField()
    scale_max = models.SmallIntegerField()
    rationale = models.TextField(blank=True, max_length=RATIONALE_MAX_LENGTH)
    language = models.CharField(
        max_length=16, blank=True, default="", help_text="The language the rationale was written in; empty if unknown."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ballot", "round_item", "dimension"], name="rating_unique_per_ballot"),
            models.CheckConstraint(
                condition=Q(value__isnull=True) | Q(value__gte=models.F("scale_min"), value__lte=models.F("scale_max")),
                name="rating_value_in_scale",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("rationale"), RATIONALE_MAX_LENGTH),
                name="rating_rationale_max_length",
            ),
            models.CheckConstraint(
                condition=Q(language="") | Q(GreaterThanOrEqual(Length("language"), 2)), name="rating_language_code"
            ),
        ]

    def __str__(self) -> str:
        shown = "can't answer" if self.value is None else self.value
        return f"{self.round_item.item.code}/{self.dimension.key} = {shown}"


class RatingRevision(models.Model):
    """Every saved state of a rating, oldest first: a rating is never silently lost."""

    rating = models.ForeignKey(Rating, on_delete=models.CASCADE, related_name="revisions")
    value = models.SmallIntegerField(null=True, blank=True)
    rationale = models.TextField(blank=True)
    saved_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["rating", "saved_at", "id"]

    def __str__(self) -> str:
        return f"revision of {self.rating_id} at {self.saved_at:%Y-%m-%d %H:%M:%S}"
