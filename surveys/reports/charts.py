"""Report charts drawn with matplotlib's Agg backend, as PNG bytes (inlined as data URIs).

A trajectory chart has three panels per item lineage × dimension, one point per reported round:
the median with its IQR band (the dimension's agree and disagree bands shaded), the share agreeing
as bars against the consensus rule's threshold line, and the distribution of ratings as a heat
strip (share of valid ratings per scale point). Quantiles are the stored ones (R type 7).

Building matplotlib axes costs about twice as much as drawing them, so :class:`TrajectoryCharts`
keeps one figure per dimension and only updates its artists between items; that keeps the
benchmark's 100-item PDF within its budget. No pyplot (no global state, safe in threads), no
network fonts: matplotlib's bundled DejaVu Sans.
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
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from surveys.stats import is_shown

from .data import DimensionInfo, ReportData

DPI = 130
SIZE = (7.4, 1.75)
COLORS = {"in": "#2f7d4f", "out": "#b23b3b", "none": "#8a8f98", "": "#c9ccd1"}
LINE = "#1f4e79"
BAND = "#9ec3e6"
HEAT = matplotlib.colormaps["Blues"].with_extremes(bad="#eceef2")  # grey: not asked that round


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _png(figure: Figure) -> bytes:
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI)
    return out.getvalue()


def _encode(canvas: FigureCanvasAgg) -> bytes:
    """The canvas's pixels as PNG, without drawing the figure again (Pillow ships with matplotlib)."""
    from PIL import Image

    width, height = canvas.get_width_height(physical=True)
    image = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    out = io.BytesIO()
    image.convert("RGB").save(out, format="PNG", compress_level=3)
    return out.getvalue()


@dataclass
class _Panels:
    figure: Figure
    canvas: FigureCanvasAgg
    line: Any
    whiskers: Any
    bars: Any
    threshold: Any
    heat: Any
    band: Any = None
    background: Any = None


class TrajectoryCharts:
    """Trajectory charts for one report: x positions are the report's rounds.

    Per dimension, the axes, ticks, titles and bands are drawn once and kept as a background;
    each item then only restores it and draws its own line, band, bars and heat strip on top
    (matplotlib's blitting, https://matplotlib.org/stable/users/explain/animations/blitting.html).
    """

    def __init__(self, rounds: Sequence[int], threshold: float | None, *, min_group_size: int) -> None:
        self.rounds = list(rounds)
        self.min_group_size = min_group_size
        self.x = np.arange(1, len(self.rounds) + 1, dtype=float)
        self.threshold = threshold
        self._panels: dict[str, _Panels] = {}

    def _setup(self, dimension: DimensionInfo, *, blit: bool) -> _Panels:
        figure = Figure(figsize=SIZE, dpi=DPI)
        canvas = FigureCanvasAgg(figure)
        figure.subplots_adjust(left=0.055, right=0.985, bottom=0.2, top=0.84, wspace=0.28)
        median_ax, agree_ax, heat_ax = figure.subplots(1, 3, gridspec_kw={"width_ratios": [1.25, 1, 1]})
        labels = [f"R{n}" for n in self.rounds]
        low, high = dimension.scale_min, dimension.scale_max
        for ax, title in ((median_ax, "Median and IQR"), (agree_ax, "% agree"), (heat_ax, "Distribution")):
            ax.set_title(title, fontsize=8, loc="left")
            ax.tick_params(labelsize=7, length=2)
            ax.set_xticks(self.x, labels)
            ax.set_xlim(0.5, len(self.rounds) + 0.5)
        median_ax.axhspan(dimension.agree[0] - 0.5, dimension.agree[1] + 0.5, color="#2f7d4f", alpha=0.08, lw=0)
        median_ax.axhspan(dimension.disagree[0] - 0.5, dimension.disagree[1] + 0.5, color="#b23b3b", alpha=0.08, lw=0)
        median_ax.set_ylim(low - 0.5, high + 0.5)
        step = 1 if high - low <= 6 else 2
        median_ax.set_yticks(range(low, high + 1, step))
        (line,) = median_ax.plot(self.x, np.full(len(self.x), np.nan), color=LINE, marker="o", ms=3.5, lw=1.5)
        whiskers = median_ax.vlines(self.x, low, low, color=LINE, lw=3, alpha=0.35)
        agree_ax.set_ylim(0, 1)
        agree_ax.set_yticks([0, 0.5, 1], ["0%", "50%", "100%"])
        bars = agree_ax.bar(self.x, np.zeros(len(self.x)), width=0.6, color=COLORS[""])
        threshold = None
        if self.threshold is not None and dimension.decides:
            threshold = agree_ax.axhline(self.threshold, color="#333333", lw=1, ls="--")
        heat = heat_ax.imshow(
            np.full((high - low + 1, len(self.x)), np.nan),
            aspect="auto", origin="lower", cmap=HEAT, vmin=0, vmax=1, interpolation="nearest",
            extent=(0.5, len(self.rounds) + 0.5, low - 0.5, high + 0.5),
        )  # fmt: skip
        heat_ax.set_yticks(range(low, high + 1, step))
        panels = _Panels(figure, canvas, line, whiskers, bars, threshold, heat)
        if blit:
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
        extra = [panels.threshold] if panels.threshold is not None else []
        return [panels.line, panels.whiskers, *panels.bars, *extra, panels.heat]

    def png(self, dimension: DimensionInfo, rows: pd.DataFrame, *, groups: pd.DataFrame | None = None) -> bytes:
        """The trajectory chart of ``rows`` (one lineage × dimension, whole panel; columns round,
        median, q1, q3, pct_agree, verdict, distribution). ``groups`` adds group median lines
        (drawn on a figure of its own, in full); a group's point is drawn only for a round where it
        gave at least ``min_group_size`` valid ratings (:func:`surveys.stats.is_shown`)."""
        panels = self._panels.get(dimension.key) if groups is None else None
        if panels is None:
            panels = self._setup(dimension, blit=groups is None)
            if groups is None:
                self._panels[dimension.key] = panels
        self._update(panels, dimension, rows)
        if groups is not None:
            self._group_lines(panels.line.axes, groups)
            return _png(panels.figure)
        panels.canvas.restore_region(panels.background)
        for artist in [panels.band, *self._moving(panels)]:
            artist.axes.draw_artist(artist)
        for ax in panels.figure.axes:
            for spine in ax.spines.values():
                ax.draw_artist(spine)
        return _encode(panels.canvas)

    def _update(self, panels: _Panels, dimension: DimensionInfo, rows: pd.DataFrame) -> None:
        by_round = rows.set_index("round")
        pick = [n in by_round.index for n in self.rounds]
        series = {c: np.array([by_round.at[n, c] if ok else np.nan for n, ok in zip(self.rounds, pick, strict=True)],
                              dtype=float) for c in ("median", "q1", "q3", "pct_agree")}  # fmt: skip
        median_ax = panels.line.axes
        panels.line.set_ydata(series["median"])
        if panels.band is not None:
            panels.band.remove()
        panels.band = median_ax.fill_between(self.x, series["q1"], series["q3"], color=BAND, alpha=0.45, lw=0)
        low = dimension.scale_min
        panels.whiskers.set_segments(
            [[(x, q1), (x, q3)] if ok else [(x, low), (x, low)]
             for x, q1, q3, ok in zip(self.x, series["q1"], series["q3"], pick, strict=True)]
        )  # fmt: skip
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

    def _group_lines(self, ax: Any, groups: pd.DataFrame) -> None:
        """Each shown group's median as a dotted line, with a legend under the panels."""
        palette = ["#e07b39", "#6a4c93", "#1b998b", "#c9184a", "#8d6346", "#5c677d"]
        groups = groups[is_shown(groups["n"].to_numpy(), min_group_size=self.min_group_size)]
        for index, (group, chosen) in enumerate(groups.groupby("group", sort=True)):
            by_round = chosen.set_index("round")["median"]
            values = [float(by_round.get(n, np.nan)) for n in self.rounds]
            ax.plot(self.x, values, lw=1, ls=":", marker=".", ms=3, color=palette[index % len(palette)], label=group)
        if len(groups):
            figure = ax.figure
            figure.set_size_inches(SIZE[0], SIZE[1] + 0.35)
            figure.subplots_adjust(bottom=0.3, top=0.86)
            ncol = min(len(groups["group"].unique()), 6)
            figure.legend(fontsize=6.5, loc="lower center", ncol=ncol, frameon=False, handlelength=1.6)


def convergence_png(data: ReportData) -> bytes | None:
    """Mean IQR, share of items decided, and Kendall's W per round, one line per dimension."""
    frame = data.convergence
    if not len(frame):
        return None
    figure = Figure(figsize=(SIZE[0], 1.9), dpi=DPI)
    figure.subplots_adjust(left=0.06, right=0.985, bottom=0.2, top=0.8, wspace=0.3)
    axes = figure.subplots(1, 3)
    decided = (frame["n_in"] + frame["n_out"]) / frame["n_items"].where(frame["n_items"] > 0)
    for key, chosen in frame.groupby("dimension", sort=False):
        dimension = data.dimension(str(key))
        label = dimension.label
        axes[0].plot(chosen["round"], chosen["mean_iqr"], marker="o", ms=3, label=label)
        if dimension.decides:
            axes[1].plot(chosen["round"], decided[chosen.index], marker="o", ms=3, label=label)
        axes[2].plot(chosen["round"], chosen["kendall_w"], marker="o", ms=3, label=label)
    for ax, title in zip(axes, ("Mean IQR", "Share decided (in or out)", "Kendall's W"), strict=True):
        ax.set_title(title, fontsize=8, loc="left")
        ax.tick_params(labelsize=7, length=2)
        ax.set_xticks(data.round_numbers, [f"R{n}" for n in data.round_numbers])
    axes[1].set_ylim(0, 1)
    axes[2].set_ylim(0, 1)
    axes[0].legend(fontsize=6, frameon=False)
    return _png(figure)
