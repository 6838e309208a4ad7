"""Suggestions from panelists, report jobs, delivery logs and the audit trail."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThanOrEqual
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .panel import Panelist
from .rounds import Round
from .study import Item, Study


class SuggestionKind(models.TextChoices):
    NEW_ITEM = "new_item", "New item"
    REWORDING = "rewording", "Rewording"


class SuggestionStatus(models.TextChoices):
    NEW = "new", "New"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"


class Suggestion(models.Model):
    Kind = SuggestionKind

    Status = SuggestionStatus

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="suggestions")
    round = models.ForeignKey(Round, on_delete=models.SET_NULL, null=True, blank=True, related_name="suggestions")
    panelist = models.ForeignKey(Panelist, on_delete=models.SET_NULL, null=True, blank=True, related_name="suggestions")
    prompt_item = models.ForeignKey(
        Item,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="answers",
        help_text="The open question this answers, if any.",
    )
    target_item = models.ForeignKey(
        Item, on_delete=models.SET_NULL, null=True, blank=True, related_name="suggested_rewordings"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.NEW_ITEM)
    text = models.TextField(max_length=4000)
    language = models.CharField(
        max_length=16, blank=True, default="", help_text="The language the text was written in; empty if unknown."
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    created_item = models.ForeignKey(Item, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["study", "-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=SuggestionStatus.values), name="suggestion_status_valid"),
            models.CheckConstraint(condition=Q(kind__in=SuggestionKind.values), name="suggestion_kind_valid"),
            models.CheckConstraint(
                condition=Q(language="") | Q(GreaterThanOrEqual(Length("language"), 2)), name="suggestion_language_code"
            ),
        ]

    def __str__(self) -> str:
        return self.text[:60]

    @property
    def is_rewording(self) -> bool:
        return self.kind == SuggestionKind.REWORDING


class ReportFormat(models.TextChoices):
    PDF = "pdf", "PDF"
    XLSX = "xlsx", "Excel (XLSX)"
    CSV = "csv", "CSV"
    JSON = "json", "JSON"
    HTML = "html", "HTML"
    RATINGS = "ratings", "Raw ratings (CSV)"


class ReportJobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ReportJobStage(models.TextChoices):
    """What a report build is doing (or, once failed, was doing when it failed)."""

    WAITING = "waiting", _("waiting to start")
    DATA = "data", _("gathering the data")
    CHARTS = "charts", _("drawing the charts")
    LAYOUT = "layout", _("laying out the pages")
    WRITING = "writing", _("writing the file")
    DONE = "done", _("finished")


class ReportJob(models.Model):
    Format = ReportFormat

    Status = ReportJobStatus
    Stage = ReportJobStage

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="report_jobs")
    format = models.CharField(max_length=8, choices=Format.choices)
    language = models.CharField(max_length=8, default="en")  # the report's language: a settings.LANGUAGES code
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    file = models.FileField(upload_to="reports/", blank=True)
    error = models.TextField(blank=True)
    progress = models.PositiveSmallIntegerField(
        default=0, help_text="Percent of the build done (0-100), updated by the builder at its milestones."
    )
    stage = models.CharField(max_length=16, choices=ReportJobStage.choices, default=ReportJobStage.WAITING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=ReportJobStatus.values), name="report_job_status_valid"),
            models.CheckConstraint(condition=Q(format__in=ReportFormat.values), name="report_job_format_valid"),
            models.CheckConstraint(condition=Q(stage__in=ReportJobStage.values), name="report_job_stage_valid"),
            models.CheckConstraint(condition=Q(progress__lte=100), name="report_job_progress_percent"),
        ]

    def __str__(self) -> str:
        return f"{self.study.slug} {self.format} ({self.status})"

    @property
    def is_pending(self) -> bool:
        """Queued or being built: not yet a file, nor an error."""
        return self.status in (ReportJobStatus.QUEUED, ReportJobStatus.RUNNING)

    @property
    def is_queued(self) -> bool:
        return self.status == ReportJobStatus.QUEUED

    @property
    def failed_mid_build(self) -> bool:
        """Failed after it started building: its stage says what it was doing."""
        return self.stage not in (ReportJobStage.WAITING, ReportJobStage.DONE)

    @property
    def is_done(self) -> bool:
        return self.status == ReportJobStatus.DONE

    @property
    def is_failed(self) -> bool:
        return self.status == ReportJobStatus.FAILED


class DeliveryKind(models.TextChoices):
    INVITATION = "invitation", "Invitation"
    REMINDER = "reminder", "Reminder"
    THANK_YOU = "thank_you", "Thank you"


class DeliveryStatus(models.TextChoices):
    CLAIMED = "claimed", "Claimed (sending)"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class DeliveryLog(models.Model):
    """One row per panelist, message kind and round, recording what really happened to that email.

    A sender first *claims* the row (its unique constraint makes a second claim find it), then sends,
    then records *sent* or *failed*. A row left *claimed* past its lease means the sender died
    mid-send: the sweep and any retry may claim it again. Only *sent* means the expert got it.
    """

    Status = DeliveryStatus
    Kind = DeliveryKind

    panelist = models.ForeignKey(Panelist, on_delete=models.CASCADE, related_name="deliveries")
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="deliveries")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.CLAIMED)
    claimed_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=1)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-claimed_at"]
        constraints = [
            models.UniqueConstraint(fields=["panelist", "round", "kind"], name="delivery_once_per_kind_and_round"),
            models.CheckConstraint(condition=Q(kind__in=DeliveryKind.values), name="delivery_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=DeliveryStatus.values), name="delivery_status_valid"),
            models.CheckConstraint(
                condition=~Q(status=DeliveryStatus.SENT) | Q(sent_at__isnull=False), name="delivery_sent_has_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.panelist} for round {self.round.number} ({self.status})"


class AuditEvent(models.Model):
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="audit_events")
    round = models.ForeignKey(Round, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    item = models.ForeignKey(Item, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    actor_label = models.CharField(max_length=150, blank=True, help_text="'system', a command, or a username.")
    action = models.CharField(max_length=60)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["study", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"
