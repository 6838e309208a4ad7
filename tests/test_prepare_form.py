"""The preparation page renders SuggestionAcceptForm from the form itself (issue 19, item 8): its fields,
labels and limits are the form's, so a change to the form shows on the page."""

from __future__ import annotations

import re
from unittest import mock

import pytest
from django import forms
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from surveys.models import Study, Suggestion
from surveys.services.rounds import round_next
from surveys.views.facilitator.forms import SuggestionAcceptForm
from tests.factories import small_study
from tests.test_facilitator_actions import _aggregated_round_1

pytestmark = pytest.mark.django_db


@pytest.fixture
def prepared(client: Client) -> tuple[Client, Study, Suggestion]:
    client.force_login(get_user_model().objects.create_user("facilitator", password="x", is_staff=True))
    study = small_study()
    _aggregated_round_1(study)
    round_next(study=study)
    suggestion = Suggestion.objects.create(
        study=study, text="Rain is wet too.", kind=Suggestion.Kind.REWORDING, target_item=study.items.get(code="C1")
    )
    return client, study, suggestion


def _accept_form(client: Client, study: Study, suggestion: Suggestion) -> str:
    page = client.get(reverse("facilitator:round_prepare", args=[study.slug, 2])).content.decode()
    action = reverse("facilitator:suggestion_accept", args=[study.slug, 2, suggestion.pk])
    start = page.index(f'action="{action}"')
    return page[start : page.index("</form>", start)]


def test_the_accept_form_on_the_page_holds_exactly_the_forms_fields(prepared) -> None:  # type: ignore[no-untyped-def]
    client, study, suggestion = prepared
    html = _accept_form(client, study, suggestion)
    names = set(re.findall(r'name="([^"]+)"', html)) - {"csrfmiddlewaretoken"}
    assert names == set(SuggestionAcceptForm.base_fields)
    agreement, feasibility = (study.dimensions.get(key=k).pk for k in ("agreement", "feasibility"))
    assert f'<label for="s{suggestion.pk}-text">Wording</label>' in html
    assert ">\nRain is wet too.</textarea>" in html  # the suggestion's text, ready to edit
    assert f'<label for="s{suggestion.pk}-code">Code</label>' in html and 'placeholder="e.g. C9" maxlength="16"' in html
    assert '<option value="open">' not in html  # an open question cannot come from a suggestion
    assert "<legend>Rated on</legend>" in html
    assert f'value="{agreement}" id="s{suggestion.pk}-dimensions_0" checked> Agreement</label>' in html
    assert f'value="{feasibility}" id="s{suggestion.pk}-dimensions_1"> Feasibility</label>' in html
    assert "This rewords C1 (its lineage is kept)" in html


def test_a_change_to_the_form_shows_on_the_page(prepared) -> None:  # type: ignore[no-untyped-def]
    client, study, suggestion = prepared
    fields = dict(SuggestionAcceptForm.base_fields)
    fields["code"] = forms.CharField(required=False, max_length=8, label="Item code")
    fields["note"] = forms.CharField(required=False, label="Note for the log")
    with mock.patch.object(SuggestionAcceptForm, "base_fields", fields):
        html = _accept_form(client, study, suggestion)
    assert f'<label for="s{suggestion.pk}-code">Item code</label>' in html and 'maxlength="8"' in html
    assert f'<label for="s{suggestion.pk}-note">Note for the log</label>' in html


def test_the_preparation_page_costs_the_same_queries_with_more_suggestions(
    prepared, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    client, study, _ = prepared
    url = reverse("facilitator:round_prepare", args=[study.slug, 2])
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    Suggestion.objects.bulk_create(Suggestion(study=study, text=f"Idea {n}.") for n in range(5))
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.get(url).content.decode().count("Add it to round 2") == 6
