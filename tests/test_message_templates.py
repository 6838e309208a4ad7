"""An email's wording must show the expert's link, and must render at once, however it is saved or sent.

Invitations and reminders replace the expert's link, so a wording that hides ``{{ link }}`` (in a false
condition, a comment, or behind a filter) would lock the panel out. The same check runs on the
dashboard, the API (400) and the admin; sending checks again, before any link changes.
"""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from surveys.models import MessageTemplate, Panelist, Study
from surveys.services.api_tokens import api_token_create
from surveys.services.mail import invitations_send, message_render, reminders_send
from surveys.services.message_templates import MessageTemplateInvalid, message_template_check
from surveys.services.rounds import round_create, round_open
from tests.factories import consented_panel, small_study

pytestmark = pytest.mark.django_db

HIDDEN_LINK = [
    "{% if 0 %}{{ link }}{% endif %}",
    "{# {{ link }} #}",
    "{% comment %}{{ link }}{% endcomment %}",
    "Answer here: {{ link|slice:':20' }}",
    "{% if closes_at %}Answer by {{ closes_at }}: {{ link }}{% endif %}",  # no link when there is no deadline
    "{% if name %}Dear {{ name }}, {{ link }}{% endif %}",  # no link for an expert without a name
]
NESTED_LOOPS = "".join(f"{{% for c{n} in study.title %}}" for n in range(8)) + "{{ link }}" + "{% endfor %}" * 8
UNSAFE = [
    (NESTED_LOOPS, "uses {% for %}, which is not allowed"),
    ("{% lorem 100000 %} {{ link }}", "uses {% lorem %}, which is not allowed"),
    ('{{ link|center:"1000000000" }}', "uses the filter |center, which is not allowed"),
    ('{{ link }} {% include "base.html" %}', "uses {% include %}, which is not allowed"),
]
GOOD = "Dear {{ name|default:'colleague' }}, round {{ round.number }} awaits you: {{ link }}"


@pytest.fixture
def staff() -> object:
    return get_user_model().objects.create_user("facilitator", password=None, is_staff=True, is_superuser=True)


def _dashboard(staff, study: Study, body: str, subject: str = "Reminder") -> tuple[int, str]:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(staff)
    response = client.post(
        reverse("facilitator:message_edit", args=[study.slug, "reminder"]), {"subject": subject, "body": body}
    )
    return response.status_code, response.content.decode()


def _api(staff, study: Study, body: str, subject: str = "Reminder") -> tuple[int, str]:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=staff, name='t')[1]}")
    response = client.put(
        f"/api/v1/studies/{study.slug}/messages/reminder/", {"subject": subject, "body": body}, format="json"
    )
    return response.status_code, response.content.decode()


def _admin(staff, study: Study, body: str, subject: str = "Reminder") -> tuple[int, str]:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(staff)
    response = client.post(
        "/admin/surveys/messagetemplate/add/", {"study": study.pk, "kind": "reminder", "subject": subject, "body": body}
    )
    return response.status_code, response.content.decode()


SURFACES = {"dashboard": (_dashboard, 400), "api": (_api, 400), "admin": (_admin, 200)}  # the admin shows the form


@pytest.mark.parametrize("surface", SURFACES)
@pytest.mark.parametrize("body", HIDDEN_LINK)
def test_a_wording_that_hides_the_link_is_refused_everywhere(staff, surface: str, body: str) -> None:  # type: ignore[no-untyped-def]
    study = small_study()
    post, refused = SURFACES[surface]
    status, content = post(staff, study, body)
    assert status == refused
    assert "does not show the link" in content.replace("&#x27;", "'")
    assert not study.message_templates.exists()
    assert not study.audit_events.filter(action="message.edited").exists()


@pytest.mark.parametrize("surface", SURFACES)
@pytest.mark.parametrize(("body", "reason"), UNSAFE)
def test_a_wording_that_could_render_for_ever_is_refused_everywhere(
    staff, surface: str, body: str, reason: str
) -> None:  # type: ignore[no-untyped-def]
    study = small_study()
    post, refused = SURFACES[surface]
    status, content = post(staff, study, body)
    assert status == refused
    assert reason.replace("{", "").replace("}", "") in content.replace("{", "").replace("}", "")
    assert not study.message_templates.exists()


@pytest.mark.parametrize("surface", SURFACES)
def test_a_good_wording_is_accepted_everywhere_and_audited(staff, surface: str) -> None:  # type: ignore[no-untyped-def]
    study = small_study()
    post, _ = SURFACES[surface]
    status, _ = post(staff, study, GOOD, subject="Round {{ round.number }} of {{ study.title }}")
    assert status in (200, 302)
    saved = study.message_templates.get(kind="reminder")
    assert saved.body == GOOD + "\n"
    assert study.audit_events.filter(action="message.edited", actor_label="facilitator").exists()


def test_the_api_refusal_is_a_400_naming_the_part_that_is_wrong(staff) -> None:  # type: ignore[no-untyped-def]
    import json

    study = small_study()
    status, content = _api(staff, study, "{# {{ link }} #}")
    error = json.loads(content)["error"]
    assert status == 400 and error["code"] == "invalid"
    assert "does not show the link" in error["message"] and "body" in error["fields"]
    status, content = _api(staff, study, GOOD, subject="{% for c in name %}x{% endfor %}")
    assert status == 400 and "subject" in json.loads(content)["error"]["fields"]


def test_the_check_renders_for_sample_experts_rather_than_looking_for_the_text() -> None:
    assert message_template_check(kind="reminder", subject="Hi", body="Go: {{link}}") == ("Hi", "Go: {{link}}")
    assert message_template_check(kind="thank_you", subject="Thanks", body="No link needed.")[1] == "No link needed."
    with pytest.raises(MessageTemplateInvalid) as refused:
        message_template_check(kind="invitation", subject="Hi", body="{% if 0 %}{{ link }}{% endif %}")
    assert refused.value.field == "body"


def test_a_nested_loop_is_refused_before_anything_renders(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.template.base import Template

    def never(*args: object, **kwargs: object) -> str:
        raise AssertionError("a refused wording was rendered")

    monkeypatch.setattr(Template, "render", never)
    with pytest.raises(MessageTemplateInvalid, match=r"uses \{% for %\}"):
        message_template_check(kind="reminder", subject="Hi", body=NESTED_LOOPS)


def test_a_wording_that_renders_too_long_is_refused() -> None:
    study = small_study()
    Study.objects.filter(pk=study.pk).update(title="T" * 300)
    study.refresh_from_db()
    body = "{{ link }}" + "{{ study.title }}" * 500  # 8 kB of template, 150 kB of email
    with pytest.raises(MessageTemplateInvalid, match=r"renders to 150,\d{3} characters; .* limited to 50,000"):
        message_template_check(kind="reminder", subject="Hi", body=body, study=study)


# --- sending: a stored wording that fails the check changes nobody's link --------------------------------------


@pytest.fixture
def open_round():  # type: ignore[no-untyped-def]
    study = small_study()
    panel = consented_panel(study, ["A", "A", "B"])
    return round_open(round=round_create(study=study)), panel


def _tokens(panel: list[Panelist]) -> list[str]:
    return list(
        Panelist.objects.filter(pk__in=[p.pk for p in panel]).order_by("pk").values_list("token_hash", flat=True)
    )


@pytest.mark.parametrize("body", [HIDDEN_LINK[0], HIDDEN_LINK[1], NESTED_LOOPS])
def test_reminders_with_a_stored_broken_wording_send_nothing_and_keep_every_link(  # type: ignore[no-untyped-def]
    open_round, body: str, caplog: pytest.LogCaptureFixture
) -> None:
    round_, panel = open_round
    MessageTemplate.objects.create(study=round_.study, kind="reminder", subject="Reminder", body=body)  # by hand
    before = _tokens(panel)
    with caplog.at_level(logging.ERROR, logger="surveys.services.mail"):
        outcome = reminders_send(round=round_)
    assert sorted(outcome.failed) == sorted(p.pseudonym for p in panel) and outcome.sent == []
    assert mail.outbox == []
    assert _tokens(panel) == before  # every expert's link still works
    assert "reminder emails of small-study round 1 not sent" in caplog.text
    MessageTemplate.objects.filter(study=round_.study).delete()  # the facilitator resets the wording
    assert len(reminders_send(round=round_).sent) == 3  # and the reminders go out: nothing was used up
    assert all(new != old for new, old in zip(_tokens(panel), before, strict=True))


def test_an_invitation_whose_rendered_body_lost_the_link_keeps_the_old_link(open_round, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Defence in depth: even if the wording passed the check, a body without the real link is not sent."""
    from surveys.services import mail as mail_service

    round_, panel = open_round
    before = _tokens(panel)
    monkeypatch.setattr(mail_service, "message_render", lambda **kwargs: ("Invitation", "no link in here"))
    outcome = invitations_send(round=round_)
    assert outcome.sent == [] and len(outcome.failed) == 3 and mail.outbox == []
    assert _tokens(panel) == before


def test_the_send_renders_with_the_same_cut_down_engine(open_round) -> None:  # type: ignore[no-untyped-def]
    round_, _ = open_round
    MessageTemplate.objects.create(study=round_.study, kind="thank_you", subject="Thanks", body=NESTED_LOOPS)
    with pytest.raises(MessageTemplateInvalid, match=r"uses \{% for %\}"):
        message_render(study=round_.study, round=round_, kind="thank_you", name="A", link="")


def test_the_dashboard_flags_a_stored_wording_that_fails_the_check(staff, open_round) -> None:  # type: ignore[no-untyped-def]
    round_, _ = open_round
    MessageTemplate.objects.create(study=round_.study, kind="reminder", subject="Reminder", body=HIDDEN_LINK[1])
    client = Client()
    client.force_login(staff)
    page = client.get(reverse("facilitator:messages", args=[round_.study.slug])).content.decode()
    assert "Not sent until fixed" in page and "does not show the link" in page
