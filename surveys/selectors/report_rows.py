"""Rows of the consensus report read beside :func:`surveys.selectors.reports.report_source`: the items
with their sections, the submitted answers with their rationales' languages, and the study content
in the report's language (:func:`localize_source`).

Study content (study title and description, section titles, item texts, dimension labels and
questions) is shown in the report's language where translated (``translations`` on each model,
:mod:`surveys.content_language`) and in the study's default language otherwise; each fallback is
recorded (``"item:C1"``, ``"dimension:agreement"``, ``"study:title"``) so the report can mark it.
"""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace
from typing import Any

from django.db.models import F, Q

from surveys.content_language import localized
from surveys.models import Ballot, Item, Rating, Study
from surveys.reports.source import ReportSource

Answer = tuple[int, int, int, int, int | None, str]


def answers_read(
    aggregated: list[int], *, every_rating: bool
) -> tuple[list[Answer], dict[tuple[int, int, int, int], str]]:
    """Submitted ratings of the aggregated rounds: all of them, or those with a rationale or "can't
    answer"; and the language of each rationale whose language is known (same query)."""
    rows = Rating.objects.filter(ballot__round_id__in=aggregated, ballot__status=Ballot.Status.SUBMITTED)
    if not every_rating:
        rows = rows.filter(~Q(rationale="") | Q(value__isnull=True))
    read = rows.order_by(
        "ballot__round_id", "ballot__panelist_id", "round_item__order", "dimension__order"
    ).values_list(
        "ballot__round_id",
        "ballot__panelist_id",
        "round_item__item_id",
        "dimension_id",
        "value",
        "rationale",
        "language",
    )
    answers: list[Answer] = []
    languages: dict[tuple[int, int, int, int], str] = {}
    for row in read:
        answers.append(row[:6])
        if row[5] and row[6]:
            languages[row[:4]] = row[6]
    return answers, languages


def items_read(study: Study) -> tuple[list[dict[str, object]], list[tuple[int, int]]]:
    """The study's items and their (item id, dimension id) pairs, in one query (a row per pair); each
    row holds its item's and its section's ``translations`` for :func:`localize_source`."""
    items: dict[int, dict[str, object]] = {}
    pairs = []
    for row in (
        Item.objects.filter(study=study)
        .order_by("order", "code", "dimensions__id")
        .values(
            "id",
            "code",
            "kind",
            "text",
            "source_ref",
            "order",
            "replaces_id",
            "translations",
            "dimensions__id",
            section_title=F("section__title"),
            section_translations=F("section__translations"),
        )
    ):
        dimension = row["dimensions__id"]
        items.setdefault(row["id"], {key: value for key, value in row.items() if key != "dimensions__id"})
        if dimension is not None:
            pairs.append((row["id"], dimension))
    return list(items.values()), pairs


def _text(row: dict[str, Any], field: str, translations: Any, language: str, default: str) -> tuple[str, bool]:
    shown = localized(
        SimpleNamespace(**{field: row.get(field) or "", "translations": translations or {}}), field, language, default
    )
    return shown.text, shown.is_fallback


def localize_source(source: ReportSource, language: str) -> ReportSource:
    """``source`` with its study content in ``language`` (fallbacks recorded on the study row); no query."""
    study_row = dict(source.study)
    default = str(study_row.pop("default_language", "") or "en")
    translations = study_row.pop("translations", None)
    fallbacks: set[str] = set()
    for field in ("title", "description"):
        study_row[field], missing = _text(study_row, field, translations, language, default)
        fallbacks |= {f"study:{field}"} if missing else set()
    dimensions = []
    for row in source.dimensions:
        row = dict(row)
        given = row.pop("translations", None)
        for field in ("label", "question"):
            row[field], missing = _text(row, field, given, language, default)
            fallbacks |= {f"dimension:{row['key']}"} if missing and field == "label" else set()
        dimensions.append(row)
    items = []
    for row in source.items:
        row = dict(row)
        row["text"], missing = _text(row, "text", row.pop("translations", None), language, default)
        fallbacks |= {f"item:{row['code']}"} if missing else set()
        section = {"title": row.get("section_title") or ""}
        row["section_title"], _ = _text(section, "title", row.pop("section_translations", None), language, default)
        items.append(row)
    fallbacks.add(f"default:{default}")  # which language the fallbacks are in
    study_row.update(report_language=language, fallbacks=frozenset(fallbacks))
    return dataclasses.replace(source, study=study_row, dimensions=dimensions, items=items)
