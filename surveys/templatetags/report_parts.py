"""``{% report_parts as parts %}``: the context of the report's reasons, movement and checklist
partials (:func:`surveys.reports.parts.report_parts`), so those partials work wherever the report's
``report`` (a ReportData) is in the context. A ``parts`` already in the context (the PDF's, which
bounds the lists instead of folding them) wins; otherwise it is built once per ReportData.

``lineage|retired:report``: whether an item retired after reaching consensus, for the class that
prints its trajectory compact.
"""

from __future__ import annotations

from typing import Any

from django import template

from surveys.reports.parts import cached_parts

register = template.Library()


@register.simple_tag(takes_context=True)
def report_parts(context: template.Context) -> dict[str, Any] | None:
    given = context.get("parts")
    if given is not None:
        return given
    data = context.get("report")
    return None if data is None else cached_parts(data)


@register.filter
def retired(lineage: Any, report: Any) -> bool:
    """Whether ``lineage`` retired after reaching consensus (the PDF draws its trajectory compact)."""
    changes = getattr(report, "item_changes", None)
    if changes is None or not len(changes):
        return False
    decided = changes[changes["change"] == "decided"]
    return bool((decided["lineage_root_code"] == lineage.root_code).any())
