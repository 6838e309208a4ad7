"""States are compared against their enums, never copied (issue 19, item 7): no template compares a
value with a literal that is one of the models' choices, and the CHECK constraints that list states
take them from the choices, so adding a state cannot leave a copy behind."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction
from django.db.models import CheckConstraint

from surveys.models import Panelist, ReportJob, Round, Study
from tests.factories import small_study

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
COMPARISON = re.compile(r"""(?:==|!=)\s*["']([^"']*)["']|["']([^"']*)["']\s*(?:==|!=)""")


def _choice_values() -> set[str]:
    return {
        str(value)
        for model in apps.get_app_config("surveys").get_models()
        for field in model._meta.get_fields()
        for value, _ in (getattr(field, "choices", None) or [])
        if value != ""
    }


def literal_comparisons(source: str, values: set[str]) -> list[str]:
    """The literals in ``source`` that a ``{% if %}`` compares with and that are a model's choice."""
    found = []
    for tag in re.findall(r"{%\s*(?:if|elif)\b(.*?)%}", source):
        for match in COMPARISON.finditer(tag):
            literal = match.group(1) if match.group(1) is not None else match.group(2)
            if literal in values:
                found.append(literal)
    return found


def test_the_checker_finds_a_copied_state() -> None:
    values = {"revoked", "draft"}
    assert literal_comparisons('{% if p.status != "revoked" %}x{% elif "draft" == r.status %}', values) == [
        "revoked",
        "draft",
    ]
    assert literal_comparisons("{% if p.is_revoked %}{% if cell.verdict != 'meta' %}", values) == []


def test_no_template_compares_against_a_copy_of_a_state() -> None:
    values = _choice_values()
    assert {"revoked", "required", "draft", "open", "done"} <= values
    found = {
        str(path.relative_to(TEMPLATES)): hits
        for path in sorted(TEMPLATES.rglob("*.html"))
        if (hits := literal_comparisons(path.read_text(encoding="utf-8"), values))
    }
    assert found == {}


def test_every_check_constraint_on_a_state_field_lists_exactly_its_choices() -> None:
    checked = 0
    for model in apps.get_app_config("surveys").get_models():
        for constraint in model._meta.constraints:
            if not isinstance(constraint, CheckConstraint):
                continue
            for child in getattr(constraint.condition, "children", []):
                if isinstance(child, tuple) and child[0].endswith("__in"):
                    field = model._meta.get_field(child[0].removesuffix("__in"))
                    where = f"{model.__name__}.{field.name}: give the field choices and use Q(...__in=X.values)"
                    assert field.choices, where
                    assert list(child[1]) == [value for value, _ in field.choices], where
                    checked += 1
    assert checked >= 12


@pytest.mark.parametrize(
    ("model", "field"),
    [
        (ReportJob, "format"),
        (ReportJob, "status"),
        (Study, "outside_iqr_reason"),
        (Round, "status"),
        (Panelist, "status"),
    ],
)
def test_each_state_field_has_a_check_constraint(model: type, field: str) -> None:
    fields_checked = {
        child[0]
        for constraint in model._meta.constraints  # type: ignore[attr-defined]
        if isinstance(constraint, CheckConstraint)
        for child in getattr(constraint.condition, "children", [])
        if isinstance(child, tuple)
    }
    assert f"{field}__in" in fields_checked


@pytest.mark.django_db
def test_the_database_refuses_a_reason_rule_that_is_not_a_choice() -> None:
    study = small_study()
    with pytest.raises(IntegrityError), transaction.atomic():
        Study.objects.filter(pk=study.pk).update(outside_iqr_reason="sometimes")


@pytest.mark.django_db
def test_the_state_properties_follow_the_enums() -> None:
    study = small_study()
    assert not study.is_reason_required and study.is_reason_asked  # the small study's rule is optional
    study.outside_iqr_reason = Study.OutsideIqrReason.OFF
    assert not study.is_reason_asked
    round_ = Round(study=study, number=1)
    assert round_.is_draft and not round_.is_open and not round_.is_aggregated
    assert Panelist(status=Panelist.Status.REVOKED).is_revoked and not Panelist().is_revoked
    job = ReportJob(format=ReportJob.Format.PDF)
    assert job.is_pending and not job.is_done and not job.is_failed
