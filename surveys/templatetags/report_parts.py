"""``{% report_parts as parts %}``: the context of the report's reasons, movement and checklist
partials (:func:`surveys.reports.parts.report_parts`), so those partials work wherever the report's
``report`` (a ReportData) is in the context. A ``parts`` already in the context (the PDF's, which
bounds the lists instead of folding them) wins; otherwise it is built once per ReportData.
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
