"""The panel: create panelists and issue their invitation tokens (stored only as hashes)."""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from surveys.errors import DomainError
from surveys.models import Panelist, Study
from surveys.models.panel import hash_token

TOKEN_BYTES = 32  # 256 random bits


def _new_token() -> tuple[str, str]:
    raw = secrets.token_urlsafe(TOKEN_BYTES)
    return raw, hash_token(raw)


def _next_pseudonym(study: Study, taken: set[str] | None = None) -> str:
    """The first free "Expert NNN" after as many as are taken; ``taken`` (kept up to date here) saves
    reading the panel's pseudonyms again when many experts are added in a row."""
    if taken is None:
        taken = set(study.panelists.values_list("pseudonym", flat=True))
    number = len(taken) + 1
    while f"Expert {number:03d}" in taken:
        number += 1
    taken.add(f"Expert {number:03d}")
    return f"Expert {number:03d}"


@transaction.atomic
def panelist_create(
    *,
    study: Study,
    email: str,
    name: str = "",
    group: str = "",
    language: str = "en",
    is_synthetic: bool = False,
    taken_pseudonyms: set[str] | None = None,
) -> tuple[Panelist, str]:
    """Add an expert to the panel. Returns the panelist and the raw token, which is never stored.

    ``taken_pseudonyms``: the panel's pseudonyms, when the caller adds many experts in one go."""
    email = email.strip().lower()
    if study.panelists.filter(email=email).exists():
        raise DomainError(
            gettext("%(email)s is already on the panel of '%(slug)s'.") % {"email": email, "slug": study.slug}
        )
    raw, digest = _new_token()
    panelist = Panelist.objects.create(
        study=study,
        email=email,
        name=name.strip(),
        group=group.strip(),
        language=language or "en",
        pseudonym=_next_pseudonym(study, taken_pseudonyms),
        token_hash=digest,
        token_issued_at=timezone.now(),
        is_synthetic=is_synthetic,
    )
    return panelist, raw


def token_mint() -> tuple[str, str]:
    """A new raw token and its hash. Nothing is stored: ``panelist_token_install`` makes it the live link."""
    return _new_token()


def panelist_token_install(*, panelist: Panelist, digest: str) -> None:
    """Make the token with this hash the expert's live link; the previous one stops working at once."""
    panelist.token_hash = digest
    panelist.token_issued_at = timezone.now()
    panelist.save(update_fields=["token_hash", "token_issued_at"])


def panelist_token_rotate(*, panelist: Panelist) -> str:
    """Issue a new invitation link; the old one stops working at once."""
    raw, digest = token_mint()
    panelist_token_install(panelist=panelist, digest=digest)
    return raw
