"""Who reads which language: an expert reads their own whatever the browser says, the switcher stores
their choice on the panelist, staff pages follow the browser, and Russian plurals come out right."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import ngettext

from surveys.expert_language import language_for
from surveys.models import AuditEvent, Panelist, Study
from surveys.services.panel import panelist_create
from surveys.services.rounds import round_create, round_open
from tests.factories import small_study

pytestmark = pytest.mark.django_db


def _bilingual(default: str = "en") -> Study:
    study = small_study()
    study.languages, study.default_language = ["en", "ru"], default
    study.save(update_fields=["languages", "default_language"])
    return study


def _expert(client: Client, study: Study, language: str) -> Panelist:
    panelist, raw = panelist_create(study=study, email=f"{language}@example.org", language=language)
    client.get(f"/e/{raw}/")
    return panelist


def test_the_panelists_language_wins_then_the_studys_default_then_the_sites() -> None:
    study = _bilingual(default="ru")
    russian, _ = panelist_create(study=study, email="a@example.org", language="ru")
    unset, _ = panelist_create(study=study, email="b@example.org")
    unset.language = ""  # e.g. a row imported before languages were checked
    french, _ = panelist_create(study=study, email="c@example.org", language="fr")  # no interface in French
    assert [language_for(p) for p in (russian, unset, french)] == ["ru", "ru", "ru"]
    study.default_language = "fr"
    assert language_for(unset) == "en"  # neither has an interface: settings.LANGUAGE_CODE
    assert language_for(panelist_create(study=study, email="d@example.org", language="ru-RU")[0]) == "ru"


def test_a_russian_expert_reads_russian_whatever_the_browser_asks_for(client: Client) -> None:
    _expert(client, _bilingual(), "ru")
    response = client.get("/e/welcome/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    page = response.content.decode()
    assert response["Content-Language"] == "ru" and '<html lang="ru">' in page
    assert "Об исследовании" in page and "Я согласен(на), продолжить" in page
    assert "About this study" not in page and "I agree, continue" not in page


def test_an_english_expert_reads_english_though_the_browser_asks_for_russian(client: Client) -> None:
    _expert(client, _bilingual(), "en")
    page = client.get("/e/welcome/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "About this study" in page and "Об исследовании" not in page


def test_the_switcher_stores_the_choice_on_the_panelist_and_shows_the_page_again_in_it(client: Client) -> None:
    panelist = _expert(client, _bilingual(), "en")
    response = client.post("/e/language/", {"language": "ru", "next": "/e/welcome/"})
    assert response.status_code == 302 and response["Location"] == "/e/welcome/"
    panelist.refresh_from_db()
    assert panelist.language == "ru"
    assert "Об исследовании" in client.get("/e/welcome/").content.decode()
    event = AuditEvent.objects.get(action="panelist.language_set")
    assert event.detail == {"pseudonym": panelist.pseudonym, "language": "ru", "previous": "en"}


def test_the_switcher_refuses_a_language_the_study_does_not_declare_and_an_outside_next(client: Client) -> None:
    panelist = _expert(client, _bilingual(), "en")
    response = client.post("/e/language/", {"language": "de", "next": "https://evil.example/"})
    assert response["Location"] == "/e/welcome/"  # never an open redirect
    panelist.refresh_from_db()
    assert panelist.language == "en"
    assert "is not a language of this study; choose one of: en, ru" in client.get("/e/welcome/").content.decode()


def test_the_switcher_offers_only_the_studys_languages(client: Client) -> None:
    study = small_study()  # declares English only: nothing to switch to
    _expert(client, study, "en")
    assert "language-switch" not in client.get("/e/welcome/").content.decode()
    study.languages = ["en", "ru"]
    study.save(update_fields=["languages"])
    page = client.get("/e/welcome/").content.decode()
    assert 'action="/e/language/"' in page and 'value="ru" lang="ru"' in page and "Русский" in page


def test_the_autosave_answers_in_the_experts_language_without_loading_them(client: Client) -> None:
    study = _bilingual()
    round_ = round_open(round=round_create(study=study), allow_fallback=True)  # content in English only
    panelist = _expert(client, study, "ru")
    client.post("/e/consent/")
    client.post("/e/round/")
    ballot = panelist.ballots.get(round=round_)
    item = round_.round_items.get(item__code="C1")
    response = client.post(
        f"/e/ballots/{ballot.pk}/autosave/", {f"r{item.pk}-agreement": "7"}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 200 and response.json()["message"] == "Сохранено."


def test_staff_pages_follow_the_browser_and_the_set_language_switcher(client: Client) -> None:
    assert "Многотуровые опросы" in client.get("/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Expert-panel surveys" in client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'action="/i18n/setlang/"' in page
    client.post("/i18n/setlang/", {"language": "ru", "next": "/"})
    assert "Многотуровые опросы" in client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


@pytest.mark.parametrize(
    ("n", "rating", "unanswered"),
    [
        (1, "1 оценка", "Без ответа остался 1 пункт из 9: всё равно отправить?"),
        (2, "2 оценки", "Без ответа остались 2 пункта из 9: всё равно отправить?"),
        (5, "5 оценок", "Без ответа осталось 5 пунктов из 9: всё равно отправить?"),
        (21, "21 оценка", "Без ответа остался 21 пункт из 9: всё равно отправить?"),
    ],
)
def test_russian_plurals_take_the_form_of_one_few_and_many(n: int, rating: str, unanswered: str) -> None:
    with translation.override("ru"):
        assert ngettext("%(n)s rating", "%(n)s ratings", n) % {"n": n} == rating
        heading = ngettext(
            "%(n)s of %(total)s items is unanswered: submit anyway?",
            "%(n)s of %(total)s items are unanswered: submit anyway?",
            n,
        )
        assert heading % {"n": n, "total": 9} == unanswered


def test_a_deadline_reads_in_russian_with_its_zone_named() -> None:
    from datetime import UTC, datetime

    from surveys.deadlines import moment_format

    moment = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)
    with translation.override("ru"):
        assert moment_format(moment, "Europe/Moscow") == "3 декабря 2026 г., 18:00 MSK (Europe/Moscow)"
    with translation.override("en"):
        assert moment_format(moment, "Europe/Moscow") == "3 Dec 2026, 18:00 MSK (Europe/Moscow)"
