"""The questionnaire's field names, shared by the page, the autosave, the API and the services.

``r<round item id>-<dimension key>`` is a rating ("na" means can't answer, empty means not answered
yet), ``rationale-<round item id>`` the item's rationale and ``open-<round item id>`` the answer to an
open question. Errors are keyed by these names, so a refused answer is shown next to its field.
"""

from __future__ import annotations

import re

CANT_ANSWER = "na"
RATING = re.compile(r"^r(\d{1,18})-([-a-zA-Z0-9_]{1,40})$")
RATIONALE = re.compile(r"^rationale-(\d{1,18})$")
OPEN = re.compile(r"^open-(\d{1,18})$")


def field_name(round_item_id: int, dimension_key: str) -> str:
    return f"r{round_item_id}-{dimension_key}"


def rationale_field_name(round_item_id: int) -> str:
    return f"rationale-{round_item_id}"


def open_field_name(round_item_id: int) -> str:
    return f"open-{round_item_id}"
