from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from surveys.models import AuditEvent, Item, Round, Study


def audit_record(
    *,
    study: Study,
    action: str,
    actor: AbstractBaseUser | None = None,
    actor_label: str = "system",
    round: Round | None = None,
    item: Item | None = None,
    **detail: Any,
) -> AuditEvent:
    """Record who changed the state of a study, round or item, and when."""
    label = actor.get_username() if actor is not None else actor_label
    return AuditEvent.objects.create(  # by id: any configured user model, not only auth.User
        study=study,
        round=round,
        item=item,
        actor_id=actor.pk if actor is not None else None,
        actor_label=label,
        action=action,
        detail=detail,
    )
