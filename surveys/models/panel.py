"""Panelists: a study's experts. The invitation token is stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib

from django.db import models
from django.db.models import Q

from .study import Study


def hash_token(raw: str) -> str:
    """SHA-256 hex digest of a raw token.

    Tokens are 256 random bits, so a fast hash is enough: there is nothing to brute-force that is
    easier than the token itself, and lookups stay an indexed equality.
    """
    return hashlib.sha256(raw.encode()).hexdigest()


class PanelistStatus(models.TextChoices):
    INVITED = "invited", "Invited"
    ACTIVE = "active", "Active"
    WITHDRAWN = "withdrawn", "Withdrawn"
    REVOKED = "revoked", "Revoked"


class Panelist(models.Model):
    Status = PanelistStatus

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="panelists")
    email = models.EmailField()
    name = models.CharField(max_length=200, blank=True)
    pseudonym = models.CharField(max_length=40, help_text="Stable name used in every report.")
    group = models.CharField(
        max_length=80, blank=True, help_text="Region or stakeholder type; set by the facilitator, never by the expert."
    )
    background = models.TextField(
        max_length=2000, blank=True, help_text="The expert's own description of their background; no analysis uses it."
    )
    language = models.CharField(max_length=16, blank=True, default="en")
    years_experience = models.PositiveSmallIntegerField(null=True, blank=True)
    expertise = models.JSONField(default=dict, blank=True, help_text="Self-rated expertise per section, 1–5.")
    token_hash = models.CharField(max_length=64, unique=True)
    token_issued_at = models.DateTimeField()
    consent_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True, help_text="When the facilitator revoked access.")
    withdrawn_at = models.DateTimeField(null=True, blank=True, help_text="When the expert withdrew.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.INVITED)
    is_synthetic = models.BooleanField(default=False, help_text="Made up by the demo; not a real expert.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["study", "pseudonym"]
        constraints = [
            models.UniqueConstraint(fields=["study", "email"], name="panelist_email_unique_in_study"),
            models.UniqueConstraint(fields=["study", "pseudonym"], name="panelist_pseudonym_unique_in_study"),
            models.CheckConstraint(condition=Q(status__in=PanelistStatus.values), name="panelist_status_valid"),
            models.CheckConstraint(condition=Q(years_experience__lte=80), name="panelist_years_experience_sane"),
        ]

    def __str__(self) -> str:
        return f"{self.pseudonym}{' (synthetic)' if self.is_synthetic else ''}"

    @property
    def is_revoked(self) -> bool:
        return self.status == PanelistStatus.REVOKED


#: Statuses whose invitation no longer opens anything: the expert cannot answer or be counted as reachable.
UNUSABLE = (Panelist.Status.REVOKED, Panelist.Status.WITHDRAWN)
