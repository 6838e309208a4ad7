"""A small world for the API tests: a study with round 1 open, two consented experts who have each
rated C1 (with a rationale), a facilitator with an API token, and clients for each of them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.utils import timezone
from rest_framework.test import APIClient

from surveys.models import Panelist, ReportJob, Round, Study, Suggestion
from surveys.services.api_tokens import api_token_create
from surveys.services.ballots import RatingInput, ballot_save
from surveys.services.panel import panelist_create
from surveys.services.rounds import round_create, round_open
from tests.factories import small_study

ALPHA_REASON = "alpha's private reason"
BRAVO_REASON = "bravo's private reason"


@dataclass
class World:
    study: Study
    round: Round
    expert_a: Panelist
    token_a: str
    expert_b: Panelist
    token_b: str
    staff: AbstractUser
    staff_token: str
    suggestion: Suggestion
    report: ReportJob

    @property
    def identities(self) -> list[str]:
        """Every name and email on the panel: none may appear in an answer to an expert."""
        return [v for p in (self.expert_a, self.expert_b) for v in (p.email, p.name) if v]


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    """Rate-limit counters live in the cache; each test starts with none."""
    cache.clear()
    yield
    cache.clear()


def _expert(study: Study, email: str, name: str, group: str) -> tuple[Panelist, str]:
    panelist, raw = panelist_create(study=study, email=email, name=name, group=group)
    panelist.consent_at = timezone.now()
    panelist.save(update_fields=["consent_at"])
    return panelist, raw


def rate_c1(panelist: Panelist, round_: Round, value: int, reason: str) -> None:
    c1 = round_.round_items.get(item__code="C1")
    ballot_save(
        panelist=panelist, round=round_, entries=[RatingInput(c1.pk, "agreement", value)], rationales={c1.pk: reason}
    )


@pytest.fixture
def world(db: None) -> World:
    study = small_study()
    expert_a, token_a = _expert(study, "alice@example.org", "Alice Anders", "Europe")
    expert_b, token_b = _expert(study, "bob@example.org", "Bob Brown", "Asia")
    round_ = round_open(round=round_create(study=study))
    rate_c1(expert_a, round_, 9, ALPHA_REASON)
    rate_c1(expert_b, round_, 2, BRAVO_REASON)
    staff = get_user_model().objects.create_user("facilitator", password=None, is_staff=True)  # no slow hashing
    suggestion = Suggestion.objects.create(study=study, round=round_, panelist=expert_a, text="Ask about trade.")
    report = ReportJob.objects.create(study=study, format="csv", status=ReportJob.Status.DONE)
    report.file.save("report.csv", ContentFile(b"item,median\nC1,5\n"))
    return World(
        study=study,
        round=round_,
        expert_a=expert_a,
        token_a=token_a,
        expert_b=expert_b,
        token_b=token_b,
        staff=staff,
        staff_token=api_token_create(user=staff, name="tests")[1],
        suggestion=suggestion,
        report=report,
    )


def client_for(world: World, role: str) -> APIClient:
    """An API client as ``role``: anonymous, expert_a, expert_b (bearer token) or staff (API token)."""
    client = APIClient()
    header = {
        "anonymous": None,
        "expert_a": f"Bearer {world.token_a}",
        "expert_b": f"Bearer {world.token_b}",
        "staff": f"Token {world.staff_token}",
    }[role]
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)
    return client


@pytest.fixture
def staff_api(world: World) -> APIClient:
    return client_for(world, "staff")


@pytest.fixture
def expert_a(world: World) -> APIClient:
    return client_for(world, "expert_a")


@pytest.fixture
def expert_b(world: World) -> APIClient:
    return client_for(world, "expert_b")
