"""Mail in the panelist's language: the built-in wording through the catalogue, the study's own wording
through its translations, the deadline localised with its zone named, and the study's default language
wherever a translation is missing. Needs the compiled catalogue (scripts/i18n_build)."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import translation

from surveys.models import MessageTemplate
from surveys.services.mail import MailOutcome, invitations_send, message_render, reminders_send, thank_you_send
from surveys.services.mail_language import wording_for
from surveys.services.message_templates import message_template_check, message_template_problem
from surveys.services.rounds import round_create, round_open
from tests.factories import answer_round, consented_panel, small_study

pytestmark = pytest.mark.django_db

CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)
# 16 December 2030, 18:00 in Moscow (UTC+3, no summer time): a deadline every test can keep in the future.
DEADLINE = datetime(2030, 12, 16, 15, 0, tzinfo=ZoneInfo("UTC"))


@pytest.fixture
def study():  # type: ignore[no-untyped-def]
    study = small_study()
    study.languages, study.time_zone = ["en", "ru"], "Europe/Moscow"
    study.translations = {"ru": {"title": "Небольшое исследование"}}
    study.save()
    return study


@pytest.fixture
def panel(study):  # type: ignore[no-untyped-def]
    english, russian = consented_panel(study, ["Europe", "Russia"])
    russian.language = "ru"
    russian.save(update_fields=["language"])
    return {"en": english, "ru": russian}


@pytest.fixture
def open_round(study, panel):  # type: ignore[no-untyped-def]
    # Only the title is translated: opening confirms that experts see the rest in English.
    return round_open(round=round_create(study=study, closes_at=DEADLINE), allow_fallback=True)


def _sent_to(panelist):  # type: ignore[no-untyped-def]
    (message,) = [m for m in mail.outbox if m.to == [panelist.email]]
    return message


def _latin_words(text: str) -> set[str]:
    """The Latin words of a text, leaving out what is not prose: the link, the zone's name and abbreviation."""
    text = re.sub(r"https?://\S+|\([A-Za-z_]+/[A-Za-z_]+\)|\b[A-Z]{2,5}\b", " ", text)
    return set(re.findall(r"[A-Za-z]{2,}", text))


def test_a_russian_panelists_invitation_is_in_russian_with_a_localised_deadline(open_round, panel) -> None:  # type: ignore[no-untyped-def]
    invitations_send(round=open_round)
    message = _sent_to(panel["ru"])
    assert message.subject == "Приглашение: Небольшое исследование, тур 1"
    assert "Приглашаем вас принять участие в туре 1 экспертной панели «Небольшое исследование»" in message.body
    assert "Тур завершается 16 декабря 2030 г., 18:00 MSK (Europe/Moscow)." in message.body
    assert "/e/" in message.body  # the personal link is there
    assert not _latin_words(message.subject + message.body)  # no English left, only the link and the zone


def test_an_english_panelists_invitation_stays_english(open_round, panel) -> None:  # type: ignore[no-untyped-def]
    invitations_send(round=open_round)
    message = _sent_to(panel["en"])
    assert message.subject == "Invitation: A small study, round 1"
    assert "You are invited to round 1" in message.body
    assert "The round closes on 16 Dec 2030, 18:00 MSK (Europe/Moscow)." in message.body
    assert not CYRILLIC.search(message.subject + message.body)


def test_a_russian_panelists_reminder_is_in_russian(open_round, panel) -> None:  # type: ignore[no-untyped-def]
    reminders_send(round=open_round)
    message = _sent_to(panel["ru"])
    assert message.subject == "Напоминание: тур 1 исследования «Небольшое исследование»"
    assert "Напоминаем, что тур 1 исследования «Небольшое исследование» открыт" in message.body
    assert "16 декабря 2030 г., 18:00 MSK (Europe/Moscow)" in message.body
    assert not _latin_words(message.subject + message.body)
    assert _sent_to(panel["en"]).subject == "Reminder: round 1 of A small study"


def test_a_russian_panelists_thank_you_is_in_russian(open_round, panel) -> None:  # type: ignore[no-untyped-def]
    answer_round(open_round, {panel["ru"]: {("C1", "agreement"): 7}})
    thank_you_send(ballot=panel["ru"].ballots.get(round=open_round))
    message = _sent_to(panel["ru"])
    assert message.subject.startswith("Благодарим за участие: тур 1")
    assert "Вы можете изменить их до 16 декабря 2030 г., 18:00 MSK (Europe/Moscow)." in message.body


def test_a_panelist_without_a_language_reads_the_studys_default(study, open_round, panel) -> None:  # type: ignore[no-untyped-def]
    study.default_language = "ru"
    study.save()
    panel["en"].language = ""
    panel["en"].save(update_fields=["language"])
    invitations_send(round=open_round)
    assert CYRILLIC.search(_sent_to(panel["en"]).subject)


def test_the_studys_own_wording_is_sent_in_its_translation(study, open_round, panel) -> None:  # type: ignore[no-untyped-def]
    MessageTemplate.objects.create(
        study=study,
        kind="invitation",
        subject="Round {{ round.number }} is open",
        body="Answer here: {{ link }} until {{ closes_at }}",
        translations={
            "ru": {"subject": "Тур {{ round.number }} открыт", "body": "Ответить: {{ link }} до {{ closes_at }}"}
        },
    )
    invitations_send(round=open_round)
    russian, english = _sent_to(panel["ru"]), _sent_to(panel["en"])
    assert russian.subject == "Тур 1 открыт"
    assert russian.body.startswith("Ответить: http") and russian.body.endswith(
        "до 16 декабря 2030 г., 18:00 MSK (Europe/Moscow)"
    )
    assert english.subject == "Round 1 is open"
    assert english.body.endswith("until 16 Dec 2030, 18:00 MSK (Europe/Moscow)")


def test_the_studys_own_wording_without_a_translation_falls_back_to_the_default_language(
    study, open_round, panel
) -> None:  # type: ignore[no-untyped-def]
    MessageTemplate.objects.create(
        study=study,
        kind="reminder",
        subject="Please answer round {{ round.number }}",
        body="{{ link }} by {{ closes_at }}",
    )
    reminders_send(round=open_round)
    message = _sent_to(panel["ru"])
    assert message.subject == "Please answer round 1"  # the whole email in the default language: no mixing
    assert message.body.endswith("by 16 Dec 2030, 18:00 MSK (Europe/Moscow)")
    assert wording_for(study, "reminder", "ru").language == "en"


def test_a_half_translated_wording_is_sent_whole_in_the_default_language(study) -> None:  # type: ignore[no-untyped-def]
    MessageTemplate.objects.create(
        study=study, kind="thank_you", subject="Thanks", body="Received.", translations={"ru": {"subject": "Спасибо"}}
    )
    wording = wording_for(study, "thank_you", "ru")
    assert (wording.subject, wording.body, wording.language) == ("Thanks", "Received.", "en")


def test_a_language_without_a_catalogue_reads_the_english_wording(study, open_round) -> None:  # type: ignore[no-untyped-def]
    subject, body = message_render(study=study, round=open_round, kind="invitation", language="de")
    assert subject == "Invitation: A small study, round 1" and "16 Dec 2030" in body


def test_a_translation_that_drops_the_link_is_a_problem_named_with_its_language(study) -> None:  # type: ignore[no-untyped-def]
    MessageTemplate.objects.create(
        study=study,
        kind="invitation",
        subject="Round {{ round.number }}",
        body="Link: {{ link }}",
        translations={"ru": {"subject": "Тур {{ round.number }}", "body": "Ссылки нет."}},
    )
    problem = message_template_problem(study, "invitation")
    assert problem is not None and problem.startswith("(ru) ") and "{{ link }}" in problem


@pytest.mark.parametrize("kind", ["invitation", "reminder", "thank_you"])
def test_the_built_in_russian_wording_passes_the_check_that_guards_the_link(study, kind: str) -> None:  # type: ignore[no-untyped-def]
    wording = wording_for(study, kind, "ru")
    assert wording.language == "ru" and CYRILLIC.search(wording.body)
    message_template_check(kind=kind, subject=wording.subject, body=wording.body, study=study)


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (1, "1 письмо отправлено"),
        (2, "2 письма отправлены"),
        (5, "5 писем отправлено"),
        (11, "11 писем отправлено"),
        (21, "21 письмо отправлено"),
        (24, "24 письма отправлены"),
    ],
)
def test_the_batch_summary_uses_russian_plurals(count: int, expected: str) -> None:
    outcome = MailOutcome(sent=[f"P{n}" for n in range(count)], skipped=count, failed=["P-01", "P-02"])
    with translation.override("ru"):
        described = outcome.describe()
    assert described.startswith(expected + ", ")
    assert "2 письма не отправлены (P-01, P-02)" in described
    with translation.override("en"):
        english = outcome.describe()
    assert english.startswith(f"{count} sent, {count} already sent, 2 failed (P-01, P-02)")
