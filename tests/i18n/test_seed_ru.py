"""The seed study in Russian: every translatable field of the article's study has its Russian text, the
export carries it back out, and the English the other tests pin is unchanged."""

from __future__ import annotations

import io
import re

import pytest
import yaml
from django.core.management import call_command

from surveys.content_language import count_fields, missing_translations
from surveys.models import Panelist, Rating
from surveys.services.demo import DEMO_GROUPS, SEED_STUDY, synthetic_email
from surveys.services.study_files import study_import

pytestmark = pytest.mark.django_db

CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)
# The article's organisations and groups, named as Russian research writing names them.
TERMS = {"C9": "ШОС", "C12": "ОДКБ", "K2": "ОДКБ", "R2": "ШОС и ОДКБ", "C5": "ИГИЛ-Хорасан", "K6": "ИГИЛ-Хорасан"}


@pytest.fixture
def imported():  # type: ignore[no-untyped-def]
    return study_import(text=SEED_STUDY.read_text(encoding="utf-8"), filename=SEED_STUDY.name)


@pytest.fixture
def exported(imported) -> dict:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    call_command("export_study", imported.study.slug, stdout=out)
    return yaml.safe_load(out.getvalue())


def test_the_seed_study_declares_english_and_russian_with_english_the_default(imported) -> None:  # type: ignore[no-untyped-def]
    study = imported.study
    assert list(study.languages) == ["en", "ru"] and study.default_language == "en"


def test_every_translatable_field_has_its_russian_translation(imported) -> None:  # type: ignore[no-untyped-def]
    assert imported.warnings == []  # the import reports a missing translation as a warning
    assert missing_translations(imported.study) == []
    # title, description, 9 section titles, 4 dimensions (label, question: 8) with 20 scale labels, 31 items
    assert count_fields(imported.study) == 2 + 9 + 8 + 20 + 31


def test_export_study_carries_russian_for_every_item_text(exported: dict) -> None:
    assert len(exported["items"]) == 31
    for item in exported["items"]:
        text = item["text"]
        assert isinstance(text, dict) and set(text) == {"en", "ru"}, item["code"]
        assert CYRILLIC.search(text["ru"]) and not CYRILLIC.search(text["en"]), item["code"]


def test_export_study_carries_russian_for_sections_dimensions_scale_labels_title_and_description(
    exported: dict,
) -> None:
    assert CYRILLIC.search(exported["title"]["ru"]) and CYRILLIC.search(exported["description"]["ru"])
    assert all(CYRILLIC.search(section["title"]["ru"]) for section in exported["sections"])
    for dimension in exported["dimensions"]:
        assert CYRILLIC.search(dimension["label"]["ru"]) and CYRILLIC.search(dimension["question"]["ru"])
        assert all(CYRILLIC.search(label["ru"]) for label in dimension["scale"]["labels"].values())


def test_the_russian_keeps_the_articles_terms(exported: dict) -> None:
    russian = {item["code"]: item["text"]["ru"] for item in exported["items"]}
    for code, term in TERMS.items():
        assert term in russian[code], code
    assert "талиб" in russian["Q1"].lower()


def test_the_reference_list_stays_in_its_original_language(exported: dict) -> None:
    references = exported["source"]["references"]
    assert len(references) == 5 and not any(CYRILLIC.search(reference) for reference in references)
    assert not CYRILLIC.search(exported["source"]["citation"])


def test_the_english_is_the_articles_as_before(exported: dict) -> None:
    english = {item["code"]: item["text"]["en"] for item in exported["items"]}
    assert english["Q1"] == "It is time to recognize the Taliban government."
    assert (
        english["K6"]
        == "Russia may overestimate the Taliban's willingness or ability to contain ISIS-K and al-Qaeda remnants."
    )
    assert exported["title"]["en"] == "Recognition of the Taliban by Russia: Implications for Regional Security"


# --- the demo's Russian-speaking experts ------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_demo_panel_has_russian_speakers_mostly_in_russia_and_central_asia(demo) -> None:  # type: ignore[no-untyped-def]
    panel = Panelist.objects.filter(study__slug="russia-taliban-recognition")
    russian = {group: panel.filter(group=group, language="ru").count() for group in DEMO_GROUPS}
    everyone = {group: panel.filter(group=group).count() for group in DEMO_GROUPS}
    assert all(russian[g] > everyone[g] / 2 for g in ("Russia", "Central Asia"))
    assert 0 < sum(russian[g] for g in DEMO_GROUPS if g not in ("Russia", "Central Asia")) <= 4
    assert set(panel.values_list("language", flat=True)) == {"en", "ru"}
    assert panel.get(email=synthetic_email(1)).language == "en"  # the expert whose link the demo prints


@pytest.mark.django_db(transaction=True)
def test_the_demo_experts_reasons_are_in_their_own_language_and_say_so(demo) -> None:  # type: ignore[no-untyped-def]
    reasons = Rating.objects.filter(ballot__round__study__slug="russia-taliban-recognition").exclude(rationale="")
    rows = list(reasons.values_list("rationale", "language", "ballot__panelist__language"))
    assert rows and {written for _, written, _ in rows} == {"en", "ru"}
    for text, written, writer in rows:
        assert written == writer
        assert bool(CYRILLIC.search(text)) == (written == "ru"), text
