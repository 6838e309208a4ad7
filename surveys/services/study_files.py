"""Import and export of study files (docs/study-format.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from surveys.errors import FieldError, StudyFileError
from surveys.models import Dimension, Item, Rating, RoundItem, Section, Study
from surveys.services.audit import audit_record
from surveys.study_format import (
    DimensionSpec,
    ItemSpec,
    SectionSpec,
    StudySpec,
    parse_study,
    parse_study_data,
    spec_to_data,
)


@dataclass
class ImportResult:
    study: Study
    is_created: bool
    items_created: list[str] = field(default_factory=list)
    items_updated: list[str] = field(default_factory=list)
    items_removed: list[str] = field(default_factory=list)
    #: What the file lacks without being refused (a declared translation missing), naming item and field.
    warnings: list[FieldError] = field(default_factory=list)


def _item_signature(item: ItemSpec) -> tuple[str, str, tuple[str, ...]]:
    """What an answer depends on: changing any of it would alter an answered item."""
    return (item.kind, item.text, tuple(sorted(item.dimensions)))


def _dimension_signature(d: DimensionSpec) -> tuple[int, int, tuple[int, int], tuple[int, int], bool]:
    return (d.scale_min, d.scale_max, d.agree, d.disagree, d.consensus)


def _guard_answered(study: Study, old: StudySpec, new: StudySpec, filename: str) -> None:
    """Once round 1 is open, refuse changes that would alter what experts already answered."""
    if not study.is_rule_frozen:
        return
    errors: list[FieldError] = []
    if old.consensus_rule != new.consensus_rule:
        errors.append(FieldError("consensus_rule", "is frozen since round 1 opened and cannot change"))
    if old.default_language != new.default_language:
        errors.append(FieldError("default_language", "cannot change once round 1 opened: answers were given in it"))
    answered_codes = set(
        Rating.objects.filter(ballot__round__study=study).values_list("round_item__item__code", flat=True)
    )
    answered_dims = set(Rating.objects.filter(ballot__round__study=study).values_list("dimension__key", flat=True))
    new_items = {i.code: i for i in new.items}
    for item in old.items:
        if item.code not in answered_codes:
            continue
        if item.code not in new_items:
            errors.append(
                FieldError("code", "has answers and cannot be removed; drop it from the next round instead", item.code)
            )
        elif _item_signature(item) != _item_signature(new_items[item.code]):
            errors.append(FieldError("text", "has answers; add a new item with `replaces` to reword it", item.code))
    new_dims = {d.key: d for d in new.dimensions}
    for dim in old.dimensions:
        if dim.key in answered_dims and (
            dim.key not in new_dims or _dimension_signature(dim) != _dimension_signature(new_dims[dim.key])
        ):
            errors.append(FieldError(f"dimensions.{dim.key}", "has answers; its scale and bands cannot change"))
    if errors:
        raise StudyFileError(filename, errors)


def study_to_spec(study: Study) -> StudySpec:
    dimensions = tuple(
        DimensionSpec(
            key=d.key,
            label=d.label,
            question=d.question,
            scale_min=d.scale_min,
            scale_max=d.scale_max,
            labels={int(k): v for k, v in d.scale_labels.items()},
            agree=(d.agree_low, d.agree_high),
            disagree=(d.disagree_low, d.disagree_high),
            consensus=d.is_consensus_dimension,
            translations=d.translations,
        )
        for d in study.dimensions.order_by("order")
    )
    items = tuple(
        ItemSpec(
            code=i.code,
            kind=i.kind,
            section=i.section.key,
            text=i.text,
            source=i.source_ref,
            dimensions=tuple(d.key for d in sorted(i.dimensions.all(), key=lambda d: d.order)),
            order=i.order,
            replaces=i.replaces.code if i.replaces else None,
            translations=i.translations,
        )
        for i in study.items.select_related("section", "replaces")
        .prefetch_related("dimensions")
        .order_by("order", "code")
    )
    return StudySpec(
        slug=study.slug,
        title=study.title,
        description=study.description,
        citation=study.source_citation,
        references=tuple(study.source_references),
        min_group_size=study.min_group_size,
        outside_iqr_reason=study.outside_iqr_reason,
        expertise_weighting=study.has_expertise_weighting,
        time_zone=study.time_zone,
        bootstrap_resamples=study.bootstrap_resamples,
        consensus_rule=study.consensus_rule,
        stopping_rule=study.stopping_rule,
        dimensions=dimensions,
        sections=tuple(
            SectionSpec(key=s.key, title=s.title, translations=s.translations) for s in study.sections.order_by("order")
        ),
        items=items,
        languages=tuple(study.languages or [study.default_language]),
        default_language=study.default_language,
        translations=study.translations,
    )


def study_export(*, study: Study) -> dict:
    """The study as study-file data; ``study_import`` of it gives the same study back."""
    return spec_to_data(study_to_spec(study))


@transaction.atomic
def study_import(
    *, filename: str, text: str | None = None, data: Mapping[str, Any] | None = None, actor_label: str = "import_study"
) -> ImportResult:
    """Create or update the study with the file's slug. All or nothing.

    Give the file's YAML ``text``, or its ``data`` when the caller has parsed it already (the API
    parses an upload once, to check it, and passes the result on rather than parse it again).
    """
    # Parsed data that is not a mapping (None for a file of only comments) is refused by the parser.
    spec = parse_study(text, filename) if text is not None else parse_study_data(data, filename)
    study = Study.objects.select_for_update().filter(slug=spec.slug).first()
    is_created = study is None
    if study is None:
        study = Study(slug=spec.slug)
    else:
        current = study_to_spec(study)
        if current == spec:  # nothing to change, nothing to record
            return ImportResult(study=study, is_created=False, warnings=list(spec.warnings))
        _guard_answered(study, current, spec, filename)
    study.languages, study.default_language = list(spec.languages), spec.default_language
    study.translations = spec.translations
    study.title = spec.title
    study.description = spec.description
    study.source_citation = spec.citation
    study.source_references = list(spec.references)
    study.min_group_size = spec.min_group_size
    study.outside_iqr_reason = spec.outside_iqr_reason
    study.has_expertise_weighting = spec.expertise_weighting
    study.time_zone = spec.time_zone
    study.bootstrap_resamples = spec.bootstrap_resamples
    study.consensus_rule = spec.consensus_rule
    study.stopping_rule = spec.stopping_rule
    study.save()

    sections = _sync_sections(study, spec.sections)
    dimensions = _sync_dimensions(study, spec.dimensions)
    result = ImportResult(study=study, is_created=is_created, warnings=list(spec.warnings))
    _sync_items(study, spec, sections, dimensions, result, filename)
    audit_record(
        study=study,
        action="study.imported" if is_created else "study.updated",
        actor_label=actor_label,
        filename=filename,
        created=result.items_created,
        updated=result.items_updated,
        removed=result.items_removed,
    )
    return result


def _sync_sections(study: Study, specs: tuple[SectionSpec, ...]) -> dict[str, Section]:
    existing = {s.key: s for s in study.sections.all()}
    for order, spec in enumerate(specs, start=1):
        section = existing.get(spec.key) or Section(study=study, key=spec.key)
        section.title, section.order, section.translations = spec.title, order, spec.translations
        section.save()
        existing[spec.key] = section
    return existing


def _sync_dimensions(study: Study, specs: tuple[DimensionSpec, ...]) -> dict[str, Dimension]:
    existing = {d.key: d for d in study.dimensions.all()}
    for order, spec in enumerate(specs, start=1):
        dim = existing.get(spec.key) or Dimension(study=study, key=spec.key)
        dim.label, dim.question, dim.order = spec.label, spec.question, order
        dim.scale_min, dim.scale_max = spec.scale_min, spec.scale_max
        dim.scale_labels = {str(k): v for k, v in sorted(spec.labels.items())}
        dim.agree_low, dim.agree_high = spec.agree
        dim.disagree_low, dim.disagree_high = spec.disagree
        dim.is_consensus_dimension = spec.consensus
        dim.translations = spec.translations
        dim.save()
        existing[spec.key] = dim
    wanted = {s.key for s in specs}
    study.dimensions.exclude(key__in=wanted).filter(ratings__isnull=True).delete()
    return existing


def _sync_items(
    study: Study,
    spec: StudySpec,
    sections: dict[str, Section],
    dimensions: dict[str, Dimension],
    result: ImportResult,
    filename: str,
) -> None:
    existing = {i.code: i for i in study.items.prefetch_related("dimensions")}
    saved: dict[str, Item] = {}
    for item_spec in spec.items:
        item = existing.get(item_spec.code)
        if item is None:
            item = Item(study=study, code=item_spec.code)
            result.items_created.append(item_spec.code)
        elif (item.kind, item.text, item.section_id, item.source_ref, item.order, item.translations) != (
            item_spec.kind,
            item_spec.text,
            sections[item_spec.section].pk,
            item_spec.source,
            item_spec.order,
            item_spec.translations,
        ) or {d.key for d in item.dimensions.all()} != set(item_spec.dimensions):
            result.items_updated.append(item_spec.code)
        item.kind, item.text, item.source_ref, item.order, item.translations = (
            item_spec.kind,
            item_spec.text,
            item_spec.source,
            item_spec.order,
            item_spec.translations,
        )
        item.section = sections[item_spec.section]
        item.replaces = None
        item.save()
        item.dimensions.set([dimensions[k] for k in item_spec.dimensions])
        saved[item.code] = item
    for item_spec in spec.items:
        if item_spec.replaces:
            item = saved[item_spec.code]
            item.replaces = saved[item_spec.replaces]
            item.save(update_fields=["replaces"])
    stale = [i for code, i in existing.items() if code not in saved]
    for item in stale:
        in_live_round = RoundItem.objects.filter(item=item).exclude(round__status="draft").exists()
        if in_live_round:
            raise StudyFileError(
                filename, [FieldError("code", "is in an opened round and cannot be removed", item.code)]
            )
        RoundItem.objects.filter(item=item).delete()
        item.rewordings.update(replaces=None)
        item.delete()
        result.items_removed.append(item.code)
