"""Two rules of an answer, in one place for the page, the autosave, the services and the API.

- A rating is **outside the band** when the expert was shown a band (the panel's [q1, q3] that asks
  for a reason) and the rating is a point that lies outside it. "Can't answer" is never outside.
- A rating's **side** is the dimension band it lies in: agree, disagree, or neutral between them.
- An item is **answered** when each of its dimensions holds a rating (a point or "can't answer");
  an open question when its answer holds more than blanks.

Pure functions of plain values: no Django, no queries. The questionnaire's view model computes both
for each field and writes the result into the page (``data-outside``, ``data-answered-by``), so the
page's script only reads it.
"""

from __future__ import annotations

Band = tuple[float, float]


def is_outside_band(value: int | float | None, band: Band | None) -> bool:
    """Whether a rating ``value`` (None = can't answer) lies outside ``band`` (None = none shown).

    The band is closed: a rating equal to q1 or q3 is inside it.
    """
    if band is None or value is None:
        return False
    low, high = band
    return not low <= value <= high


def item_is_answered(*, is_open: bool, open_answer: str = "", n_dimensions: int = 0, n_rated: int = 0) -> bool:
    """Whether an item counts as answered.

    An open question is answered by a non-blank ``open_answer``. A rated item is answered when each of
    its ``n_dimensions`` holds a rating (``n_rated`` of them do; "can't answer" counts as a rating).
    An item with no dimension to rate is never answered.
    """
    if is_open:
        return bool(open_answer.strip())
    return n_dimensions > 0 and n_rated >= n_dimensions


def band_side(value: float, agree: tuple[int, int], disagree: tuple[int, int]) -> str:
    """The side of a rating point: ``"agree"`` inside the agree band (which wins where the bands
    overlap), ``"disagree"`` inside the disagree band, else ``"neutral"``. Used by the expert feedback,
    the report's reasons and the demo; ``surveys.stats.themes.rationale_sides`` is its vectorised twin."""
    if agree[0] <= value <= agree[1]:
        return "agree"
    if disagree[0] <= value <= disagree[1]:
        return "disagree"
    return "neutral"
