"""Rounds and the items each one holds."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from .study import Item, Study
from .transitions import check_transition


class RoundStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"
    AGGREGATED = "aggregated", "Aggregated"


class Round(models.Model):
    Status = RoundStatus

    # A closed round never reopens silently: there is no edge back to OPEN.
    TRANSITIONS = {
        Status.DRAFT: (Status.OPEN,),
        Status.OPEN: (Status.CLOSED,),
        Status.CLOSED: (Status.AGGREGATED,),
        Status.AGGREGATED: (Status.AGGREGATED,),  # re-aggregation replaces the statistics
    }

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="rounds")
    number = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    opens_at = models.DateTimeField(null=True, blank=True)
    closes_at = models.DateTimeField(null=True, blank=True, help_text="Deadline; the round closes itself then.")
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    aggregated_at = models.DateTimeField(null=True, blank=True)
    is_live_feedback = models.BooleanField(
        default=False, help_text="Real-time Delphi: recompute feedback while the round is open."
    )
    # Set by each submission while live feedback is on; the debounced task clears it when it recomputes.
    is_live_stale = models.BooleanField(default=False)
    # The previous round's whole-panel [q1, q3] that may ask this round's experts for a reason, per
    # lineage: {"<round item id>": {"<dimension id>": [q1, q3, n]}}. Computed once for the round
    # (surveys.services.feedback_bands) and read with the round row; None until then.
    reason_bands = models.JSONField(null=True, blank=True, default=None, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["study", "number"]
        constraints = [
            models.UniqueConstraint(fields=["study", "number"], name="round_number_unique_in_study"),
            models.CheckConstraint(condition=Q(number__gte=1), name="round_number_positive"),
            models.CheckConstraint(condition=Q(status__in=RoundStatus.values), name="round_status_valid"),
            models.CheckConstraint(
                condition=Q(closes_at__isnull=True) | Q(opens_at__isnull=True) | Q(closes_at__gt=models.F("opens_at")),
                name="round_closes_after_it_opens",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.study.slug} round {self.number} ({self.status})"

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def is_aggregated(self) -> bool:
        return self.status == self.Status.AGGREGATED

    def move_to(self, target: str) -> None:
        check_transition(f"Round {self.number}", self.TRANSITIONS, self.status, target)
        self.status = target


class RoundItem(models.Model):
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="round_items")
    item = models.ForeignKey(Item, on_delete=models.RESTRICT, related_name="round_items")
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["round", "order"]
        constraints = [models.UniqueConstraint(fields=["round", "item"], name="round_item_unique")]

    def __str__(self) -> str:
        return f"{self.item.code} in round {self.round.number}"
