"""The expert's pages in Russian in a real browser (Debian's Chromium through Playwright): a panelist whose
language is ``ru`` goes from the link through consent, profile and a round-2 questionnaire with the
panel's round-1 feedback to submission, in a browser that asks for English. Every page's chrome (its
headings, buttons, labels, notices, not the study's own content) is in Russian with no English word left;
the switcher takes the expert back to English and the choice stays on the panelist."""

from __future__ import annotations

import re
from typing import Any

import pytest

from surveys.models import Ballot, Panelist, Study
from surveys.services.panel import panelist_create
from tests.test_ballots import two_rounds

pytestmark = [pytest.mark.browser]

CYRILLIC = re.compile(r"[А-Яа-яЁё]")
# Words that may stay Latin in Russian chrome: the product's name, the other language's endonym on the
# switcher, item codes and time-zone names come from data.
LATIN_ALLOWED = {"Delphi", "Panel", "English", "UTC", "MSK", "CET", "Europe", "Moscow"}
# The chrome: everything on the page but the study's own content (its title, description, sections,
# items, scales and reasons: translated by the facilitator, English where a translation is missing)
# and the panel's feedback partial, whose words are the content helper's.
CHROME_TEXT = """() => {
  const page = document.body.cloneNode(true);
  const content = [".feedback", ".item-text", ".point-label", ".scale legend", ".scale-ends", ".others ul",
    ".crumbs", ".welcome > h1", "#about-heading ~ *", "#source-heading ~ *", ".q-section > h2",
    "#your-group", ".item-meta .code", ".item-meta .source", "legend .visually-hidden", ".lang-fallback",
    "title", "script", ".language-switch button:not([aria-pressed=true])", ".error-summary a", "select"];
  for (const selector of content) page.querySelectorAll(selector).forEach((el) => el.remove());
  const attributes = [...page.querySelectorAll("[aria-label], [title], [placeholder], [alt]")]
    .flatMap((el) => ["aria-label", "title", "placeholder", "alt"].map((a) => el.getAttribute(a) || ""));
  return [page.innerText, ...attributes].join(" \\n ");
}"""


def _expect() -> Any:
    from playwright.sync_api import expect

    return expect


def _english_words(page: Any) -> list[str]:
    """Latin words in the page's chrome: each is English left untranslated (item codes such as C1 aside)."""
    text = page.evaluate(CHROME_TEXT)
    return sorted({w for w in re.findall(r"[A-Za-z]{2,}", text) if w not in LATIN_ALLOWED and not w.isupper()})


def _is_russian(page: Any, what: str) -> None:
    assert page.evaluate("document.documentElement.lang") == "ru", what
    text = page.evaluate(CHROME_TEXT)
    assert CYRILLIC.search(text), f"{what}: no Cyrillic in {text[:200]!r}"
    assert _english_words(page) == [], f"{what}: English left in the chrome"


def _russian_expert(live: bool = False) -> tuple[Study, Panelist, str]:
    two = two_rounds(live=live)
    study = two.study
    study.languages = ["en", "ru"]  # the content stays English (no translations): the chrome is what is checked
    study.save(update_fields=["languages"])
    panelist, raw = panelist_create(study=study, email="ru-expert@example.org", language="ru")
    return study, panelist, raw


def test_a_russian_expert_goes_from_the_link_to_submission_in_russian(
    transactional_db: None, live_server: Any, page: Any
) -> None:
    expect = _expect()
    _, panelist, raw = _russian_expert()
    page.set_extra_http_headers({"Accept-Language": "en-US,en;q=0.9"})  # the browser asks for English

    page.goto(f"{live_server.url}/e/{raw}/")
    expect(page.get_by_role("heading", name="Об исследовании")).to_be_visible()
    expect(page.get_by_role("heading", name="Согласие на участие")).to_be_visible()
    _is_russian(page, "welcome")
    page.get_by_role("button", name="Я согласен(на), продолжить").click()

    expect(page.get_by_role("heading", name="Ваша компетентность", exact=True)).to_be_visible()
    _is_russian(page, "profile")
    page.get_by_label("Ваш профессиональный опыт").fill("Востоковед")
    page.get_by_label("Стаж работы в этой области (лет)").fill("12")
    page.get_by_role("button", name="Сохранить и продолжить").click()

    expect(page.locator(".messages")).to_contain_text("Ваш профиль сохранён.")
    expect(page.get_by_role("heading", name="Тур 2", exact=True)).to_be_visible()
    _is_russian(page, "round")
    page.get_by_role("button", name="Начать тур 2").click()
    page.wait_for_url("**/e/ballots/*/")

    expect(page.get_by_role("heading", name="Результаты тура 1")).to_be_visible()
    expect(page.locator("#progress-text")).to_have_text(re.compile(r"Отвечено: 0 из \d+ пункт"))
    expect(page.locator("#save-status")).to_have_text("Ваши ответы сохраняются по ходу заполнения.")
    _is_russian(page, "questionnaire with feedback")

    c1 = page.locator("article.item", has_text="C1")
    with page.expect_response(lambda r: r.url.endswith("/autosave/")):
        c1.locator("input[type=radio][value='7']").first.check()
    expect(page.locator("#save-status")).to_contain_text("Сохранено в")
    expect(page.locator("#progress-text")).to_have_text(re.compile(r"Отвечено: 1 из \d+ пункт"))
    page.get_by_role("button", name="Отправить мои ответы").click()

    expect(page.locator("#confirm-submit-heading")).to_contain_text("всё равно отправить?")
    _is_russian(page, "confirmation")
    page.get_by_role("button", name=re.compile("Всё равно отправить")).click()

    expect(page.locator(".notice.submitted")).to_contain_text("Ваши ответы отправлены.")
    expect(page.get_by_role("button", name="Изменить мои ответы")).to_be_visible()
    _is_russian(page, "submitted")
    assert Ballot.objects.get(panelist=panelist, round__number=2).status == Ballot.Status.SUBMITTED


def test_the_switcher_takes_the_expert_to_english_and_the_panelist_keeps_the_choice(
    transactional_db: None, live_server: Any, page: Any
) -> None:
    expect = _expect()
    _, panelist, raw = _russian_expert()
    page.goto(f"{live_server.url}/e/{raw}/")
    switcher = page.get_by_role("group", name="Язык")
    expect(switcher.get_by_role("button", name="Русский")).to_have_attribute("aria-pressed", "true")
    switcher.get_by_role("button", name="English").focus()
    page.keyboard.press("Enter")  # by keyboard, without any script

    expect(page.get_by_role("heading", name="About this study")).to_be_visible()
    assert page.url == f"{live_server.url}/e/welcome/"
    assert {"About", "agree", "continue"} <= set(_english_words(page))  # the chrome check does see English
    panelist.refresh_from_db()
    assert panelist.language == "en"

    page.set_extra_http_headers({"Accept-Language": "ru"})  # remembered on the panelist, not the browser
    page.reload()
    expect(page.get_by_role("heading", name="About this study")).to_be_visible()
    page.get_by_role("group", name="Language").get_by_role("button", name="Русский").click()
    expect(page.get_by_role("heading", name="Об исследовании")).to_be_visible()
    panelist.refresh_from_db()
    assert panelist.language == "ru"
