"""A study and what it asks: sections, dimensions (rating scales) and items."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThanOrEqual
from django.utils.translation import pgettext_lazy

from .transitions import check_transition


class StudyStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    RUNNING = "running", "Running"
    FINISHED = "finished", "Finished"


class StudyOutsideIqrReason(models.TextChoices):
    """Whether an expert whose rating lies outside the panel's previous IQR is asked for a reason."""

    REQUIRED = "required", "Required"
    OPTIONAL = "optional", "Optional"
    OFF = "off", "Not asked"


def default_languages() -> list[str]:
    return ["en"]


#: Each translatable model's ``translations`` holds the other languages' text, shaped
#: ``{"ru": {"text": "..."}}`` (language → field → text; scale labels ``{"ru": {"scale_labels": {"1": ...}}}``).
#: The plain fields hold the study's default language, so every reader that ignores languages keeps working.
TRANSLATIONS_HELP = "Other languages' text: language → field → text. The plain fields hold the default language."


class Study(models.Model):
    Status = StudyStatus

    TRANSITIONS = {
        Status.DRAFT: (Status.RUNNING,),
        Status.RUNNING: (Status.FINISHED,),
        Status.FINISHED: (),
    }

    OutsideIqrReason = StudyOutsideIqrReason

    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    source_citation = models.TextField(blank=True)
    source_references = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    consensus_rule = models.JSONField(default=dict)
    consensus_rule_frozen_at = models.DateTimeField(null=True, blank=True)
    stopping_rule = models.JSONField(default=dict)
    min_group_size = models.PositiveSmallIntegerField(default=3)
    outside_iqr_reason = models.CharField(
        max_length=16, choices=OutsideIqrReason.choices, default=OutsideIqrReason.OPTIONAL
    )
    has_expertise_weighting = models.BooleanField(
        default=False, help_text="Also compute medians weighted by self-rated expertise (never the default)."
    )
    is_report_public = models.BooleanField(default=False)
    bootstrap_resamples = models.PositiveIntegerField(
        default=2000, help_text="Bootstrap resamples (B) behind each verdict's confidence; 100 to 100,000."
    )
    time_zone = models.CharField(
        max_length=64, default="UTC", help_text="IANA zone in which deadlines are shown to experts and staff."
    )
    languages = models.JSONField(
        default=default_languages, help_text="Languages the content is declared in, default language included."
    )
    default_language = models.CharField(
        max_length=16, default="en", help_text="The language of the plain fields; experts fall back to it."
    )
    translations = models.JSONField(default=dict, blank=True, help_text=TRANSLATIONS_HELP)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "studies"
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(condition=Q(min_group_size__gte=2), name="study_min_group_size_gte_2"),
            models.CheckConstraint(
                condition=Q(bootstrap_resamples__gte=100, bootstrap_resamples__lte=100_000),
                name="study_bootstrap_resamples_range",
            ),
            models.CheckConstraint(condition=Q(status__in=StudyStatus.values), name="study_status_valid"),
            models.CheckConstraint(
                condition=Q(outside_iqr_reason__in=StudyOutsideIqrReason.values), name="study_outside_iqr_reason_valid"
            ),
            models.CheckConstraint(
                condition=GreaterThanOrEqual(Length("default_language"), 2), name="study_default_language_code"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_rule_frozen(self) -> bool:
        return self.consensus_rule_frozen_at is not None

    @property
    def is_reason_required(self) -> bool:
        """A rating outside the previous IQR needs a reason before the ballot can be submitted."""
        return self.outside_iqr_reason == StudyOutsideIqrReason.REQUIRED

    @property
    def is_reason_asked(self) -> bool:
        """A rating outside the previous IQR asks for a reason (required or optional)."""
        return self.outside_iqr_reason != StudyOutsideIqrReason.OFF

    def move_to(self, target: str) -> None:
        check_transition(f"Study '{self.slug}'", self.TRANSITIONS, self.status, target)
        self.status = target


class Section(models.Model):
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="sections")
    key = models.SlugField(max_length=80)
    title = models.CharField(max_length=300)
    order = models.PositiveIntegerField(default=0)
    translations = models.JSONField(default=dict, blank=True, help_text=TRANSLATIONS_HELP)

    class Meta:
        ordering = ["study", "order"]
        constraints = [models.UniqueConstraint(fields=["study", "key"], name="section_key_unique_in_study")]

    def __str__(self) -> str:
        return self.title


class Dimension(models.Model):
    """What an item is rated on, with its scale and its agree and disagree bands (inclusive)."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="dimensions")
    key = models.SlugField(max_length=40)
    label = models.CharField(max_length=100)
    question = models.CharField(max_length=300, blank=True)
    scale_min = models.SmallIntegerField()
    scale_max = models.SmallIntegerField()
    scale_labels = models.JSONField(default=dict, blank=True)
    agree_low = models.SmallIntegerField()
    agree_high = models.SmallIntegerField()
    disagree_low = models.SmallIntegerField()
    disagree_high = models.SmallIntegerField()
    is_consensus_dimension = models.BooleanField(
        default=True,
        help_text="Verdicts on this dimension decide consensus, carry-forward and stopping. "
        "Off for meta-ratings such as confidence.",
    )
    order = models.PositiveIntegerField(default=0)
    translations = models.JSONField(default=dict, blank=True, help_text=TRANSLATIONS_HELP)

    class Meta:
        ordering = ["study", "order"]
        constraints = [
            models.UniqueConstraint(fields=["study", "key"], name="dimension_key_unique_in_study"),
            models.CheckConstraint(condition=Q(scale_min__lt=models.F("scale_max")), name="dimension_scale_min_lt_max"),
            models.CheckConstraint(
                condition=Q(
                    agree_low__gte=models.F("scale_min"),
                    agree_high__lte=models.F("scale_max"),
                    agree_low__lte=models.F("agree_high"),
                ),
                name="dimension_agree_band_in_scale",
            ),
            models.CheckConstraint(
                condition=Q(
                    disagree_low__gte=models.F("scale_min"),
                    disagree_high__lte=models.F("scale_max"),
                    disagree_low__lte=models.F("disagree_high"),
                ),
                name="dimension_disagree_band_in_scale",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.scale_min}–{self.scale_max})"

    @property
    def points(self) -> list[int]:
        return list(range(self.scale_min, self.scale_max + 1))

    def label_for(self, value: int) -> str:
        return str(self.scale_labels.get(str(value), ""))


class ItemKind(models.TextChoices):
    QUESTION = "question", pgettext_lazy("item kind", "Question")
    CLAIM = "claim", pgettext_lazy("item kind", "Claim")
    RISK = "risk", pgettext_lazy("item kind", "Risk")
    RECOMMENDATION = "recommendation", pgettext_lazy("item kind", "Recommendation")
    FORECAST = "forecast", pgettext_lazy("item kind", "Forecast")
    OPEN = "open", pgettext_lazy("item kind", "Open question")


class Item(models.Model):
    Kind = ItemKind

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="items")
    code = models.CharField(max_length=16)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    section = models.ForeignKey(Section, on_delete=models.RESTRICT, related_name="items")
    text = models.TextField()
    source_ref = models.CharField(max_length=200, blank=True)
    dimensions = models.ManyToManyField(Dimension, related_name="items", blank=True)
    order = models.PositiveIntegerField(default=0)
    replaces = models.ForeignKey(
        "self",
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="rewordings",
        help_text="The item this one rewords; trajectories follow the lineage.",
    )
    translations = models.JSONField(default=dict, blank=True, help_text=TRANSLATIONS_HELP)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["study", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["study", "code"], name="item_code_unique_in_study"),
            models.CheckConstraint(
                condition=Q(kind__in=ItemKind.values),
                name="item_kind_valid",
            ),
            models.CheckConstraint(condition=~Q(replaces=models.F("id")), name="item_not_replacing_itself"),
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.text[:60]}"

    @property
    def is_open(self) -> bool:
        return self.kind == self.Kind.OPEN

    def lineage_root(self) -> Item:
        """The first wording of this item (follows ``replaces`` back)."""
        item = self
        seen = {item.pk}
        while item.replaces_id is not None and item.replaces_id not in seen:
            seen.add(item.replaces_id)
            item = item.replaces  # type: ignore[assignment]
        return item
