"""What a study file may hold: its format name, each mapping's declared keys, and the allowed values.

The parser reads a mapping only through its declaration here (``Checker.fields``), so these lists are
the one statement of what the format understands (docs/study-format.md; the API's serializer for the
file is pinned to ``FILE_KEYS`` by a test).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

FORMAT = "delphi-study/1"
TOP_KEYS = (
    "format",
    "slug",
    "languages",
    "default_language",
    "title",
    "description",
    "source",
    "settings",
    "consensus_rule",
    "stopping_rule",
    "dimensions",
    "sections",
    "items",
)
SOURCE_KEYS = ("citation", "references")
SETTINGS_KEYS = ("min_group_size", "outside_iqr_reason", "expertise_weighting", "time_zone", "bootstrap_resamples")
BOOTSTRAP_RESAMPLES = (100, 100_000, 2000)  # the least, the most and the default B
DIMENSION_KEYS = ("key", "label", "question", "scale", "agree", "disagree", "consensus")
SCALE_KEYS = ("min", "max", "labels")
SECTION_KEYS = ("key", "title")
ITEM_KEYS = ("code", "kind", "section", "text", "source", "dimensions", "order", "replaces")
#: Every mapping of the file and its keys (the consensus and stopping rules declare theirs in surveys/stats).
FILE_KEYS: Mapping[str, tuple[str, ...]] = {
    "(top level)": TOP_KEYS,
    "source": SOURCE_KEYS,
    "settings": SETTINGS_KEYS,
    "dimension": DIMENSION_KEYS,
    "scale": SCALE_KEYS,
    "section": SECTION_KEYS,
    "item": ITEM_KEYS,
}
BACKUP_KEY = "data"  # the section export_study --with-data adds; only a restore reads it
BACKUP_NOTE = (
    "is the data section of a backup: restore it with `import_study --with-data` into a database "
    "without this study, or delete the section to import only the study's definition"
)
DEFAULT_TIME_ZONE = "UTC"
KINDS = ("question", "claim", "risk", "recommendation", "forecast", "open")
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
KEY_RE = re.compile(r"^[a-z][a-z0-9_-]*$")
CODE_RE = re.compile(r"^[A-Za-z]+[0-9]+(?:r[0-9]+)?[a-z]?$")
IQR_REASON = ("required", "optional", "off")
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")  # en, ru, pt-BR
DEFAULT_LANGUAGE = "en"
