"""Factories for the domain model, and a small study built through the real importer."""

from __future__ import annotations

import factory
from django.utils import timezone

from surveys.models import Panelist, Study
from surveys.models.panel import hash_token
from surveys.services.study_files import study_import

SMALL_STUDY = """
format: delphi-study/1
slug: {slug}
title: A small study
description: Two claims and one recommendation.
source: {{citation: "Doe, J. (2024). A paper.", references: ["Roe, R. (2020). Another paper."]}}
settings: {{min_group_size: 3, outside_iqr_reason: optional}}
consensus_rule: {{preset: cos}}
stopping_rule: {{max_rounds: 3, criteria: [all_decided]}}
dimensions:
  - key: agreement
    label: Agreement
    question: How far do you agree?
    scale: {{min: 1, max: 9, labels: {{1: Strongly disagree, 9: Strongly agree}}}}
    agree: [7, 9]
    disagree: [1, 3]
  - key: feasibility
    label: Feasibility
    scale: {{min: 1, max: 5, labels: {{1: Not feasible, 5: Very feasible}}}}
    agree: [4, 5]
    disagree: [1, 2]
sections:
  - {{key: claims, title: Claims}}
  - {{key: recs, title: Recommendations}}
items:
  - {{code: C1, kind: claim, section: claims, text: The sky is blue., source: "Roe, 2020", dimensions: [agreement]}}
  - {{code: C2, kind: claim, section: claims, text: Water is wet., dimensions: [agreement]}}
  - {{code: R1, kind: recommendation, section: recs, text: We should swim., dimensions: [agreement, feasibility]}}
"""


def small_study_text(slug: str = "small-study") -> str:
    return SMALL_STUDY.format(slug=slug)


def small_study(slug: str = "small-study") -> Study:
    return study_import(text=small_study_text(slug), filename=f"{slug}.yaml").study


class PanelistFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Panelist

    email = factory.Sequence(lambda n: f"expert{n}@example.org")
    name = factory.Sequence(lambda n: f"Expert Person {n}")
    pseudonym = factory.Sequence(lambda n: f"Expert {n:03d}")
    group = "Europe"
    token_hash = factory.Sequence(lambda n: hash_token(f"token-{n}"))
    token_issued_at = factory.LazyFunction(timezone.now)


def consented_panel(study: Study, groups: list[str]) -> list[Panelist]:
    """Panelists who have consented, one per entry of ``groups``."""
    from surveys.services.panel import panelist_create

    panel = []
    start = study.panelists.count()
    for offset, group in enumerate(groups):
        panelist, _ = panelist_create(study=study, email=f"p{start + offset}@example.org", group=group)
        panelist.consent_at = timezone.now()
        panelist.save(update_fields=["consent_at"])
        panel.append(panelist)
    return panel


def answer_round(round_, answers: dict[Panelist, dict[tuple[str, str], int | None]], *, submit: bool = True) -> None:  # type: ignore[no-untyped-def]
    """Each panelist rates ``(item code, dimension key) -> value`` and submits."""
    from surveys.services.ballots import RatingInput, ballot_save, ballot_submit

    by_code = {ri.item.code: ri for ri in round_.round_items.select_related("item")}
    for panelist, values in answers.items():
        entries = [RatingInput(by_code[code].pk, dim, value) for (code, dim), value in values.items()]
        ballot_save(panelist=panelist, round=round_, entries=entries)
        if submit:
            ballot_submit(panelist=panelist, round=round_)
