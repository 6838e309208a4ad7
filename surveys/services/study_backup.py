"""Backup and restore of a whole study: the study file plus a ``data`` section.

``study_data_export`` adds the panel, rounds and their items, ballots, ratings with every revision,
statistics, suggestions and the audit trail; ``study_data_import`` restores them into a database
that does not hold the study yet. With ``pseudonymise`` the panel's emails and names are replaced by
pseudonyms and the token hashes dropped (nobody can sign in with a pseudonymised copy).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.dateparse import parse_datetime

from surveys.errors import DomainError, FieldError, StudyFileError
from surveys.models import (
    AuditEvent,
    Ballot,
    ItemStatistic,
    Panelist,
    Rating,
    RatingRevision,
    Round,
    RoundItem,
    RoundStatistic,
    Study,
    Suggestion,
)
from surveys.models.panel import hash_token
from surveys.services.study_files import study_export, study_import
from surveys.study_format import BACKUP_KEY, dump_yaml

DATA_VERSION = 1
PANEL_FIELDS = ("email", "name", "group", "language", "years_experience", "expertise", "status", "is_synthetic")
PANEL_OPTIONAL = {"background": ""}  # fields newer than DATA_VERSION 1 backups: their value when absent
ROUND_FIELDS = ("status", "is_live_feedback")
ROUND_TIMES = ("opens_at", "closes_at", "opened_at", "closed_at", "aggregated_at")
STAT_SKIP = {"id", "round_id", "round_item_id", "dimension_id", "group", "computed_at"}


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _parse_time(value: str | None) -> datetime | None:
    return parse_datetime(value) if value else None


def _required_time(value: str | None, where: str) -> datetime:
    """A time the backup must hold (its column cannot be empty), or a refusal naming where it is."""
    moment = _parse_time(value)
    if moment is None:
        raise StudyFileError("the backup", [FieldError(where, f"{value!r} is not an ISO 8601 time")])
    return moment


def _statistic_fields(row: ItemStatistic | RoundStatistic) -> dict[str, Any]:
    skip = STAT_SKIP
    return {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields if f.attname not in skip}


def study_data_export(*, study: Study, pseudonymise: bool = False) -> dict[str, Any]:
    """The study file of ``study`` with a ``data`` section holding everything it has collected."""
    study = Study.objects.get(pk=study.pk)  # what is stored, not an instance changed in memory
    panel = []
    for p in study.panelists.order_by("pk"):
        entry = {"pseudonym": p.pseudonym, **{f: getattr(p, f) for f in (*PANEL_FIELDS, *PANEL_OPTIONAL)}}
        entry |= {"consent_at": _time(p.consent_at), "token_issued_at": _time(p.token_issued_at)}
        if pseudonymise:
            entry |= {"email": f"{p.pk}@pseudonymised.invalid", "name": "", "background": ""}  # own words identify
        else:
            entry["token_hash"] = p.token_hash
        panel.append(entry)
    rounds = [_round_data(r) for r in study.rounds.order_by("number")]
    suggestions = [
        {
            "round": s.round.number if s.round else None,
            "panelist": s.panelist.pseudonym if s.panelist else None,
            "prompt_item": s.prompt_item.code if s.prompt_item else None,
            "target_item": s.target_item.code if s.target_item else None,
            "created_item": s.created_item.code if s.created_item else None,
            "kind": s.kind,
            "text": s.text,
            "status": s.status,
            "created_at": _time(s.created_at),
        }
        for s in study.suggestions.select_related("round", "panelist", "prompt_item", "target_item", "created_item")
    ]
    audit = [
        {
            "action": e.action,
            "actor_label": e.actor_label,
            "round": e.round.number if e.round else None,
            "item": e.item.code if e.item else None,
            "detail": e.detail,
            "created_at": _time(e.created_at),
        }
        for e in study.audit_events.select_related("round", "item").order_by("created_at", "pk")
    ]
    data = {
        "version": DATA_VERSION,
        "is_pseudonymised": pseudonymise,
        "status": study.status,
        "consensus_rule_frozen_at": _time(study.consensus_rule_frozen_at),
        "panel": panel,
        "rounds": rounds,
        "suggestions": suggestions,
        "audit": audit,
    }
    return {**study_export(study=study), BACKUP_KEY: data}


def _round_data(r: Round) -> dict[str, Any]:
    codes = {ri.pk: ri.item.code for ri in r.round_items.select_related("item")}
    revisions: dict[int, list[dict[str, Any]]] = {}
    for rev in RatingRevision.objects.filter(rating__ballot__round=r).order_by("saved_at", "pk"):
        revisions.setdefault(rev.rating_id, []).append(
            {"value": rev.value, "rationale": rev.rationale, "saved_at": _time(rev.saved_at)}
        )
    ballots = []
    for b in r.ballots.select_related("panelist").prefetch_related("ratings__dimension").order_by("panelist__pk"):
        ratings = [
            {
                "item": codes[x.round_item_id],
                "dimension": x.dimension.key,
                "value": x.value,
                "rationale": x.rationale,
                "revisions": revisions.get(x.pk, []),
            }
            for x in sorted(b.ratings.all(), key=lambda x: (x.round_item_id, x.dimension.order))
        ]
        ballots.append(
            {
                "panelist": b.panelist.pseudonym,
                "status": b.status,
                "submitted_at": _time(b.submitted_at),
                "ratings": ratings,
            }
        )
    statistics = [
        {
            "item": codes[s.round_item_id],
            "dimension": s.dimension.key,
            "group": s.group,
            **_statistic_fields(s),
            "computed_at": _time(s.computed_at),
        }
        for s in r.item_statistics.select_related("dimension").order_by(
            "round_item__order", "dimension__order", "group"
        )
    ]
    summary = getattr(r, "statistic", None)
    return {
        "number": r.number,
        **{f: getattr(r, f) for f in ROUND_FIELDS},
        **{f: _time(getattr(r, f)) for f in ROUND_TIMES},
        "items": [ri.item.code for ri in r.round_items.select_related("item").order_by("order")],
        "ballots": ballots,
        "statistics": statistics,
        "summary": {**_statistic_fields(summary), "computed_at": _time(summary.computed_at)} if summary else None,
    }


@transaction.atomic
def study_data_import(*, document: Mapping[str, Any], filename: str) -> Study:
    """Restore a study exported with its data into a database that does not hold it yet.

    ``document`` is the whole backup file as parsed once by ``load_study_yaml``: the study file's
    fields, which ``study_import`` checks as for any import, and the ``data`` section.
    """
    data = document.get(BACKUP_KEY)
    if data is None:
        raise StudyFileError(
            filename, [FieldError(BACKUP_KEY, "is missing: write the file with export_study --with-data")]
        )
    if not isinstance(data, dict) or data.get("version") != DATA_VERSION:
        raise StudyFileError(filename, [FieldError("data.version", f"must be {DATA_VERSION}")])
    definition = {k: v for k, v in document.items() if k != BACKUP_KEY}
    slug = definition.get("slug")
    if Study.objects.filter(slug=slug).exists():
        raise DomainError(f"Study '{slug}' already exists here; restore with data only into a database without it.")
    study = study_import(data=definition, filename=filename, actor_label="restore").study
    study.audit_events.all().delete()  # the restored trail replaces the import's own event
    items = {i.code: i for i in study.items.all()}
    dimensions = {d.key: d for d in study.dimensions.all()}
    panel = {}
    for entry in data.get("panel", []):
        fields = {f: entry[f] for f in PANEL_FIELDS} | {f: entry.get(f, v) for f, v in PANEL_OPTIONAL.items()}
        token_hash = entry.get("token_hash") or hash_token(secrets.token_urlsafe(32))
        panel[entry["pseudonym"]] = Panelist.objects.create(
            study=study,
            pseudonym=entry["pseudonym"],
            token_hash=token_hash,
            token_issued_at=_required_time(entry["token_issued_at"], "data.panel.token_issued_at"),
            consent_at=_parse_time(entry["consent_at"]),
            **fields,
        )
    rounds = {}
    for rd in data.get("rounds", []):
        rounds[rd["number"]] = _restore_round(study, rd, items, dimensions, panel)
    _restore_suggestions(study, data.get("suggestions", []), items, rounds, panel)
    events = AuditEvent.objects.bulk_create(
        AuditEvent(
            study=study,
            round=rounds.get(e["round"]),
            item=items.get(e["item"]) if e["item"] else None,
            actor_label=e["actor_label"],
            action=e["action"],
            detail=e["detail"],
        )
        for e in data.get("audit", [])
    )
    for event, e in zip(events, data.get("audit", []), strict=True):
        event.created_at = _required_time(e["created_at"], "data.audit.created_at")
    AuditEvent.objects.bulk_update(events, ["created_at"])
    Study.objects.filter(pk=study.pk).update(
        status=data["status"], consensus_rule_frozen_at=_parse_time(data["consensus_rule_frozen_at"])
    )
    study.refresh_from_db()
    return study


def _restore_round(study: Study, rd: dict[str, Any], items: dict, dimensions: dict, panel: dict) -> Round:  # type: ignore[type-arg]
    round_ = Round.objects.create(
        study=study,
        number=rd["number"],
        **{f: rd[f] for f in ROUND_FIELDS},
        **{f: _parse_time(rd[f]) for f in ROUND_TIMES},
    )
    round_items = {
        code: RoundItem.objects.create(round=round_, item=items[code], order=n) for n, code in enumerate(rd["items"], 1)
    }
    revisions = []
    for b in rd["ballots"]:
        ballot = Ballot.objects.create(
            round=round_, panelist=panel[b["panelist"]], status=b["status"], submitted_at=_parse_time(b["submitted_at"])
        )
        for x in b["ratings"]:
            dim = dimensions[x["dimension"]]
            rating = Rating.objects.create(
                ballot=ballot,
                round_item=round_items[x["item"]],
                dimension=dim,
                value=x["value"],
                rationale=x["rationale"],
                scale_min=dim.scale_min,
                scale_max=dim.scale_max,
            )
            revisions += [
                (RatingRevision(rating=rating, value=v["value"], rationale=v["rationale"]), v) for v in x["revisions"]
            ]
    created = RatingRevision.objects.bulk_create(r for r, _ in revisions)
    for rev, (_, v) in zip(created, revisions, strict=True):
        rev.saved_at = _required_time(v["saved_at"], "data.rounds.ballots.ratings.revisions.saved_at")
    RatingRevision.objects.bulk_update(created, ["saved_at"], batch_size=500)
    ItemStatistic.objects.bulk_create(
        ItemStatistic(
            round=round_,
            round_item=round_items[s["item"]],
            dimension=dimensions[s["dimension"]],
            group=s["group"],
            **{k: v for k, v in s.items() if k not in {"item", "dimension", "group", "computed_at"}},
            computed_at=_required_time(s["computed_at"], "data.rounds.statistics.computed_at"),
        )
        for s in rd["statistics"]
    )
    if rd["summary"]:
        summary = {k: v for k, v in rd["summary"].items() if k != "computed_at"}
        computed_at = _required_time(rd["summary"]["computed_at"], "data.rounds.summary.computed_at")
        RoundStatistic.objects.create(round=round_, computed_at=computed_at, **summary)
    return round_


def _restore_suggestions(study: Study, rows: list[dict[str, Any]], items: dict, rounds: dict, panel: dict) -> None:  # type: ignore[type-arg]
    created = Suggestion.objects.bulk_create(
        Suggestion(
            study=study,
            round=rounds.get(s["round"]),
            panelist=panel.get(s["panelist"]),
            prompt_item=items.get(s["prompt_item"]),
            target_item=items.get(s["target_item"]),
            created_item=items.get(s["created_item"]),
            kind=s["kind"],
            text=s["text"],
            status=s["status"],
        )
        for s in rows
    )
    for suggestion, s in zip(created, rows, strict=True):
        suggestion.created_at = _required_time(s["created_at"], "data.suggestions.created_at")
    Suggestion.objects.bulk_update(created, ["created_at"])


def study_backup_yaml(*, study: Study, pseudonymise: bool = False) -> str:
    return dump_yaml(study_data_export(study=study, pseudonymise=pseudonymise))
