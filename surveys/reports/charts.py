"""Trajectory charts drawn with matplotlib's Agg backend, as PNG bytes, in two layouts.

A trajectory has a panel per view of one item lineage × dimension, one point per reported round:
the median with its IQR band (the dimension's agree and disagree bands shaded; the median's
interval as whiskers when the statistics carry ``median_ci_lo``/``median_ci_hi``), the share
agreeing as bars against the consensus rule's threshold, and the distribution of ratings as a
heat strip (share of valid ratings per scale point). A dimension that does not decide consensus
(e.g. confidence) has no agree band in that sense, so it gets no "% agree" panel. Quantiles are
the stored ones (R type 7).

``wide`` puts the panels side by side (960 × 250 CSS px), ``narrow`` stacks them (360 px wide) so
that their text stays legible on a phone. Pixels are ``scale`` times the CSS size (2: sharp on
high-density screens). Building matplotlib axes costs about twice as much as drawing them, so
:class:`TrajectoryCharts` keeps one figure per dimension and layout and only updates its artists
between items (matplotlib's blitting,
https://matplotlib.org/stable/users/explain/animations/blitting.html). No pyplot (no global state,
safe in threads), no network fonts: matplotlib's bundled DejaVu Sans.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")  # before anything could import pyplot; this module itself never does

import numpy as np
import pandas as pd
from django.utils.translation import gettext, pgettext
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .data import DimensionInfo
from .numbers import fmt_pct

BASE_DPI = 100  # CSS px per inch: a figure of 9.6 in is 960 CSS px wide
FONT = {"title": 10.5, "tick": 9}  # points; at BASE_DPI 10.5 pt is 14.6 CSS px
COLORS = {"in": "#2f7d4f", "out": "#b23b3b", "none": "#8a8f98", "": "#c9ccd1"}
LINE = "#1f4e79"
BAND = "#9ec3e6"
HEAT = matplotlib.colormaps["Blues"].with_extremes(bad="#eceef2")  # grey: not asked that round
WIDE_WIDTH, NARROW_WIDTH = 9.6, 3.6  # inches at BASE_DPI
PANEL_HEIGHT = {"wide": 2.5, "narrow": 1.95}
PALETTE_COLOURS = 96


def trajectory_size(layout: str, decides: bool) -> tuple[int, int]:
    """The chart's CSS size in px: what the page writes as the image's width and height."""
    if layout == "wide":
        return int(WIDE_WIDTH * BASE_DPI), int(PANEL_HEIGHT["wide"] * BASE_DPI)
    panels = 3 if decides else 2
    return int(NARROW_WIDTH * BASE_DPI), int((PANEL_HEIGHT["narrow"] * panels + 0.15) * BASE_DPI)


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def figure_png(figure: Figure) -> bytes:
    """The whole figure drawn at its own dpi, as PNG."""
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    return _encode(canvas)


#: JPEG quality of the PDF's charts: 88 without chroma subsampling keeps their text sharp.
JPEG_QUALITY = 88


def _encode(canvas: FigureCanvasAgg, image_format: str = "png") -> bytes:
    """The canvas's pixels as PNG (or as JPEG for the PDF, see :func:`.pdf.jpeg_charts`), without
    drawing the figure again (Pillow ships with matplotlib)."""
    from PIL import Image

    width, height = canvas.get_width_height(physical=True)
    image = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    if image_format == "jpeg":  # straight from the pixels: no PNG to encode and decode again
        out = io.BytesIO()
        image.convert("RGB").save(out, format="JPEG", quality=JPEG_QUALITY, subsampling=0)
        return out.getvalue()
    # A palette of 96 colours keeps the antialiased text and the heat strip's shades, and halves the
    # file (about 22 KB for a wide chart at scale 2) at no cost in time.
    palette = image.convert("RGB").quantize(colors=PALETTE_COLOURS, method=Image.Quantize.FASTOCTREE)
    out = io.BytesIO()
    palette.save(out, format="PNG", compress_level=3)
    return out.getvalue()


def round_tick(number: int) -> str:
    """A round's short name under a chart's axis: "R2" (Russian "Т2")."""
    return pgettext("round, abbreviated on a chart axis", "R%(number)s") % {"number": number}


def style_axes(ax: Any, title: str) -> None:
    ax.set_title(title, fontsize=FONT["title"], loc="left")
    ax.tick_params(labelsize=FONT["tick"], length=2)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


@dataclass
class _Panels:
    figure: Figure
    canvas: FigureCanvasAgg
    line: Any
    whiskers: Any
    heat: Any
    bars: Any = None
    band: Any = None
    interval: Any = None
    background: Any = None


class TrajectoryCharts:
    """Trajectory charts for one report: x positions are the report's rounds."""

    def __init__(
        self, rounds: Sequence[int], threshold: float | None, *, scale: float = 2, image_format: str = "png"
    ) -> None:
        self.rounds = list(rounds)
        self.image_format = image_format
        self.x = np.arange(1, len(self.rounds) + 1, dtype=float)
        self.threshold = threshold
        self.scale = scale
        self._panels: dict[tuple[str, str], _Panels] = {}

    def _figure(self, layout: str, decides: bool) -> tuple[Figure, list[Any]]:
        width, height = trajectory_size(layout, decides)
        figure = Figure(figsize=(width / BASE_DPI, height / BASE_DPI), dpi=BASE_DPI * self.scale)
        panels = 3 if decides else 2
        if layout == "wide":
            ratios = [1.25, 1, 1][:panels]
            figure.subplots_adjust(left=0.045, right=0.99, bottom=0.14, top=0.86, wspace=0.22)
            axes = figure.subplots(1, panels, gridspec_kw={"width_ratios": ratios})
        else:
            figure.subplots_adjust(left=0.16, right=0.97, bottom=0.06, top=0.95, hspace=0.55)
            axes = figure.subplots(panels, 1)
        return figure, list(axes)

    def _setup(self, dimension: DimensionInfo, layout: str) -> _Panels:
        figure, axes = self._figure(layout, dimension.decides)
        canvas = FigureCanvasAgg(figure)
        median_ax, heat_ax = axes[0], axes[-1]
        labels = [round_tick(n) for n in self.rounds]
        low, high = dimension.scale_min, dimension.scale_max
        titles = [gettext("Median and IQR"), gettext("% agree"), gettext("Distribution (darker: more)")]
        for ax, title in zip(axes, titles if dimension.decides else titles[::2], strict=True):
            style_axes(ax, title)
            ax.set_xticks(self.x, labels)
            ax.set_xlim(0.5, len(self.rounds) + 0.5)
        if dimension.decides:
            median_ax.axhspan(dimension.agree[0] - 0.5, dimension.agree[1] + 0.5, color="#2f7d4f", alpha=0.09, lw=0)
            median_ax.axhspan(
                dimension.disagree[0] - 0.5, dimension.disagree[1] + 0.5, color="#b23b3b", alpha=0.09, lw=0
            )
        median_ax.set_ylim(low - 0.5, high + 0.5)
        step = 1 if high - low <= 6 else 2
        median_ax.set_yticks(range(low, high + 1, step))
        (line,) = median_ax.plot(self.x, np.full(len(self.x), np.nan), color=LINE, marker="o", ms=5, lw=2, zorder=3)
        whiskers = median_ax.vlines(self.x, low, low, color=LINE, lw=4, alpha=0.3)
        heat = heat_ax.imshow(
            np.full((high - low + 1, len(self.x)), np.nan),
            aspect="auto",
            origin="lower",
            cmap=HEAT,
            vmin=0,
            vmax=1,
            interpolation="nearest",
            extent=(0.5, len(self.rounds) + 0.5, low - 0.5, high + 0.5),
        )
        heat_ax.set_yticks(range(low, high + 1, step))
        panels = _Panels(figure, canvas, line, whiskers, heat)
        if dimension.decides:
            agree_ax = axes[1]
            agree_ax.set_ylim(0, 1)
            agree_ax.set_yticks([0, 0.5, 1], ["0%", "50%", "100%"])
            panels.bars = agree_ax.bar(self.x, np.zeros(len(self.x)), width=0.6, color=COLORS[""])
            if self.threshold is not None:
                agree_ax.axhline(self.threshold, color="#333333", lw=1, ls="--", zorder=3)
                agree_ax.text(
                    0.55,
                    min(self.threshold + 0.03, 0.97),
                    gettext("rule %(share)s") % {"share": fmt_pct(self.threshold)},
                    fontsize=FONT["tick"],
                    color="#333333",
                    va="bottom",
                )
        panels.interval = median_ax.vlines(self.x, low, low, color="#10263d", lw=1.2, zorder=4)  # median's CI
        moving = self._moving(panels)
        for artist in moving:
            artist.set_visible(False)
        canvas.draw()
        panels.background = canvas.copy_from_bbox(figure.bbox)
        for artist in moving:
            artist.set_visible(True)
        return panels

    @staticmethod
    def _moving(panels: _Panels) -> list[Any]:
        bars = list(panels.bars) if panels.bars is not None else []
        return [panels.line, panels.whiskers, *bars, panels.heat, panels.interval]

    def png(self, dimension: DimensionInfo, rows: pd.DataFrame, layout: str = "wide") -> bytes:
        """The trajectory chart of ``rows`` (one lineage × dimension, whole panel; columns round,
        median, q1, q3, pct_agree, verdict, distribution, optionally median_ci_lo/hi)."""
        panels = self._panels.get((dimension.key, layout))
        if panels is None:
            panels = self._panels[(dimension.key, layout)] = self._setup(dimension, layout)
        self._update(panels, dimension, rows)
        panels.canvas.restore_region(panels.background)
        for artist in [panels.band, *self._moving(panels)]:
            artist.axes.draw_artist(artist)
        for ax in panels.figure.axes:
            for spine in ax.spines.values():
                ax.draw_artist(spine)
        return _encode(panels.canvas, self.image_format)

    def _series(self, rows: pd.DataFrame) -> tuple[pd.DataFrame, list[bool], dict[str, np.ndarray]]:
        by_round = rows.set_index("round")
        pick = [n in by_round.index for n in self.rounds]
        columns = [c for c in ("median", "q1", "q3", "pct_agree", "median_ci_lo", "median_ci_hi") if c in by_round]
        series = {
            c: np.array(
                [by_round.at[n, c] if ok else np.nan for n, ok in zip(self.rounds, pick, strict=True)], dtype=float
            )
            for c in columns
        }
        return by_round, pick, series

    def _update(self, panels: _Panels, dimension: DimensionInfo, rows: pd.DataFrame) -> None:
        by_round, pick, series = self._series(rows)
        median_ax = panels.line.axes
        panels.line.set_ydata(series["median"])
        if panels.band is not None:
            panels.band.remove()
        panels.band = median_ax.fill_between(self.x, series["q1"], series["q3"], color=BAND, alpha=0.45, lw=0)
        low = dimension.scale_min
        panels.whiskers.set_segments(
            [
                [(x, q1), (x, q3)] if ok else [(x, low), (x, low)]
                for x, q1, q3, ok in zip(self.x, series["q1"], series["q3"], pick, strict=True)
            ]
        )
        lo, hi = series.get("median_ci_lo"), series.get("median_ci_hi")
        segments = []
        for index, x in enumerate(self.x):
            ok = lo is not None and hi is not None and not (np.isnan(lo[index]) or np.isnan(hi[index]))
            segments.append([(x, lo[index]), (x, hi[index])] if ok else [(x, low), (x, low)])  # type: ignore[index]
        panels.interval.set_segments(segments)
        if panels.bars is not None:
            for bar, n, ok, share in zip(panels.bars, self.rounds, pick, series["pct_agree"], strict=True):
                bar.set_height(0 if not ok or np.isnan(share) else share)
                bar.set_color(COLORS.get(str(by_round.at[n, "verdict"]), COLORS[""]) if ok else COLORS[""])
        shares = np.full((len(dimension.points), len(self.rounds)), np.nan)
        for column, (n, ok) in enumerate(zip(self.rounds, pick, strict=True)):
            if ok:
                counts = np.array([by_round.at[n, "distribution"].get(p, 0) for p in dimension.points], dtype=float)
                if counts.sum():
                    shares[:, column] = counts / counts.sum()
        panels.heat.set_data(np.ma.masked_invalid(shares))
