"""The feedback bands a round's experts need, stored once on the round row (``Round.reason_bands``).

A rating outside the previous round's interquartile range may ask for a reason (the study's
``outside_iqr_reason``). Which range applies follows the item's lineage back to the previous
round's statistics: three queries that used to run on every page and every submission. They run
here instead, when a round's bands are first needed and again whenever an earlier round's
statistics are replaced, and every later read takes the bands from the round row it loads anyway.
"""

from __future__ import annotations

from surveys.models import Round
from surveys.selectors.feedback import reason_bands_compute


def round_reason_bands_store(*, round: Round) -> Round:
    """Compute and store ``round``'s bands (idempotent: the same statistics give the same bands)."""
    bands = reason_bands_compute(round)
    Round.objects.filter(pk=round.pk).update(reason_bands=bands)
    round.reason_bands = bands
    return round


def reason_bands_refresh_after(round_: Round) -> list[Round]:
    """Recompute the bands of the study's open rounds after ``round_`` once its statistics change
    (aggregated late, re-aggregated, or recomputed after a withdrawal deleted answers): their bands
    may come from it. A draft round computes its own when it is first needed, after its last edit."""
    later = Round.objects.filter(study_id=round_.study_id, number__gt=round_.number, status=Round.Status.OPEN)
    return [round_reason_bands_store(round=r) for r in later.select_related("study")]
