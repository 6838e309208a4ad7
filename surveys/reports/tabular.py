"""The CSV reports: the statistics, and the raw ratings, each as one tidy long table.

**Statistics** (format ``csv``): one row per item × dimension × round × group × statistic.

Columns: ``study`` (slug), ``round``, ``item_code`` (the code asked in that round),
``lineage_root_code`` (the first wording: a reworded item keeps its trajectory), ``dimension``,
``group`` (empty for the whole panel), ``statistic`` and ``value``. Statistics are those of
:data:`surveys.reports.sections.STAT_COLUMNS`, the stability fields and the beyond-consensus
figures (:data:`~surveys.reports.sections.BEYOND_COLUMNS`: ``median_ci_lo``/``_hi``,
``pct_agree_ci_lo``/``_hi``, ``verdict_confidence``, ``direction``, ``has_consensus``,
``agreement_a``, ``bimodality``, and on whole-panel rows ``kruskal_p``, ``epsilon_sq``, ``trend``,
``n_toward``, ``n_away``, ``n_stayed``, ``herding_index``), then ``count_<point>`` for the
distribution. A statistic that is missing (e.g. stability in round 1) has no row. ``value`` is
a number, except for ``verdict``, ``median_band``, ``direction`` and ``trend``, which are labels; booleans are 1 or 0.
A group that gave fewer than the study's ``min_group_size`` valid ratings on an item and dimension
has no figures there, only one row with statistic ``suppressed`` and value
``suppressed (fewer than k ratings)``.

**Raw ratings** (format ``ratings``, :func:`render_ratings_csv`): one row per round × item ×
dimension × panelist who submitted the round, for R, Stata and SPSS. Columns :data:`RATING_COLUMNS`:
``round``, ``item_code``, ``lineage_root_code``, ``dimension``, ``pseudonym`` (stable across rounds,
never a name or email), ``group`` (groups with fewer than ``min_group_size`` members pooled as
"Smaller groups (pooled)"), ``value`` (empty for "can't answer") and ``abstained`` (1 for "can't
answer", else 0). No rationale: a reason next to a pseudonym would link one expert's words across
items (they are in the XLSX's Rationales sheet, anonymously).

Tidy data: Wickham H. Tidy Data. J Stat Softw 2014;59(10). Both are documented in docs/report-formats.md.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pandas as pd
from django.utils import translation

from .data import ReportData
from .safety import spreadsheet_cell
from .sections import BEYOND_COLUMNS, KEY_COLUMNS, STABILITY_COLUMNS, STAT_COLUMNS

CSV_COLUMNS = ["study", "round", "item_code", "lineage_root_code", "dimension", "group", "statistic", "value"]
CSV_STATISTICS = [*STAT_COLUMNS, *STABILITY_COLUMNS, *BEYOND_COLUMNS]
RATING_COLUMNS = ["round", "item_code", "lineage_root_code", "dimension", "pseudonym", "group", "value", "abstained"]
SUPPRESSED = "suppressed"


def csv_rows(data: ReportData) -> Iterator[list[Any]]:
    """The rows of the CSV report, header excluded, values not yet escaped."""
    slug = data.study.slug
    columns = ["round", "item_code", "lineage_root_code", "dimension", "group", *CSV_STATISTICS, "distribution"]
    for record in data.shown_statistics[columns].itertuples(index=False, name=None):
        key = [slug, int(record[0]), *record[1:5]]
        for statistic, value in zip(CSV_STATISTICS, record[5:-1], strict=True):
            value = _plain(value)
            if value is not None:
                yield [*key, statistic, value]
        for point, count in sorted(record[-1].items()):
            yield [*key, f"count_{point}", int(count)]
    with translation.override("en"):  # the CSV is data: the same bytes whatever the report's language
        note = data.suppressed_note
    for number, *rest in data.suppressed[KEY_COLUMNS].itertuples(index=False, name=None):
        yield [slug, int(number), *rest, SUPPRESSED, note]


def _plain(value: Any) -> Any:
    """None for missing values and empty labels; 1/0 for booleans; Python numbers."""
    value = spreadsheet_cell(value) if not isinstance(value, str) else value
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return int(value)
    return value


def render_csv(data: ReportData) -> bytes:
    """The CSV report as UTF-8 bytes; every text cell goes through :func:`spreadsheet_cell`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in csv_rows(data):
        writer.writerow([spreadsheet_cell(cell) for cell in row])
    return out.getvalue().encode("utf-8")


def render_ratings_csv(data: ReportData) -> bytes:
    """The raw ratings CSV (module docstring) as UTF-8 bytes; built with ``with_ratings``."""
    if data.ratings is None:
        raise ValueError("the ratings CSV needs the raw ratings: build the report with with_ratings=True")
    frame = data.ratings
    values = frame["value"].astype("float64")
    out = pd.DataFrame(
        {
            "round": frame["round"].astype(int),
            **{c: frame[c].map(spreadsheet_cell) for c in RATING_COLUMNS[1:6]},
            "value": values.astype("Int64"),
            "abstained": values.isna().astype(int),
        }
    )[RATING_COLUMNS]
    return out.to_csv(index=False, lineterminator="\n").encode("utf-8")
