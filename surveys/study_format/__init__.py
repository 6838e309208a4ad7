"""The study file format ``delphi-study/1`` (docs/study-format.md): parse and validate, no database.

``parse_study`` turns YAML text into a ``StudySpec`` or raises ``StudyFileError`` listing every
problem, each naming the item code and the field. ``spec_to_data`` is the inverse used by export.

Each mapping of the file declares its keys once (``keys``: ``*_KEYS``). The parser reads a mapping
only through that declaration (``checker.Checker.fields``), which refuses every other key and
suggests the nearest declared one, so a misspelt ``outside_iqr_reson`` is an error, not a silent
default.

Modules, by idea: ``keys`` (what a file may hold), ``specs`` (what parsing gives), ``checker``
(reading mappings, collecting errors), ``top_level`` (slug, source, settings, rules), ``structure``
(dimensions, sections, items), ``parse`` (the whole file) and ``export`` (back to the file's layout).
"""

from __future__ import annotations

from .checker import nearest_key
from .export import dump_yaml, spec_to_data
from .keys import (
    BACKUP_KEY,
    BACKUP_NOTE,
    DEFAULT_TIME_ZONE,
    DIMENSION_KEYS,
    FILE_KEYS,
    FORMAT,
    ITEM_KEYS,
    KINDS,
    SCALE_KEYS,
    SECTION_KEYS,
    SETTINGS_KEYS,
    SOURCE_KEYS,
    TOP_KEYS,
)
from .parse import parse_study, parse_study_data
from .specs import DimensionSpec, ItemSpec, SectionSpec, StudySpec

__all__ = [
    "BACKUP_KEY",
    "BACKUP_NOTE",
    "DEFAULT_TIME_ZONE",
    "DIMENSION_KEYS",
    "FILE_KEYS",
    "FORMAT",
    "ITEM_KEYS",
    "KINDS",
    "SCALE_KEYS",
    "SECTION_KEYS",
    "SETTINGS_KEYS",
    "SOURCE_KEYS",
    "TOP_KEYS",
    "DimensionSpec",
    "ItemSpec",
    "SectionSpec",
    "StudySpec",
    "dump_yaml",
    "nearest_key",
    "parse_study",
    "parse_study_data",
    "spec_to_data",
]
