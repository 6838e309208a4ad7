"""A study's settings that its study file does not hold: whether its report is public."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from surveys.models import Study
from surveys.services.audit import audit_record


@transaction.atomic
def study_report_visibility_set(
    *, study: Study, is_public: bool, actor: AbstractBaseUser | None = None, actor_label: str = "system"
) -> Study:
    """Open the study's report to anyone with its address, or back to staff only. Audited, because
    who could read the results is part of the study's record."""
    locked = Study.objects.select_for_update().get(pk=study.pk)
    if locked.is_report_public == is_public:
        return locked
    locked.is_report_public = is_public
    locked.save(update_fields=["is_report_public", "updated_at"])
    audit_record(
        study=locked,
        action="study.report_published" if is_public else "study.report_unpublished",
        actor=actor,
        actor_label=actor_label,
    )
    return locked
