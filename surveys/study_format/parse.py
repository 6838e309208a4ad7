"""Parse and validate a whole study file: every problem at once, or a ``StudySpec``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from surveys.errors import FieldError, StudyFileError
from surveys.study_yaml import load_study_yaml
from surveys.text_input import unstorable_paths

from .checker import Checker, Fields
from .keys import BACKUP_KEY, BACKUP_NOTE, TOP_KEYS
from .languages import put, read_languages
from .specs import StudySpec, Translations
from .structure import read_structure
from .top_level import read_rules, read_settings, read_slug


def parse_study(text: str, filename: str) -> StudySpec:
    """Parse and validate a study file; raise ``StudyFileError`` naming every problem."""
    return parse_study_data(load_study_yaml(text, filename), filename)


def _top_level(check: Checker, document: Mapping[str, Any]) -> Fields:
    """The document's top level read through its declared keys, after the checks on the whole: text
    the database cannot hold anywhere in it (e.g. a "\\0" escape), and a backup's data section."""
    for path, problem in unstorable_paths(document):
        check.fail(path, problem)
    if BACKUP_KEY in document:
        check.fail(BACKUP_KEY, BACKUP_NOTE)
    top = {k: v for k, v in document.items() if k != BACKUP_KEY}
    return check.fields(top, TOP_KEYS, "", whose="a study file (top level)")


def parse_study_data(document: Any, filename: str) -> StudySpec:
    """Validate a study file already parsed (by ``load_study_yaml``, or JSON from the API)."""
    if not isinstance(document, Mapping):
        raise StudyFileError(filename, [FieldError("(top level)", "must be a mapping of study fields")])
    check = Checker()
    data = _top_level(check, document)
    slug = read_slug(check, data)
    languages, default_language = read_languages(check, data)  # before any translatable field
    title, title_given = check.translatable(data, "title", "")
    description, description_given = check.translatable(data, "description", "", required=False)
    translations: Translations = {}
    put(translations, "title", title_given)
    put(translations, "description", description_given)
    settings = read_settings(check, data)
    consensus_rule, stopping_rule = read_rules(check, data)
    dimensions, sections, items = read_structure(check, data)
    if check.errors:
        raise StudyFileError(filename, check.errors)
    return StudySpec(
        slug=slug,
        title=title,
        description=description,
        citation=settings.citation,
        references=settings.references,
        min_group_size=settings.min_group_size,
        outside_iqr_reason=settings.outside_iqr_reason,
        expertise_weighting=settings.expertise_weighting,
        time_zone=settings.time_zone,
        bootstrap_resamples=settings.bootstrap_resamples,
        consensus_rule=consensus_rule,
        stopping_rule=stopping_rule,
        dimensions=tuple(dimensions),
        sections=tuple(sections),
        items=tuple(items),
        languages=languages,
        default_language=default_language,
        translations=translations,
        warnings=tuple(check.warnings),
    )
