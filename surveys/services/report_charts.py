"""The report page's charts, drawn once per state of the report and kept as files.

A report's *state* names what its charts and its page show: a hash of :func:`report_changed_at`
(the latest aggregation, audit event, new panelist or study edit), of the latest consent, and of
:data:`CHARTS_VERSION` (bumped when the drawing changes). The page links every chart under its
state, so a chart file never changes behind its URL; re-aggregating a round gives a new state, new
URLs, and the old files are deleted. The page's rendered body is cached under the same state.

The first request for a chart of a new state draws all of the report's charts of its layout in one pass
(:func:`surveys.reports.chart_set.draw_charts`), under a lock so that the page's parallel image
requests wait for that one drawing instead of each starting their own. Each layout (wide, narrow)
and each report language (the charts' titles, axes and legends are translated) is drawn when it is
first asked for. Files live in the default storage under ``report-charts/<study id>/<state>/``, named
``<name>.<layout>.<language>.png``; ``<layout>.<language>.manifest.json`` is written last and marks a
complete set.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import Max

from surveys.models import Panelist, Study
from surveys.reports.chart_set import LAYOUTS, draw_charts
from surveys.reports.language import in_language, report_language
from surveys.selectors.reports import report_changed_at, report_data

logger = logging.getLogger(__name__)

CHARTS_VERSION = "6"
ROOT = "report-charts"
MANIFEST = "manifest.json"

_locks: dict[tuple[int, str, str], threading.Lock] = {}
_locks_guard = threading.Lock()


def report_state(study: Study) -> str:
    """The name of the report's current state (16 hex digits): :func:`report_changed_at`, and the
    latest consent, which the panel's composition counts and no audit event records."""
    consented = Panelist.objects.filter(study=study).aggregate(at=Max("consent_at"))["at"]
    raw = f"{study.pk}|{report_changed_at(study).isoformat()}|{consented}|{CHARTS_VERSION}"
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def _folder(study: Study, state: str) -> str:
    return f"{ROOT}/{study.pk}/{state}"


def chart_path(study: Study, state: str, name: str, layout: str, language: str = "en") -> str:
    return f"{_folder(study, state)}/{name}.{layout}.{language}.png"


def _lock(study: Study, state: str, language: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault((study.pk, state, language), threading.Lock())


def report_charts_draw(*, study: Study, state: str, layout: str, language: str | None = None) -> int:
    """Draw and store every chart of ``study`` in ``layout`` and ``language`` (the active language when
    None) for ``state`` unless that set is complete; the number of files written (0 when another
    request already drew them)."""
    language = report_language(language)
    manifest = f"{_folder(study, state)}/{layout}.{language}.{MANIFEST}"
    with _lock(study, state, language):
        if default_storage.exists(manifest):
            return 0
        with in_language(language):
            drawn = draw_charts(report_data(study), layouts=(layout,))
        for (name, _), png in drawn.items():
            path = chart_path(study, state, name, layout, language)
            if not default_storage.exists(path):  # another process may have written it meanwhile
                default_storage.save(path, ContentFile(png))
        names = sorted(name for name, _ in drawn)
        listed = {"state": state, "language": language, "charts": names}
        default_storage.save(manifest, ContentFile(json.dumps(listed).encode()))
    _forget_other_states(study, state)
    return len(drawn)


def report_chart_png(*, study: Study, state: str, name: str, layout: str, language: str | None = None) -> bytes | None:
    """The stored chart ``name`` in ``layout`` and ``language`` of ``state``, drawing that layout's set
    first if it is missing (a phone's first request draws the narrow set only); None for a chart the
    report does not have."""
    if layout not in LAYOUTS:
        return None
    language = report_language(language)
    path = chart_path(study, state, name, layout, language)
    if not default_storage.exists(path):
        report_charts_draw(study=study, state=state, layout=layout, language=language)
        if not default_storage.exists(path):
            return None
    with default_storage.open(path, "rb") as handle:
        return handle.read()


def _forget_other_states(study: Study, state: str) -> None:
    """Delete the chart files of the study's earlier states (their URLs redirect to the current one)."""
    folder = f"{ROOT}/{study.pk}"
    try:
        states, _ = default_storage.listdir(folder)
    except (FileNotFoundError, NotImplementedError):  # no charts yet, or a storage that cannot list folders
        return
    for old in states:
        if old == state:
            continue
        with _locks_guard:
            for key in [key for key in _locks if key[:2] == (study.pk, old)]:
                _locks.pop(key, None)
        _, files = default_storage.listdir(f"{folder}/{old}")
        for name in files:
            default_storage.delete(f"{folder}/{old}/{name}")
        logger.info("deleted %d chart files of report state %s of study %s", len(files), old, study.pk)
