"""One rounding rule for every number a reader sees: the expert's feedback page and every report.

:func:`fmt_num` prints at most two decimals, rounding half away from zero on the decimal value
(``Decimal(str(x))``, so 2.675 prints 2.68, not binary floating point's 2.67), and drops trailing
zeros: 7 → "7", 6.5 → "6.5", 3.75 → "3.75", 1/3 → "0.33". Two decimals because a type-7 quartile
of whole-number ratings is a multiple of 0.25, so medians and quartiles print exactly; an IQR of
"3–3.75" reads the same on the expert's page as in the report. Shares print as whole percentages
with the same rounding (0.125 → "13%").

The decimal separator is the active language's (Django's ``DECIMAL_SEPARATOR``: "6,5" in Russian),
so every text a reader sees follows the report's language; the machine formats (CSV, JSON, the XLSX
cells' values) never pass through these functions.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

MISSING = "–"


def is_missing(value: Any) -> bool:
    """None, NaN, pandas NA or NaT, or anything that is not a number."""
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return True
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return True


def _separator() -> str:
    """The active language's decimal separator ("." when Django is not configured)."""
    try:
        from django.utils.formats import get_format

        return str(get_format("DECIMAL_SEPARATOR"))
    except Exception:  # settings not configured (a plain script): the machine form
        return "."


def _local(text: str) -> str:
    separator = _separator()
    return text if separator == "." else text.replace(".", separator)


def _round(value: float, digits: int) -> Decimal:
    return Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def fmt_num(value: Any, digits: int = 2) -> str:
    """``value`` with at most ``digits`` decimals, trailing zeros dropped; an en dash when missing."""
    if is_missing(value):
        return MISSING
    text = f"{_round(value, digits):f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else _local(text)


def fmt_pct(share: Any) -> str:
    """A share in [0, 1] as a whole percentage: 0.5 → "50%"."""
    if is_missing(share):
        return MISSING
    return f"{_round(float(share) * 100, 0):f}%"


def fmt_p(p: Any) -> str:
    """A p-value: three decimals, "<0.001" below that."""
    if is_missing(p):
        return MISSING
    return _local("<0.001" if float(p) < 0.001 else f"{_round(p, 3):f}")


def fmt_time(moment: Any) -> str:
    """A moment in UTC to the minute, "2026-05-01 14:30 UTC" in English, the active language's
    ``DATETIME_FORMAT`` otherwise ("1 мая 2026 г. 14:30 UTC"); an en dash when missing."""
    if moment is None:
        return MISSING
    if getattr(moment, "tzinfo", None) is not None:
        from datetime import UTC

        moment = moment.astimezone(UTC)
    from django.utils import translation

    if (translation.get_language() or "en").split("-")[0] == "en":
        return moment.strftime("%Y-%m-%d %H:%M UTC")
    from django.utils.formats import date_format

    return f"{date_format(moment, 'DATETIME_FORMAT')} UTC"
