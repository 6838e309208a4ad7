"""How complete a study's translations are, per declared language (the facilitator's dashboard).

Counted are the non-empty fields of the default language: the study's title and description, each
section title, each dimension's label, question and scale labels (one per label), each current item
text (an item replaced by a later wording is no longer asked) and each message template's subject and
body. A translation counts when it is non-empty; nothing is machine-translated.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from surveys.content_language import Missing, count_fields, declared_languages, is_default, missing_translations
from surveys.models import Item, Study


@dataclass(frozen=True)
class LanguageCompleteness:
    """One declared language: ``total`` fields, how many are ``translated``, and what is ``missing``."""

    language: str
    is_default: bool
    total: int
    translated: int
    missing: tuple[Missing, ...]

    @property
    def is_complete(self) -> bool:
        return not self.missing

    @property
    def percent(self) -> int:
        """Whole percent translated, rounded down (100 only when complete)."""
        return 100 if not self.total else self.translated * 100 // self.total

    @property
    def missing_items(self) -> list[tuple[str, str]]:
        """``(where, field)`` pairs, e.g. ``("item A1", "text")``, ``("dimension agreement", "scale_labels.3")``."""
        return [(m.where, m.field) for m in self.missing]


def completeness(study: Study, items: Iterable[Item] | None = None) -> list[LanguageCompleteness]:
    """Per declared language (default first): total fields, translated, missing.

    ``items``: count only these items (e.g. a draft round's), default every current item."""
    chosen = list(items) if items is not None else None
    total = count_fields(study, chosen)
    missing = missing_translations(study, chosen)
    result = []
    for code in declared_languages(study):
        if is_default(code, study.default_language):
            result.append(LanguageCompleteness(code, True, total, total, ()))
            continue
        own = tuple(m for m in missing if m.language == code)
        result.append(LanguageCompleteness(code, False, total, total - len(own), own))
    return result


def round_completeness(study: Study, round_number: int) -> list[LanguageCompleteness]:
    """:func:`completeness` of one round's items (what opening that round checks)."""
    round_items = study.rounds.get(number=round_number).round_items.select_related("item").order_by("order")
    items = [ri.item for ri in round_items]
    return completeness(study, items)
