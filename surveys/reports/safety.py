"""Spreadsheet safety: no cell of a CSV or XLSX report can run as a formula.

A spreadsheet treats a cell that begins with ``=``, ``+``, ``-`` or ``@`` (and, in some programs,
a tab or a carriage return) as a formula, so a panelist's rationale such as
``=HYPERLINK("http://evil.example", "click")`` would become a live link ("CSV injection", OWASP:
https://owasp.org/www-community/attacks/CSV_Injection). OWASP's remedy is to prefix such a cell
with a single quote, which makes it plain text. Only text is escaped: numbers are written as
numbers, so a negative number stays a number.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: Any) -> Any:
    """``value`` made safe and plain for a CSV or XLSX cell.

    Text that starts with a formula trigger gets a leading ``'``; NaN, NA and None become None;
    numpy scalars become Python numbers; datetimes become ISO 8601 text (spreadsheets cannot hold
    a time zone). Everything else is returned unchanged.
    """
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()  # numpy scalar -> Python
    if isinstance(value, float) and math.isnan(value):
        return None
    if _is_missing(value):
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def _is_missing(value: Any) -> bool:
    """pandas' NA and NaT without importing pandas at module level."""
    return type(value).__name__ in ("NAType", "NaTType")
