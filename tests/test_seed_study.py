"""The seed study is complete and faithful to the structure of the article it comes from."""

from __future__ import annotations

import pytest
import yaml

from surveys.services.demo import SEED_STUDY
from surveys.services.study_files import study_export, study_import

SOURCES = {"Stronski, 2021", "Kucera, 2022", "Ramani, 2021", "Blank, 2022", "RFE/RL, 2023"}
ANALYTIC_SECTIONS = {"strategic-calculus", "central-asia", "regional-global", "miscalculation", "conclusion"}


def english(value: str | dict) -> str:
    """A translatable field's English text: the plain string, or the ``en`` of ``{en: ..., ru: ...}``."""
    return value["en"] if isinstance(value, dict) else value


@pytest.fixture(scope="module")
def seed() -> dict:
    return yaml.safe_load(SEED_STUDY.read_text(encoding="utf-8"))


def test_the_seed_study_has_the_expected_slug_and_cos_rule(seed: dict) -> None:
    assert seed["slug"] == "russia-taliban-recognition"
    assert seed["consensus_rule"]["preset"] == "cos"


def test_the_headline_question_is_an_item(seed: dict) -> None:
    headline = [i for i in seed["items"] if i["kind"] == "question"]
    assert len(headline) == 1
    text = english(headline[0]["text"]).lower()
    assert "recogni" in text and "taliban" in text
    assert set(headline[0]["dimensions"]) == {"agreement", "confidence"}


def test_every_analytic_section_has_items(seed: dict) -> None:
    used = {i["section"] for i in seed["items"]}
    assert used >= ANALYTIC_SECTIONS


def test_there_are_at_least_twenty_rated_items(seed: dict) -> None:
    assert len([i for i in seed["items"] if i["dimensions"]]) >= 20


def test_all_three_recommendations_are_rated_on_desirability_and_feasibility(seed: dict) -> None:
    recs = [i for i in seed["items"] if i["kind"] == "recommendation"]
    assert len(recs) == 3
    assert all(set(r["dimensions"]) == {"desirability", "feasibility"} for r in recs)
    texts = " ".join(english(r["text"]) for r in recs)
    for phrase in ("condition", "intelligence", "SCO", "CSTO", "India", "Iran"):
        assert phrase in texts


def test_claims_and_risks_are_rated_on_agreement_and_confidence(seed: dict) -> None:
    rated = [i for i in seed["items"] if i["kind"] in ("claim", "risk")]
    assert rated and all(set(i["dimensions"]) == {"agreement", "confidence"} for i in rated)


def test_every_source_the_article_cites_is_attached_to_an_item(seed: dict) -> None:
    cited = {i.get("source") for i in seed["items"]} - {None}
    assert cited <= SOURCES
    assert cited == SOURCES


def test_the_description_cites_the_article_and_its_references(seed: dict) -> None:
    assert "Recognition of the Taliban by Russia" in english(seed["description"]) + seed["source"]["citation"]
    assert len(seed["source"]["references"]) == 5


@pytest.mark.django_db
def test_the_seed_study_imports_and_round_trips() -> None:
    study = study_import(text=SEED_STUDY.read_text(encoding="utf-8"), filename=SEED_STUDY.name).study
    assert study_export(study=study) == study_export(
        study=study_import(text=SEED_STUDY.read_text(encoding="utf-8"), filename=SEED_STUDY.name).study
    )
    assert study.items.count() >= 20
