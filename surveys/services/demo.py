"""The quick-start demo: the seed study, a facilitator, a synthetic panel and three simulated rounds.

Everything here is idempotent: running it again finds what exists and creates nothing twice.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from surveys.models import Panelist, Study
from surveys.services.demo_simulation import demo_simulate, load_profile
from surveys.services.panel import panelist_create, panelist_token_rotate
from surveys.services.study_files import study_import

SEED_STUDY = Path(__file__).resolve().parent.parent / "studies" / "russia-taliban-recognition.yaml"
SEED_BEHAVIOUR = SEED_STUDY.with_suffix(".demo.yaml")
SIMULATED_ROUNDS = 3
DEMO_GROUPS = ("Russia", "Central Asia", "South Asia", "Europe and North America", "Middle East")
DEMO_PANEL_SIZE = 24
FACILITATOR_USERNAME = "facilitator"


@dataclass(frozen=True)
class DemoResult:
    study: Study
    facilitator_username: str
    facilitator_password: str
    panel_size: int
    expert_pseudonym: str
    expert_token: str

    def url(self, path: str) -> str:
        return f"{settings.BASE_URL}{path}"


def synthetic_email(number: int) -> str:
    return f"synthetic-expert-{number:02d}@example.invalid"


@transaction.atomic
def demo_build(*, panel_size: int = DEMO_PANEL_SIZE) -> DemoResult:
    study = study_import(
        text=SEED_STUDY.read_text(encoding="utf-8"), filename=SEED_STUDY.name, actor_label="demo"
    ).study

    password = secrets.token_urlsafe(12)
    user, _ = get_user_model().objects.get_or_create(
        username=FACILITATOR_USERNAME, defaults={"email": "facilitator@example.invalid"}
    )
    user.is_staff = user.is_superuser = True
    user.set_password(password)  # a fresh one each run, printed: the old one is never shown again
    user.save()

    profile = load_profile(SEED_BEHAVIOUR)
    existing = set(study.panelists.values_list("email", flat=True))
    for number in range(1, panel_size + 1):
        email = synthetic_email(number)
        if email not in existing:
            group, position = (number - 1) % len(DEMO_GROUPS), (number - 1) // len(DEMO_GROUPS)
            panelist_create(
                study=study,
                email=email,
                name=f"Synthetic expert {number:02d}",
                group=DEMO_GROUPS[group],
                language=profile.language_of(
                    DEMO_GROUPS[group], position, len(range(group, panel_size, len(DEMO_GROUPS)))
                ),
                is_synthetic=True,
            )

    if not study.rounds.exists():
        demo_simulate(study=study, profile=profile, rounds=SIMULATED_ROUNDS)

    expert = Panelist.objects.get(study=study, email=synthetic_email(1))
    token = panelist_token_rotate(panelist=expert)  # raw tokens are never stored; issue a fresh link
    return DemoResult(
        study=study,
        facilitator_username=user.get_username(),
        facilitator_password=password,
        panel_size=study.panelists.count(),
        expert_pseudonym=expert.pseudonym,
        expert_token=token,
    )
