"""A dimension's rating scale: its whole-number points and its agree and disagree bands."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import StatsInputError


@dataclass(frozen=True)
class Scale:
    """Whole-number points ``min..max`` with inclusive ``agree`` and ``disagree`` bands.

    The bands are meant to be disjoint (then % agree + % disagree ≤ 1); the core does not refuse
    overlapping bands, it simply counts a rating inside both in both shares.
    """

    min: int
    max: int
    agree: tuple[int, int]
    disagree: tuple[int, int]

    def __post_init__(self) -> None:
        if self.min >= self.max:
            raise StatsInputError(f"scale min ({self.min}) must be less than max ({self.max})")
        for name, (low, high) in (("agree", self.agree), ("disagree", self.disagree)):
            if not self.min <= low <= high <= self.max:
                raise StatsInputError(
                    f"{name} band [{low}, {high}] must lie inside the scale {self.min}..{self.max} with low ≤ high"
                )

    @property
    def size(self) -> int:
        """Number of points on the scale (9 for 1..9)."""
        return self.max - self.min + 1

    @property
    def points(self) -> np.ndarray:
        """The scale points ``min..max`` as floats, in order."""
        return np.arange(self.min, self.max + 1, dtype=float)

    @property
    def midpoint(self) -> float:
        """``(min + max) / 2``: 5 on 1..9, 3 on 1..5."""
        return (self.min + self.max) / 2

    def band_mask(self, band: tuple[int, int]) -> np.ndarray:
        """Boolean mask over :attr:`points` of the points inside an inclusive ``band``."""
        points = self.points
        return (points >= band[0]) & (points <= band[1])


#: The 1..9 scale of the RAND/UCLA appropriateness method (Fitch et al. 2001).
RAND_SCALE = Scale(min=1, max=9, agree=(7, 9), disagree=(1, 3))
