"""Translation completeness per declared language, and the guard that keeps a round shut while a declared
language lacks the translation of its content (unless the fallback to the default language is confirmed)."""

from __future__ import annotations

import pytest

from surveys.content_language import MissingTranslationsError
from surveys.models import Round
from surveys.selectors.translations import completeness
from surveys.services.rounds import round_create, round_open
from tests.factories import small_study

pytestmark = pytest.mark.django_db


def _bilingual():  # type: ignore[no-untyped-def]
    study = small_study()
    study.languages = ["en", "ru"]
    study.save()
    return study


def test_a_study_in_one_language_is_complete_and_opens_as_before() -> None:
    study = small_study()
    (english,) = completeness(study)
    assert (english.language, english.is_default, english.is_complete) == ("en", True, True)
    # title, description, 2 sections, agreement (label, question, 2 labels), feasibility (label, 2 labels), 3 items
    assert english.total == english.translated == 2 + 2 + 4 + 3 + 3
    assert round_open(round=round_create(study=study)).status == Round.Status.OPEN


def test_completeness_counts_each_missing_field_by_item_and_field() -> None:
    study = _bilingual()
    study.translations = {"ru": {"title": "Небольшое исследование", "description": "Два утверждения и рекомендация."}}
    study.save()
    c1 = study.items.get(code="C1")
    c1.translations = {"ru": {"text": "Небо голубое."}}
    c1.save()
    agreement = study.dimensions.get(key="agreement")
    agreement.translations = {"ru": {"label": "Согласие", "scale_labels": {"1": "Совершенно не согласен"}}}
    agreement.save()
    english, russian = completeness(study)
    assert english.is_complete and not russian.is_complete
    assert russian.total == 14 and russian.translated == 5
    assert ("item C2", "text") in russian.missing_items and ("item R1", "text") in russian.missing_items
    assert ("item C1", "text") not in russian.missing_items
    assert ("dimension agreement", "question") in russian.missing_items
    assert ("dimension agreement", "scale_labels.9") in russian.missing_items
    assert ("dimension agreement", "scale_labels.1") not in russian.missing_items
    assert ("section claims", "title") in russian.missing_items
    assert russian.percent == 5 * 100 // 14


def test_a_round_does_not_open_while_its_translations_are_missing_unless_the_fallback_is_confirmed() -> None:
    study = _bilingual()
    draft = round_create(study=study)
    with pytest.raises(MissingTranslationsError) as refused:
        round_open(round=draft)
    assert "item C1: text (ru)" in str(refused.value)
    assert {(m.where, m.field) for m in refused.value.missing} >= {("item C1", "text"), ("study", "title")}
    draft.refresh_from_db()
    assert draft.status == Round.Status.DRAFT  # nothing opened
    assert round_open(round=draft, allow_fallback=True).status == Round.Status.OPEN


def test_a_round_opens_once_every_declared_translation_is_there() -> None:
    study = _bilingual()
    study.translations = {"ru": {"title": "Исследование", "description": "Описание."}}
    study.save()
    for section in study.sections.all():
        section.translations = {"ru": {"title": f"Раздел {section.key}"}}
        section.save()
    for dimension in study.dimensions.all():
        labels = {key: f"Метка {key}" for key in dimension.scale_labels}
        given = {"label": "Критерий", "scale_labels": labels, **({"question": "Вопрос?"} if dimension.question else {})}
        dimension.translations = {"ru": given}
        dimension.save()
    for item in study.items.all():
        item.translations = {"ru": {"text": f"Текст {item.code}"}}
        item.save()
    assert all(language.is_complete for language in completeness(study))
    assert round_open(round=round_create(study=study)).status == Round.Status.OPEN
