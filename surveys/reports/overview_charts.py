"""Charts over many items: convergence per round, and the desirability × feasibility quadrant.

Both come in the two layouts of :mod:`.charts` (``wide`` side by side, ``narrow`` stacked) and are
PNG bytes at ``scale`` times their CSS size.

- Convergence: mean IQR, share of items decided (in or out) and Kendall's W per round, one line per
  dimension. A dimension's colour is fixed by its place among the study's dimensions, so it keeps
  it when another is skipped (the share decided has no line for a dimension without verdicts).
- Quadrant: each recommendation rated on both :data:`QUADRANT` dimensions, at its desirability and
  feasibility medians, one panel per round; the corner where both lie in their agree bands is
  shaded. Items at the same point share one label.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from django.utils.translation import gettext
from matplotlib.figure import Figure

from .charts import BASE_DPI, FONT, NARROW_WIDTH, WIDE_WIDTH, figure_png, round_tick, style_axes
from .data import ReportData

DIMENSION_COLOURS = ("#1f77b4", "#d95f02", "#1b9e77", "#7570b3", "#e7298a", "#66a61e")
QUADRANT = ("desirability", "feasibility")
CONVERGENCE_HEIGHT = {"wide": 2.7, "narrow": 6.9}
QUADRANT_PANEL = {"wide": 3.3, "narrow": 3.2}


def dimension_colour(data: ReportData, key: str) -> str:
    keys = [d.key for d in data.dimensions]
    return DIMENSION_COLOURS[keys.index(key) % len(DIMENSION_COLOURS)]


def convergence_size(layout: str) -> tuple[int, int]:
    width = WIDE_WIDTH if layout == "wide" else NARROW_WIDTH
    return int(width * BASE_DPI), int(CONVERGENCE_HEIGHT[layout] * BASE_DPI)


def convergence_png(data: ReportData, layout: str = "wide", *, scale: float = 2) -> bytes | None:
    """Mean IQR, share of items decided, and Kendall's W per round, one line per dimension."""
    if not len(data.convergence):
        return None
    return figure_png(convergence_figure(data, layout, scale=scale))


def convergence_figure(data: ReportData, layout: str = "wide", *, scale: float = 2) -> Figure:
    """The figure of :func:`convergence_png` (three axes: mean IQR, share decided, Kendall's W)."""
    frame = data.convergence
    width, height = convergence_size(layout)
    figure = Figure(figsize=(width / BASE_DPI, height / BASE_DPI), dpi=BASE_DPI * scale)
    if layout == "wide":
        figure.subplots_adjust(left=0.05, right=0.99, bottom=0.13, top=0.74, wspace=0.25)
        axes = figure.subplots(1, 3)
    else:
        figure.subplots_adjust(left=0.16, right=0.97, bottom=0.04, top=0.88, hspace=0.5)
        axes = figure.subplots(3, 1)
    decided = (frame["n_in"] + frame["n_out"]) / frame["n_items"].where(frame["n_items"] > 0)
    for key, chosen in frame.groupby("dimension", sort=False):
        dimension = data.dimension(str(key))
        style = {"marker": "o", "ms": 4, "lw": 1.8, "color": dimension_colour(data, dimension.key)}
        axes[0].plot(chosen["round"], chosen["mean_iqr"], label=dimension.label, **style)
        if dimension.decides:
            axes[1].plot(chosen["round"], decided[chosen.index], **style)
        axes[2].plot(chosen["round"], chosen["kendall_w"], **style)
    titles = (gettext("Mean IQR"), gettext("Share decided (in or out)"), gettext("Kendall’s W"))
    for ax, title in zip(axes, titles, strict=True):
        style_axes(ax, title)
        ax.set_xticks(data.round_numbers, [round_tick(n) for n in data.round_numbers])
    for ax in axes[1:]:
        ax.set_ylim(0, 1)
    axes[1].set_yticks([0, 0.5, 1], ["0%", "50%", "100%"])
    columns = len(frame["dimension"].unique())
    figure.legend(
        loc="upper left",
        ncol=columns if layout == "wide" else min(columns, 2),
        frameon=False,
        fontsize=FONT["tick"],
        bbox_to_anchor=(0.04, 1.0),
    )
    return figure


@dataclass(frozen=True)
class QuadrantData:
    x_key: str
    y_key: str
    rows: pd.DataFrame  # round, code, x, y (whole-panel medians)

    @property
    def rounds(self) -> list[int]:
        return sorted(int(n) for n in self.rows["round"].unique())


def quadrant_data(data: ReportData) -> QuadrantData | None:
    """The medians of every lineage rated on both quadrant dimensions, per round; None if none is."""
    keys = {d.key for d in data.dimensions}
    if not set(QUADRANT) <= keys:
        return None
    roots = [lin.root_code for lin in data.lineages if set(QUADRANT) <= set(lin.dimensions)]
    stats = data.shown_statistics
    stats = stats[(stats["group"] == "") & stats["lineage_root_code"].isin(roots) & stats["dimension"].isin(QUADRANT)]
    wide = stats.pivot_table(index=["round", "lineage_root_code", "item_code"], columns="dimension", values="median")
    if not len(wide) or not set(QUADRANT) <= set(wide.columns):
        return None
    wide = wide.dropna(subset=list(QUADRANT)).reset_index()
    rows = pd.DataFrame(
        {"round": wide["round"], "code": wide["item_code"], "x": wide[QUADRANT[0]], "y": wide[QUADRANT[1]]}
    )
    return QuadrantData(QUADRANT[0], QUADRANT[1], rows) if len(rows) else None


def quadrant_size(layout: str, n_rounds: int) -> tuple[int, int]:
    if layout == "wide":
        return int(WIDE_WIDTH * BASE_DPI), int(QUADRANT_PANEL["wide"] * BASE_DPI)
    return int(NARROW_WIDTH * BASE_DPI), int(QUADRANT_PANEL["narrow"] * n_rounds * BASE_DPI)


def quadrant_png(data: ReportData, quadrant: QuadrantData, layout: str = "wide", *, scale: float = 2) -> bytes:
    """One panel per round: each recommendation at (desirability median, feasibility median)."""
    rounds = quadrant.rounds
    width, height = quadrant_size(layout, len(rounds))
    figure = Figure(figsize=(width / BASE_DPI, height / BASE_DPI), dpi=BASE_DPI * scale)
    if layout == "wide":
        figure.subplots_adjust(left=0.06, right=0.99, bottom=0.16, top=0.9, wspace=0.25)
        axes = figure.subplots(1, len(rounds), squeeze=False)[0]
    else:
        figure.subplots_adjust(left=0.15, right=0.96, bottom=0.06, top=0.95, hspace=0.45)
        axes = figure.subplots(len(rounds), 1, squeeze=False)[:, 0]
    x_dim, y_dim = data.dimension(quadrant.x_key), data.dimension(quadrant.y_key)
    for ax, number in zip(axes, rounds, strict=True):
        _quadrant_panel(ax, quadrant.rows[quadrant.rows["round"] == number], x_dim, y_dim)
        style_axes(ax, gettext("Round %(number)s") % {"number": number})
    return figure_png(figure)


def _quadrant_panel(ax: Any, rows: pd.DataFrame, x_dim: Any, y_dim: Any) -> None:
    ax.set_xlim(x_dim.scale_min - 0.5, x_dim.scale_max + 0.5)
    ax.set_ylim(y_dim.scale_min - 0.5, y_dim.scale_max + 0.5)
    ax.set_xticks(range(x_dim.scale_min, x_dim.scale_max + 1))
    ax.set_yticks(range(y_dim.scale_min, y_dim.scale_max + 1))
    ax.axvspan(x_dim.agree[0] - 0.5, x_dim.agree[1] + 0.5, ymin=0, ymax=1, color="#2f7d4f", alpha=0.06, lw=0)
    ax.axhspan(y_dim.agree[0] - 0.5, y_dim.agree[1] + 0.5, color="#2f7d4f", alpha=0.06, lw=0)
    ax.axvline(x_dim.agree[0] - 0.5, color="#8a8f98", lw=0.8, ls="--")
    ax.axhline(y_dim.agree[0] - 0.5, color="#8a8f98", lw=0.8, ls="--")
    ax.set_xlabel(x_dim.label, fontsize=FONT["tick"])
    ax.set_ylabel(y_dim.label, fontsize=FONT["tick"])
    for (x, y), chosen in rows.groupby(["x", "y"], sort=True):
        ax.plot([x], [y], marker="o", ms=7, color="#1f4e79", zorder=3)
        ax.annotate(
            " ".join(sorted(chosen["code"])),
            (x, y),
            xytext=(6, 5),
            textcoords="offset points",
            fontsize=FONT["tick"],
            color="#1d2330",
        )
