"""Synthetic experts for the demo: a simple, documented model of how opinion moves in a Delphi.

The behaviour of the panel comes from a data file beside the study (``<slug>.demo.yaml``); nothing
here knows the study. For each item and dimension the file may give, as shares of the scale's range:

- ``center``: where the panel's round-1 opinion sits (0 = scale minimum, 1 = maximum);
- ``shift``: a per-group offset from that center (e.g. one region warier than another);
- ``spread``: the standard deviation of individual opinion, in scale points;
- ``pull``: how far an expert moves toward the feedback target in each later round (0..1);
- ``toward``: the feedback target, ``panel`` (the panel median) or ``group`` (their own group's
  median: groups that anchor on each other keep disagreeing across rounds).

Round 1: rating = round(min + (center + shift[group]) · (max − min) + N(0, spread)), clipped.
Round k > 1: rating = round(previous + pull · (target − previous) + N(0, 0.35)), clipped, where the
target is the previous round's median. A small share answer "can't answer". Everything is drawn
from a seeded generator, so the demo is the same on every machine.

Languages: ``languages`` says, per group, how many experts write in another language (``ru``); each
writes their reasons from that language's list of the side their rating falls on (``rationales``:
side → language → reasons; a plain list is English). The draw picks a position in the English list,
so the figures are the same whatever languages the experts write in.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median
from typing import Any

import yaml
from django.db import transaction
from django.utils import timezone

from surveys.answer_rules import band_side
from surveys.models import Panelist, Rating, Round, Study
from surveys.selectors.ratings import lineage_roots
from surveys.services import queue
from surveys.services.ballots import RatingInput, ballot_save, ballot_submit
from surveys.services.rounds import round_close, round_create, round_next, round_open

JITTER = 0.35
SOURCE_LANGUAGE = "en"  # the language of a plain list of reasons, and of experts the file gives none


@dataclass(frozen=True)
class Behaviour:
    center: float = 0.6
    spread: float = 1.2
    pull: float = 0.5
    toward: str = "panel"
    shift: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class DemoProfile:
    dimensions: dict[str, Behaviour]
    items: dict[str, dict[str, Behaviour]]
    abstain_share: float
    rationale_share: float
    rationales: dict[str, dict[str, list[str]]]  # side → language → reasons
    dropouts: dict[int, int]
    languages: dict[str, dict[str, int]] = field(default_factory=dict)  # language → group → how many

    def behaviour(self, code: str, dimension: str) -> Behaviour:
        return self.items.get(code, {}).get(dimension) or self.dimensions.get(dimension) or Behaviour()

    def language_of(self, group: str, position: int, group_size: int) -> str:
        """The language of a group's expert at ``position`` (0-based by number): a group's last ones
        write in the languages ``languages`` gives it, the rest in English."""
        for language, counts in self.languages.items():
            if position >= group_size - counts.get(group, 0):
                return language
        return SOURCE_LANGUAGE

    def rationale(self, side: str, language: str, rng: random.Random) -> str:
        """A reason for ``side`` in ``language`` (English where none is given). One draw from ``rng``,
        over the English list's positions, whatever the language: the simulation's figures stay put."""
        by_language = self.rationales.get(side) or {}
        english = by_language.get(SOURCE_LANGUAGE) or []
        if not english:
            return ""
        position = rng.randrange(len(english))
        own = by_language.get(language) or english
        return own[position % len(own)]


def _behaviour(raw: dict[str, Any] | None, base: Behaviour | None = None) -> Behaviour:
    base = base or Behaviour()
    raw = raw or {}
    return Behaviour(
        center=float(raw.get("center", base.center)),
        spread=float(raw.get("spread", base.spread)),
        pull=float(raw.get("pull", base.pull)),
        toward=str(raw.get("toward", base.toward)),
        shift={str(k): float(v) for k, v in (raw.get("shift") or base.shift).items()},
    )


def _rationales(raw: dict[str, Any]) -> dict[str, dict[str, list[str]]]:
    """side → language → reasons; a side given as a plain list holds English reasons."""
    return {
        str(side): {str(k): [str(t) for t in v] for k, v in (per if isinstance(per, dict) else {"en": per}).items()}
        for side, per in raw.items()
    }


def load_profile(path: Path) -> DemoProfile:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    dimensions = {k: _behaviour(v) for k, v in (data.get("dimensions") or {}).items()}
    items = {
        code: {dim: _behaviour(raw, dimensions.get(dim)) for dim, raw in (per_dim or {}).items()}
        for code, per_dim in (data.get("items") or {}).items()
    }
    return DemoProfile(
        dimensions=dimensions,
        items=items,
        abstain_share=float(data.get("abstain_share", 0.03)),
        rationale_share=float(data.get("rationale_share", 0.3)),
        rationales=_rationales(data.get("rationales") or {}),
        dropouts={int(k): int(v) for k, v in (data.get("dropouts") or {}).items()},
        languages={
            str(lang): {str(g): int(n) for g, n in (per or {}).items()}
            for lang, per in (data.get("languages") or {}).items()
        },
    )


def _clip(value: float, low: int, high: int) -> int:
    return int(min(high, max(low, round(value))))


def _stance(value: int, dim: Any) -> str:
    return band_side(value, (dim.agree_low, dim.agree_high), (dim.disagree_low, dim.disagree_high))


class _Panel:
    """Remembers each synthetic expert's last rating per item lineage and dimension."""

    def __init__(self, study: Study, profile: DemoProfile, seed: int) -> None:
        self.study, self.profile, self.rng = study, profile, random.Random(seed)
        self.last: dict[tuple[int, int, str], int] = {}
        self.roots = lineage_roots(study)

    def targets(self, round_: Round) -> dict[tuple[int, str, str], float]:
        """Medians of the previous round, for the panel ("" group) and per group."""
        values: dict[tuple[int, str, str], list[int]] = {}
        for panelist_id, item_id, dim, value, group in Rating.objects.filter(
            ballot__round=round_, value__isnull=False
        ).values_list(
            "ballot__panelist_id", "round_item__item_id", "dimension__key", "value", "ballot__panelist__group"
        ):
            if value is None:  # excluded by the filter; this tells the type checker
                continue
            root = self.roots[item_id]
            self.last[(panelist_id, root, dim)] = value
            values.setdefault((root, dim, ""), []).append(value)
            values.setdefault((root, dim, group), []).append(value)
        return {key: float(median(v)) for key, v in values.items()}

    def answer(
        self, panelist: Panelist, round_: Round, targets: dict[tuple[int, str, str], float]
    ) -> list[RatingInput]:
        entries = []
        for round_item in round_.round_items.select_related("item").prefetch_related("item__dimensions"):
            item = round_item.item
            root = self.roots.get(item.pk, item.pk)
            for position, dim in enumerate(sorted(item.dimensions.all(), key=lambda d: d.order)):
                b = self.profile.behaviour(item.code, dim.key)
                span = dim.scale_max - dim.scale_min
                previous = self.last.get((panelist.pk, root, dim.key))
                if previous is None:
                    raw = dim.scale_min + (b.center + b.shift.get(panelist.group, 0.0)) * span
                    value = _clip(raw + self.rng.gauss(0, b.spread), dim.scale_min, dim.scale_max)
                else:
                    target = targets.get((root, dim.key, panelist.group if b.toward == "group" else ""), previous)
                    value = _clip(
                        previous + b.pull * (target - previous) + self.rng.gauss(0, JITTER),
                        dim.scale_min,
                        dim.scale_max,
                    )
                abstains = self.rng.random() < self.profile.abstain_share
                rationale = ""
                if position == 0 and not abstains and self.rng.random() < self.profile.rationale_share:
                    rationale = self.profile.rationale(_stance(value, dim), panelist.language, self.rng)
                entries.append(RatingInput(round_item.pk, dim.key, None if abstains else value, rationale))
        return entries


@transaction.atomic
def demo_simulate(*, study: Study, profile: DemoProfile, rounds: int = 3, seed: int = 2021) -> Round:
    """Run ``rounds`` rounds with the study's synthetic experts, aggregating each through Celery.

    Leaves the last simulated round aggregated, and the next round open unless the stopping rule
    is met. Only synthetic panelists answer; the aggregation task runs in-process (``apply``) so the
    simulation sees its own uncommitted writes whatever the broker.
    """
    panel = list(study.panelists.filter(is_synthetic=True).order_by("pk"))
    now = timezone.now()
    Panelist.objects.filter(pk__in=[p.pk for p in panel], consent_at__isnull=True).update(consent_at=now)
    for p in panel:
        p.consent_at = p.consent_at or now
    sim = _Panel(study, profile, seed)
    targets: dict[tuple[int, str, str], float] = {}
    round_ = None
    for number in range(1, rounds + 1):
        round_ = round_create(study=study) if number == 1 else round_next(study=study, actor_label="demo")
        round_open(round=round_, actor_label="demo")
        answering = panel[: len(panel) - profile.dropouts.get(number, 0)]
        for panelist in answering:
            ballot_save(panelist=panelist, round=round_, entries=sim.answer(panelist, round_, targets))
            # Each reason is in its writer's language (as an expert's save records it).
            Rating.objects.filter(ballot__panelist=panelist, ballot__round=round_, language="").exclude(
                rationale=""
            ).update(language=panelist.language or SOURCE_LANGUAGE)
            ballot_submit(panelist=panelist, round=round_, notify=False)
        round_close(round=round_, actor_label="demo", aggregate=False)
        queue.run_here(queue.AGGREGATE_ROUND, round_.pk)
        round_.refresh_from_db()
        targets = sim.targets(round_)
    assert round_ is not None
    if not round_.statistic.is_stop_met:
        round_ = round_next(study=study, actor_label="demo")
        round_open(round=round_, actor_label="demo")
    return round_
