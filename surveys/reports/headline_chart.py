"""The headline picture: how the panel's median and each group's moved round by round, as inline SVG.

Written by hand, not with matplotlib, so that every group stays distinguishable and testable:

- each group has its own colour (Okabe & Ito's colour-blind-safe palette), marker shape and dash
  pattern; the whole panel is the thick dark line over its interquartile band;
- markers are dodged sideways, and lines that share a value at a round are drawn a few pixels apart
  (the table beside the picture gives the exact figures), so no line hides under another;
- each line is labelled directly at its end (name and last median); labels are pushed apart so
  that none overlaps another, with a leader line back to the line's end;
- the text is real text (``<g class="series-label">``), so it reads without sight and a browser
  test can measure it. Only presentation attributes, no ``style``: the site's CSP allows none.

Two layouts are drawn, wide (beside the table) and narrow (phones, long names wrapped); the page
shows one of them by media query.
"""

from __future__ import annotations

# `# fmt: skip` below keeps each SVG element's attributes on the lines they are written on, so one element
# reads as one statement; the formatter would split every attribute run differently.
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.translation import gettext, pgettext

from .numbers import fmt_num

PALETTE = ("#E69F00", "#0072B2", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#8C6D1F", "#5C677D")
MARKERS = ("circle", "square", "triangle", "diamond", "down", "cross")
DASHES = ("", "7 3", "2 3", "9 3 2 3", "4 2", "1 2")
PANEL_COLOUR = "#1d2330"
BAND_COLOUR = "#9ec3e6"
TIE_GAP = 3.0  # px between lines that share a value at a round


@dataclass(frozen=True)
class Layout:
    name: str
    width: int
    height: int
    font: int
    label_width: int


WIDE = Layout("wide", 640, 440, 13, 228)
NARROW = Layout("narrow", 340, 470, 12, 134)
LAYOUTS = (WIDE, NARROW)


@dataclass(frozen=True)
class Series:
    """One line: the whole panel (``key == ""``) or a group; ``medians`` per reported round, None
    where the group is not shown (too few ratings) or the item was not asked."""

    key: str
    label: str
    medians: tuple[float | None, ...]
    colour: str = PANEL_COLOUR
    marker: str = "circle"
    dash: str = ""


def group_style(index: int) -> tuple[str, str, str]:
    """Colour, marker and dash of the ``index``-th group (fixed by the groups' sorted order)."""
    return PALETTE[index % len(PALETTE)], MARKERS[index % len(MARKERS)], DASHES[index % len(DASHES)]


def marker(shape: str, x: float, y: float, size: float, colour: str, *, outline: str = "#ffffff") -> str:
    """A marker as an SVG element centred on (x, y)."""
    r = size / 2
    common = f'fill="{colour}" stroke="{outline}" stroke-width="1.2"'
    if shape == "square":
        side = r * 1.7
        return f'<rect x="{x - side / 2:.1f}" y="{y - side / 2:.1f}" width="{side:.1f}" height="{side:.1f}" {common}/>'
    if shape in ("triangle", "down"):
        sign = 1 if shape == "triangle" else -1
        points = [(x, y - sign * r * 1.1), (x - r, y + sign * r * 0.75), (x + r, y + sign * r * 0.75)]
        return f'<polygon points="{_points(points)}" {common}/>'
    if shape == "diamond":
        corners = [(x, y - r * 1.2), (x + r, y), (x, y + r * 1.2), (x - r, y)]
        return f'<polygon points="{_points(corners)}" {common}/>'
    if shape == "cross":
        a = r * 0.9
        path = f"M{x - a:.1f},{y - a:.1f}L{x + a:.1f},{y + a:.1f}M{x - a:.1f},{y + a:.1f}L{x + a:.1f},{y - a:.1f}"
        return f'<path d="{path}" stroke="{colour}" stroke-width="2.6" fill="none"/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" {common}/>'


def _points(points: Sequence[tuple[float, float]]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)


def _wrap(text: str, chars: int) -> list[str]:
    """``text`` in lines of about ``chars`` characters, broken at spaces."""
    lines: list[str] = []
    for word in text.split(" "):
        if lines and len(lines[-1]) + 1 + len(word) <= chars:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def spread_labels(wanted: Sequence[float], heights: Sequence[float], low: float, high: float) -> list[float]:
    """Top edges for labels wanted at ``wanted`` (their vertical centres), ``heights`` tall, kept
    inside ``[low, high]`` and never overlapping: sorted, pushed down, then up from the bottom."""
    order = sorted(range(len(wanted)), key=lambda i: wanted[i])
    tops = [0.0] * len(wanted)
    cursor = low
    for i in order:
        tops[i] = max(wanted[i] - heights[i] / 2, cursor)
        cursor = tops[i] + heights[i]
    cursor = high
    for i in reversed(order):
        tops[i] = min(tops[i], cursor - heights[i])
        cursor = tops[i]
    return tops


@dataclass(frozen=True)
class Frame:
    layout: Layout
    rounds: tuple[int, ...]
    scale: tuple[int, int]
    left: float = 38
    top: float = 14

    @property
    def right(self) -> float:
        return self.layout.width - self.layout.label_width - 8

    @property
    def bottom(self) -> float:
        return self.layout.height - 44

    def x(self, index: int) -> float:
        pad = 26
        if len(self.rounds) == 1:
            return (self.left + self.right) / 2
        return self.left + pad + index * (self.right - self.left - 2 * pad) / (len(self.rounds) - 1)

    def y(self, value: float) -> float:
        low, high = self.scale[0] - 0.5, self.scale[1] + 0.5
        return self.bottom - (value - low) / (high - low) * (self.bottom - self.top)


def headline_svg(
    series: Sequence[Series], band: Sequence[tuple[float, float] | None], frame: Frame, *,
    agree: tuple[int, int], disagree: tuple[int, int], title: str, description: str, element_id: str,
) -> str:  # fmt: skip
    """The picture in ``frame.layout`` (escaped, ready to mark safe)."""
    lay = frame.layout
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="headline-chart {lay.name}" id="{element_id}" '
        f'viewBox="0 0 {lay.width} {lay.height}" width="{lay.width}" height="{lay.height}" role="img" '
        f'aria-labelledby="{element_id}-title {element_id}-desc" font-family="system-ui, sans-serif" '
        f'font-size="{lay.font}">',
        f'<title id="{element_id}-title">{escape(title)}</title>',
        f'<desc id="{element_id}-desc">{escape(description)}</desc>',
        *_axes(frame, agree, disagree),
        *_band(frame, band),
    ]
    offsets = _tie_offsets(series)
    dodge = min(7.0, (frame.x(1) - frame.x(0)) / (len(series) + 3)) if len(frame.rounds) > 1 else 7.0
    ends = []
    for index, line in enumerate(series):
        dx = 0.0 if not line.key else (index - len(series) / 2) * dodge
        points = [
            (frame.x(i) + dx, frame.y(m) + offsets[(index, i)]) if m is not None else None
            for i, m in enumerate(line.medians)
        ]
        parts.append(_line(line, points))
        last = max((i for i, p in enumerate(points) if p is not None), default=None)
        end = points[last] if last is not None else None
        if last is not None and end is not None:
            ends.append((line, end, last))
    parts.extend(_labels(frame, ends))
    parts.append("</svg>")
    return "".join(parts)


def _axes(frame: Frame, agree: tuple[int, int], disagree: tuple[int, int]) -> list[str]:
    low, high = frame.scale
    small = frame.layout.font - 2
    out = []
    words = {"agree": escape(pgettext("band", "agree")), "disagree": escape(pgettext("band", "disagree"))}
    for (a, b), fill, word in ((agree, "#e3f3e9", "agree"), (disagree, "#fbe5e5", "disagree")):
        y0, y1 = frame.y(b + 0.5), frame.y(a - 0.5)
        out.append(f'<rect x="{frame.left}" y="{y0:.1f}" width="{frame.right - frame.left:.1f}" height="{y1 - y0:.1f}" '
                   f'fill="{fill}"/>')  # fmt: skip
        y = y0 + small + 2 if word == "agree" else y1 - 4  # the band's outer edge, where lines rarely run
        out.append(f'<text x="{frame.left + 4}" y="{y:.1f}" font-size="{small}" fill="#3d4452">{words[word]}</text>')
    step = 1 if high - low <= 6 else 2
    for value in range(low, high + 1):
        y = frame.y(value)
        out.append(f'<line x1="{frame.left}" x2="{frame.right:.1f}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d7dbe3" '
                   f'stroke-width="{1 if (value - low) % step == 0 else 0.5}"/>')  # fmt: skip
        if (value - low) % step == 0:
            out.append(f'<text x="{frame.left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#3d4452">{value}</text>')
    for index, number in enumerate(frame.rounds):
        label = escape(gettext("Round %(number)s") % {"number": number})
        out.append(f'<text x="{frame.x(index):.1f}" y="{frame.bottom + 18:.1f}" text-anchor="middle" '
                   f'fill="#3d4452">{label}</text>')  # fmt: skip
    axis = escape(
        gettext("Median rating on %(low)s–%(high)s; shaded band: the panel’s IQR") % {"low": low, "high": high}
    )
    out.append(f'<text x="{frame.left}" y="{frame.bottom + 36:.1f}" font-size="{small}" fill="#5a6375">'
               f"{axis}</text>")  # fmt: skip
    return out


def _band(frame: Frame, band: Sequence[tuple[float, float] | None]) -> list[str]:
    """The whole panel's IQR as a band, one polygon per run of rounds with figures."""
    out, run = [], []
    for index, quartiles in enumerate([*band, None]):
        if quartiles is not None:
            run.append((frame.x(index), *quartiles))
            continue
        if run:
            if len(run) == 1:
                x, q1, q3 = run[0]
                run = [(x - 6, q1, q3), (x + 6, q1, q3)]
            upper = [(x, frame.y(q3)) for x, _, q3 in run]
            lower = [(x, frame.y(q1)) for x, q1, _ in reversed(run)]
            out.append(f'<polygon class="iqr-band" points="{_points(upper + lower)}" fill="{BAND_COLOUR}" '
                       f'fill-opacity="0.5"/>')  # fmt: skip
        run = []
    return out


def _tie_offsets(series: Sequence[Series]) -> dict[tuple[int, int], float]:
    """Vertical offsets (px) that draw lines sharing a value at a round side by side."""
    offsets = {}
    rounds = max((len(s.medians) for s in series), default=0)
    for i in range(rounds):
        values: dict[float, list[int]] = {}
        for index, line in enumerate(series):
            if i < len(line.medians) and line.medians[i] is not None:
                values.setdefault(float(line.medians[i]), []).append(index)  # type: ignore[arg-type]
        for members in values.values():
            for rank, index in enumerate(members):
                offsets[(index, i)] = (rank - (len(members) - 1) / 2) * TIE_GAP
    return offsets


def _line(line: Series, points: Sequence[tuple[float, float] | None]) -> str:
    width = 3.2 if not line.key else 2
    dash = f' stroke-dasharray="{line.dash}"' if line.dash else ""
    out = [f'<g class="series" data-series="{escape(line.label)}">']
    run: list[tuple[float, float]] = []
    for point in [*points, None]:
        if point is not None:
            run.append(point)
            continue
        if len(run) > 1:
            out.append(f'<polyline points="{_points(run)}" fill="none" stroke="{line.colour}" stroke-width="{width}" '
                       f'stroke-linejoin="round"{dash}/>')  # fmt: skip
        run = []
    size = 10 if not line.key else 9
    out.extend(marker(line.marker, x, y, size, line.colour) for x, y in (p for p in points if p is not None))
    out.append("</g>")
    return "".join(out)


def _labels(frame: Frame, ends: Sequence[tuple[Series, tuple[float, float], int]]) -> list[str]:
    """Each line's name and last median at the right, pushed apart, with a leader to the line's end."""
    lay = frame.layout
    line_height = lay.font * 1.25
    chars = max(8, int((lay.label_width - 24) / (lay.font * 0.55)))
    texts = []
    for line, _, last in ends:
        value = fmt_num(line.medians[last])
        suffix = (
            ""
            if last == len(frame.rounds) - 1
            else " " + gettext("(round %(number)s)") % {"number": frame.rounds[last]}
        )
        texts.append(_wrap(f"{line.label} {value}{suffix}", chars))
    heights = [len(t) * line_height + 3 for t in texts]
    tops = spread_labels([p[1] for _, p, _ in ends], heights, frame.top - 6, frame.bottom + 10)
    x0 = frame.right + 14
    out = []
    for (line, (x, y), _), lines, top, height in zip(ends, texts, tops, heights, strict=True):
        middle = top + height / 2
        weight = ' font-weight="700"' if not line.key else ""
        out.append(f'<g class="series-label" data-series="{escape(line.label)}">')
        out.append(f'<polyline points="{_points([(x + 6, y), (frame.right + 4, y), (x0 - 2, middle)])}" '
                   f'fill="none" stroke="{line.colour}" stroke-width="1" stroke-opacity="0.8"/>')  # fmt: skip
        out.append(marker(line.marker, x0 + 5, top + line_height / 2 + 1, 9, line.colour))
        tspans = " ".join(  # the space between lines keeps "North America" two words for screen readers
            f'<tspan x="{x0 + 14}" y="{top + (n + 1) * line_height - 3:.1f}">{escape(text)}</tspan>'
            for n, text in enumerate(lines)
        )
        out.append(f'<text class="label-text" fill="#1d2330"{weight}>{tspans}</text></g>')
    return out
