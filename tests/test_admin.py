"""The Django admin covers every model, and its lists render for staff."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_every_model_of_the_app_is_registered_in_the_admin() -> None:
    models = apps.get_app_config("surveys").get_models()
    assert all(admin.site.is_registered(model) for model in models)


def test_every_admin_list_renders_with_the_demo_data(admin_client) -> None:  # type: ignore[no-untyped-def]
    call_command("demo", "--no-serve", stdout=open("/dev/null", "w"))  # noqa: SIM115
    for model in apps.get_app_config("surveys").get_models():
        url = f"/admin/surveys/{model._meta.model_name}/"
        response = admin_client.get(url)
        assert response.status_code == 200, url
        search = admin_client.get(url, {"q": "expert"})
        assert search.status_code == 200, url


def test_panelist_tokens_are_not_shown_in_the_admin(admin_client) -> None:  # type: ignore[no-untyped-def]
    call_command("demo", "--no-serve", stdout=open("/dev/null", "w"))  # noqa: SIM115
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
