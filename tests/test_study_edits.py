"""Deleting a study (surveys/services/study_edits.py): only one that never ran, and the deletion is
logged with who did it, since the study's own audit trail goes with it."""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth import get_user_model

from surveys.errors import DomainError
from surveys.models import AuditEvent, Study
from surveys.services.rounds import round_create, round_open
from surveys.services.study_edits import study_delete
from tests.factories import small_study

pytestmark = pytest.mark.django_db


@pytest.fixture
def facilitator():  # type: ignore[no-untyped-def]
    return get_user_model().objects.create_user("facilitator", password=None, is_staff=True)


def test_deleting_a_study_that_never_ran_logs_who_deleted_it_once_it_commits(
    facilitator, caplog, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    study = small_study()
    round_create(study=study)  # a draft round holds no answers
    caplog.set_level(logging.INFO, logger="surveys.services.study_edits")
    with django_capture_on_commit_callbacks(execute=True):
        study_delete(study=study, actor=facilitator)
        assert caplog.messages == []  # not before the deletion is committed
    assert caplog.messages == ["study.deleted: 'small-study' (it never ran), by facilitator"]
    assert not Study.objects.filter(slug="small-study").exists()
    assert not AuditEvent.objects.exists()  # the trail went with the study: hence the log line


def test_a_study_whose_round_opened_is_never_deleted(facilitator) -> None:  # type: ignore[no-untyped-def]
    study = small_study()
    round_open(round=round_create(study=study))
    with pytest.raises(DomainError, match="holds answers, which are never deleted"):
        study_delete(study=study, actor=facilitator)
    assert Study.objects.filter(pk=study.pk).exists()


def test_a_draft_study_with_a_round_past_draft_is_not_deleted_either(facilitator) -> None:  # type: ignore[no-untyped-def]
    study = small_study()
    round_open(round=round_create(study=study))
    Study.objects.filter(pk=study.pk).update(status=Study.Status.DRAFT)  # only the round says it ran
    with pytest.raises(DomainError, match="never deleted"):
        study_delete(study=study, actor=facilitator)
    assert Study.objects.filter(pk=study.pk).exists()
