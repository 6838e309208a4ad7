"""The Django admin covers every model, and its lists render for staff."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin

pytestmark = pytest.mark.django_db


def test_every_model_of_the_app_is_registered_in_the_admin() -> None:
    models = apps.get_app_config("surveys").get_models()
    assert all(admin.site.is_registered(model) for model in models)


def test_every_admin_list_renders_with_the_demo_data(demo, admin_client) -> None:  # type: ignore[no-untyped-def]
    for model in apps.get_app_config("surveys").get_models():
        url = f"/admin/surveys/{model._meta.model_name}/"
        response = admin_client.get(url)
        assert response.status_code == 200, url
        search = admin_client.get(url, {"q": "expert"})
        assert search.status_code == 200, url


def test_panelist_tokens_are_not_shown_in_the_admin(demo, admin_client) -> None:  # type: ignore[no-untyped-def]
    from surveys.models import Panelist

    panelist = Panelist.objects.first()
    page = admin_client.get(f"/admin/surveys/panelist/{panelist.pk}/change/").content.decode()
    assert panelist.token_hash not in page


def test_the_audit_list_costs_the_same_queries_for_one_event_and_for_many(admin_client) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from surveys.services.audit import audit_record
    from surveys.services.rounds import round_create
    from tests.factories import small_study

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get("/admin/surveys/auditevent/").status_code == 200
        return len(captured)

    study = small_study()
    round_ = round_create(study=study)
    items = list(study.items.all())
    audit_record(study=study, action="item.reworded", round=round_, item=items[0])
    one = queries()
    for item in items * 4:
        audit_record(study=study, action="item.reworded", round=round_, item=item)
    assert queries() == one  # round and item (both nullable) are joined, not read per row


# --- the admin keeps the domain's promises ----------------------------------------------------------------------
# Each test posts the change form as a browser would (every field the page shows, as it shows it), with one
# change, and checks that the change is refused (the stored value unchanged) or made through the service (audited).


def _posted(page) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """The data a browser would post back from an admin change page, unchanged."""
    data: dict[str, object] = {}

    def put(form) -> None:  # type: ignore[no-untyped-def]
        for name, field in form.fields.items():
            inner = getattr(field.widget, "widget", field.widget)  # the admin wraps related fields' widgets
            widget = inner.get_context(form.add_prefix(name), form[name].value(), {})["widget"]
            for sub in widget.get("subwidgets") or [widget]:
                value = sub["value"]
                if sub.get("type") == "checkbox":
                    if sub["attrs"].get("checked"):
                        data[sub["name"]] = "on"
                elif isinstance(value, list):
                    data[sub["name"]] = value if sub["attrs"].get("multiple") else (value[0] if value else "")
                else:
                    data[sub["name"]] = "" if value is None else value

    put(page.context["adminform"].form)
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        put(formset.management_form)
        for form in formset.forms:
            put(form)
    return data


def _change(admin_client, obj, **changes: object):  # type: ignore[no-untyped-def]
    """POST the change form of ``obj`` with ``changes`` applied; the response."""
    url = f"/admin/surveys/{obj._meta.model_name}/{obj.pk}/change/"
    page = admin_client.get(url)
    assert page.status_code == 200, url
    return admin_client.post(url, {**_posted(page), **changes})


def _events(study) -> list[str]:  # type: ignore[no-untyped-def]
    return list(study.audit_events.order_by("pk").values_list("action", flat=True))


@pytest.fixture
def running():  # type: ignore[no-untyped-def]
    """A study with the 75 % rule, round 1 open (the rule frozen), and C1 rated by three experts."""
    import json

    from surveys.models import Study
    from surveys.services.rounds import round_create, round_open
    from tests.factories import answer_round, consented_panel, small_study

    study = small_study()
    Study.objects.filter(pk=study.pk).update(consensus_rule={"preset": "percent", "threshold": 0.75})
    round_ = round_open(round=round_create(study=study))
    panel = consented_panel(study, ["A", "A", "B"])
    answer_round(round_, {p: {("C1", "agreement"): 7} for p in panel})
    study.refresh_from_db()
    assert study.is_rule_frozen and json.dumps(study.consensus_rule)
    return study, round_, panel


def test_the_admin_cannot_change_a_frozen_consensus_rule(admin_client, running) -> None:  # type: ignore[no-untyped-def]
    study, _, _ = running
    before = _events(study)
    page = admin_client.get(f"/admin/surveys/study/{study.pk}/change/")
    assert "consensus_rule" not in page.context["adminform"].form.fields  # shown read-only
    _change(admin_client, study, consensus_rule='{"preset": "percent", "threshold": 0.5}')
    study.refresh_from_db()
    assert study.consensus_rule == {"preset": "percent", "threshold": 0.75}
    assert _events(study) == before


def test_the_admin_changes_a_rule_before_round_one_through_the_importer_with_an_audit_event(admin_client) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import small_study

    study = small_study()
    response = _change(admin_client, study, consensus_rule='{"preset": "percent", "threshold": 0.5}')
    assert response.status_code == 302
    study.refresh_from_db()
    assert study.consensus_rule == {"preset": "percent", "threshold": 0.5}
    event = study.audit_events.latest("pk")
    assert (event.action, event.actor_label) == ("study.updated", "admin")


def test_the_admin_refuses_an_invalid_rule_with_the_importers_reason(admin_client) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import small_study

    study = small_study()
    before = _events(study)
    response = _change(admin_client, study, consensus_rule='{"preset": "percent", "threshold": 7}')
    assert response.status_code == 200 and "Nothing was saved" in response.content.decode()
    assert "threshold" in response.content.decode()
    study.refresh_from_db()
    assert study.consensus_rule == {"preset": "cos"} and _events(study) == before


def test_the_admin_changes_the_stopping_rule_of_a_running_study_only_with_an_audit_event(admin_client, running) -> None:  # type: ignore[no-untyped-def]
    study, _, _ = running
    response = _change(admin_client, study, stopping_rule='{"max_rounds": 4, "criteria": ["all_decided"]}')
    assert response.status_code == 302
    study.refresh_from_db()
    assert study.stopping_rule == {"max_rounds": 4, "criteria": ["all_decided"]}
    event = study.audit_events.latest("pk")
    assert (event.action, event.actor_label) == ("study.updated", "admin")


def test_the_admin_publishes_a_report_with_an_audit_event(admin_client, running) -> None:  # type: ignore[no-untyped-def]
    study, _, _ = running
    assert _change(admin_client, study, is_report_public="on").status_code == 302
    study.refresh_from_db()
    assert study.is_report_public and _events(study)[-1] == "study.report_published"


def test_the_admin_cannot_let_a_revoked_expert_back_in(admin_client, running) -> None:  # type: ignore[no-untyped-def]
    from surveys.models import Panelist

    study, _, panel = running
    url = "/admin/surveys/panelist/"
    admin_client.post(url, {"action": "revoke", "_selected_action": [panel[0].pk]})
    panel[0].refresh_from_db()
    assert panel[0].status == Panelist.Status.REVOKED and _events(study)[-1] == "panelist.revoked"
    change = f"{url}{panel[0].pk}/change/"
    assert admin_client.get(change).status_code == 200  # shown
    refused = admin_client.post(change, {"status": "active", "email": panel[0].email, "pseudonym": "X"})
    assert refused.status_code == 403
    panel[0].refresh_from_db()
    assert panel[0].status == Panelist.Status.REVOKED


def test_the_admin_cannot_change_the_items_of_an_open_round(admin_client, running) -> None:  # type: ignore[no-untyped-def]
    _, round_, _ = running
    before = list(round_.round_items.order_by("pk").values_list("item__code", "order"))
    first = round_.round_items.order_by("order").first()
    _change(admin_client, round_, **{"round_items-0-order": "99", "round_items-0-item": str(first.item_id + 1)})
    assert admin_client.post(f"/admin/surveys/rounditem/{first.pk}/change/", {"order": "99"}).status_code == 403
    assert admin_client.post(f"/admin/surveys/rounditem/{first.pk}/delete/", {"post": "yes"}).status_code == 403
    assert list(round_.round_items.order_by("pk").values_list("item__code", "order")) == before


def test_the_admin_changes_a_rounds_deadline_through_the_service(admin_client, running) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from django.utils import timezone

    study, round_, _ = running
    later = timezone.localtime(timezone.now() + timedelta(days=3)).replace(second=0, microsecond=0)
    response = _change(
        admin_client, round_, closes_at_0=f"{later:%Y-%m-%d}", closes_at_1=f"{later:%H:%M:%S}", status="draft"
    )
    assert response.status_code == 302
    round_.refresh_from_db()
    assert round_.closes_at == later and round_.status == "open"
    assert _events(study)[-1] == "round.deadline_set"


def test_the_admin_cannot_reword_or_rescale_an_answered_item(admin_client, running) -> None:  # type: ignore[no-untyped-def]
    from surveys.models import Dimension, Item

    study, _, _ = running
    item = Item.objects.get(study=study, code="C1")
    feasibility = Dimension.objects.get(study=study, key="feasibility")
    before = _events(study)
    _change(admin_client, item, text="The sky is green.", kind="risk", dimensions=[str(feasibility.pk)])
    agreement = Dimension.objects.get(study=study, key="agreement")
    _change(admin_client, agreement, scale_max="5", agree_low="4", agree_high="5", disagree_high="2")
    item.refresh_from_db()
    agreement.refresh_from_db()
    assert (item.text, item.kind, [d.key for d in item.dimensions.all()]) == (
        "The sky is blue.",
        "claim",
        ["agreement"],
    )
    assert (agreement.scale_max, agreement.agree_low) == (9, 7)
    assert _events(study) == before


def test_the_admin_rewords_an_unanswered_item_through_the_importer(admin_client, running) -> None:  # type: ignore[no-untyped-def]
    from surveys.models import Item

    study, _, _ = running
    item = Item.objects.get(study=study, code="C2")
    assert _change(admin_client, item, text="Water is very wet.").status_code == 302
    item.refresh_from_db()
    assert item.text == "Water is very wet." and _events(study)[-1] == "study.updated"


@pytest.mark.parametrize("body", ["{% if 0 %}{{ link }}{% endif %}", "{# {{ link }} #}", "No link at all."])
def test_the_admin_refuses_an_email_without_a_working_link(admin_client, running, body: str) -> None:  # type: ignore[no-untyped-def]
    study, _, _ = running
    before = _events(study)
    response = admin_client.post(
        "/admin/surveys/messagetemplate/add/",
        {"study": study.pk, "kind": "reminder", "subject": "Reminder", "body": body},
    )
    assert response.status_code == 200 and "does not show the link" in response.content.decode()
    assert not study.message_templates.exists() and _events(study) == before


def test_the_admin_saves_and_deletes_an_email_through_the_service(admin_client, running) -> None:  # type: ignore[no-untyped-def]
    study, _, _ = running
    response = admin_client.post(
        "/admin/surveys/messagetemplate/add/",
        {"study": study.pk, "kind": "reminder", "subject": "Reminder", "body": "Please answer: {{ link }}"},
    )
    assert response.status_code == 302
    template = study.message_templates.get(kind="reminder")
    assert _events(study)[-1] == "message.edited"
    refused = _change(admin_client, template, body="{# {{ link }} #}")
    assert refused.status_code == 200
    template.refresh_from_db()
    assert template.body == "Please answer: {{ link }}\n"
    admin_client.post(f"/admin/surveys/messagetemplate/{template.pk}/delete/", {"post": "yes"})
    assert not study.message_templates.exists() and _events(study)[-1] == "message.reset"


def test_the_admin_deletes_no_answers_or_audit_events(admin_client, running) -> None:  # type: ignore[no-untyped-def]
    from surveys.models import AuditEvent, Ballot

    study, _, _ = running
    ballot = Ballot.objects.filter(round__study=study).first()
    event = AuditEvent.objects.filter(study=study).first()
    assert admin_client.post(f"/admin/surveys/ballot/{ballot.pk}/delete/", {"post": "yes"}).status_code == 403
    assert admin_client.post(f"/admin/surveys/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert admin_client.post(f"/admin/surveys/study/{study.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Ballot.objects.filter(pk=ballot.pk).exists() and AuditEvent.objects.filter(pk=event.pk).exists()


def test_the_admin_relabels_a_rated_scale_through_the_importer(admin_client, running) -> None:  # type: ignore[no-untyped-def]
    """Labels are not what was answered (the points are), so they may change; the change is audited."""
    from surveys.models import Dimension

    study, _, _ = running
    agreement = Dimension.objects.get(study=study, key="agreement")
    labels = '{"1": "Disagree completely", "9": "Agree completely"}'
    assert _change(admin_client, agreement, scale_labels=labels, label="Agreement (1-9)").status_code == 302
    agreement.refresh_from_db()
    assert agreement.label == "Agreement (1-9)" and agreement.label_for(9) == "Agree completely"
    assert agreement.scale_max == 9 and _events(study)[-1] == "study.updated"
