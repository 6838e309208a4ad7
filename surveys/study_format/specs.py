"""The parsed study file: frozen specs, no database."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from surveys.errors import FieldError

#: Each spec's ``translations``: the other declared languages' text, language → field → text (scale labels:
#: ``{"ru": {"scale_labels": {"1": "..."}}}``), the shape the models store. Plain fields hold the default.
Translations = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class DimensionSpec:
    key: str
    label: str
    question: str
    scale_min: int
    scale_max: int
    labels: dict[int, str]
    agree: tuple[int, int]
    disagree: tuple[int, int]
    consensus: bool = True
    translations: Translations = field(default_factory=dict)


@dataclass(frozen=True)
class SectionSpec:
    key: str
    title: str
    translations: Translations = field(default_factory=dict)


@dataclass(frozen=True)
class ItemSpec:
    code: str
    kind: str
    section: str
    text: str
    source: str
    dimensions: tuple[str, ...]
    order: int
    replaces: str | None
    translations: Translations = field(default_factory=dict)


@dataclass(frozen=True)
class StudySpec:
    slug: str
    title: str
    description: str
    citation: str
    references: tuple[str, ...]
    min_group_size: int
    outside_iqr_reason: str
    expertise_weighting: bool
    time_zone: str
    consensus_rule: dict[str, Any]
    stopping_rule: dict[str, Any]
    dimensions: tuple[DimensionSpec, ...]
    sections: tuple[SectionSpec, ...]
    items: tuple[ItemSpec, ...] = field(default_factory=tuple)
    bootstrap_resamples: int = 2000
    languages: tuple[str, ...] = ("en",)
    default_language: str = "en"
    translations: Translations = field(default_factory=dict)
    #: Problems that do not refuse the file (a declared translation missing), each naming item and field.
    warnings: tuple[FieldError, ...] = field(default=(), compare=False)
