"""Controlled feedback on the expert's page: a small server-rendered SVG of the panel's distribution,
with the median, the interquartile range drawn as a band on the scale, and the expert's own previous
rating. The SVG has a ``<title>`` and the page adds a visually hidden table, so it reads without sight.
"""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from surveys.reports.numbers import fmt_num, fmt_pct
from surveys.selectors.feedback import Feedback

register = template.Library()

WIDTH, HEIGHT = 320, 128
PAD_X, TOP, AXIS = 10, 10, 84  # the bars stand on y = AXIS
VERDICTS = {
    "in": "consensus to agree (in)",
    "out": "consensus to disagree (out)",
    "none": "no consensus yet",
}


@register.filter
def num(value: float | None) -> str:
    """7.0 → "7", 3.75 → "3.75", None → "–": the reports' one rounding rule (surveys.reports.numbers)."""
    return fmt_num(value)


@register.filter
def percent(share: float | None) -> str:
    return fmt_pct(share)


@register.filter
def verdict_text(verdict: str) -> str:
    return VERDICTS.get(verdict, "")


def summary(feedback: Feedback) -> str:
    """One sentence that says what the chart shows."""
    s = feedback.statistic
    d = s.dimension
    when = "so far in this round" if feedback.is_live else f"in round {feedback.round_number}"
    text = f"{d.label}, {s.n} rating{'s' if s.n != 1 else ''} {when}: median {num(s.median)}"
    if s.q1 is not None and s.q3 is not None:
        text += f", middle half from {num(s.q1)} to {num(s.q3)}"
    text += f", on a scale of {d.scale_min} to {d.scale_max}."
    if feedback.has_own_previous:
        own = "can't answer" if feedback.own_previous is None else str(feedback.own_previous)
        text += f" Your previous rating: {own}."
    return text


@register.simple_tag
def feedback_chart(feedback: Feedback, chart_id: str) -> SafeString:
    """The distribution as bars over the scale, the IQR band behind them, and the median as a line."""
    s = feedback.statistic
    d = s.dimension
    points = feedback.distribution
    slot = (WIDTH - 2 * PAD_X) / len(points)
    tallest = max((count for _, count in points), default=0) or 1

    def x(value: float) -> float:
        return round(PAD_X + (value - d.scale_min + 0.5) * slot, 1)

    parts = [
        format_html(
            '<svg class="chart" role="img" aria-labelledby="{}" viewBox="0 0 {} {}" focusable="false">'
            '<title id="{}">{}</title>',
            chart_id,
            WIDTH,
            HEIGHT,
            chart_id,
            summary(feedback),
        )
    ]
    if s.q1 is not None and s.q3 is not None:
        left = round(x(s.q1) - slot * 0.4, 1)
        parts.append(
            format_html(
                '<rect class="band" x="{}" y="{}" width="{}" height="{}"/>',
                left,
                TOP - 4,
                round(max(x(s.q3) + slot * 0.4 - left, 2), 1),
                AXIS - TOP + 4,
            )
        )
    counts = []  # drawn last, over the median line
    for point, count in points:
        height = round((AXIS - TOP - 14) * count / tallest, 1)  # room for the count above
        parts.append(
            format_html(
                '<rect class="bar" x="{}" y="{}" width="{}" height="{}"/>'
                '<text class="tick" x="{}" y="{}" text-anchor="middle">{}</text>',
                round(x(point) - slot * 0.3, 1),
                round(AXIS - height, 1),
                round(slot * 0.6, 1),
                height,
                x(point),
                AXIS + 14,
                point,
            )
        )
        if count:
            counts.append(
                format_html(
                    '<text class="count" x="{}" y="{}" text-anchor="middle">{}</text>',
                    x(point),
                    round(AXIS - height - 3, 1),
                    count,
                )
            )
    parts.append(format_html('<line class="axis" x1="{}" x2="{}" y1="{}" y2="{}"/>', PAD_X, WIDTH - PAD_X, AXIS, AXIS))
    if s.median is not None:
        parts.append(
            format_html(
                '<line class="median" x1="{}" x2="{}" y1="{}" y2="{}"/>',
                x(s.median),
                x(s.median),
                TOP - 4,
                AXIS,
            )
        )
    parts += counts
    if feedback.has_own_previous and feedback.own_previous is not None:
        at = x(feedback.own_previous)
        parts.append(
            format_html(
                '<path class="own" d="M{} {} l-6 10 h12 z"/><text class="own-label" x="{}" y="{}" '
                'text-anchor="middle">you</text>',
                at,
                AXIS + 17,
                at,
                HEIGHT - 3,
            )
        )
    parts.append(SafeString("</svg>"))
    return mark_safe("".join(parts))  # noqa: S308 - every part above is escaped by format_html
