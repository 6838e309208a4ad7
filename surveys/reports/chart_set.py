"""The charts of one report: their names and sizes (known without drawing them), and drawing them all.

The page needs only :func:`chart_specs` (names, alt texts, CSS sizes): it links each chart by URL
with its width and height, so it never draws one. :func:`draw_charts` draws every chart of a report
in one pass (one figure per dimension and layout, reused through blitting), for the chart cache or
for a standalone document that inlines them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext

from .charts import TrajectoryCharts, trajectory_size
from .data import ReportData
from .overview_charts import convergence_png, convergence_size, quadrant_data, quadrant_png, quadrant_size

LAYOUTS = ("wide", "narrow")
CONVERGENCE = "convergence"
QUADRANT = "quadrant"


@dataclass(frozen=True)
class ChartSpec:
    name: str  # file stem, unique in the report
    alt: str
    sizes: tuple[tuple[str, tuple[int, int]], ...]  # (layout, (width, height)) in CSS px

    def size(self, layout: str) -> tuple[int, int]:
        return dict(self.sizes)[layout]


def trajectory_name(root_code: str, dimension: str) -> str:
    """A file-safe, unique name for a lineage × dimension (codes may hold any character)."""
    raw = f"{root_code}\x1f{dimension}"
    readable = re.sub(r"[^A-Za-z0-9-]+", "_", f"{root_code}-{dimension}")[:60]
    return f"t-{readable}-{hashlib.sha1(raw.encode()).hexdigest()[:6]}"  # noqa: S324 -- a name, not security


def _trajectories(data: ReportData) -> Iterable[tuple[str, str, str]]:
    """(name, root code, dimension key) of every lineage × dimension with an aggregated round."""
    whole = data.shown_statistics
    whole = whole[whole["group"] == ""]
    present = set(zip(whole["lineage_root_code"], whole["dimension"], strict=True))
    for lineage in data.lineages:
        for key in lineage.dimensions:
            if (lineage.root_code, key) in present:
                yield trajectory_name(lineage.root_code, key), lineage.root_code, key


def chart_specs(data: ReportData) -> dict[str, ChartSpec]:
    """Every chart the report shows, by name."""
    specs: dict[str, ChartSpec] = {}
    if not data.round_numbers:
        return specs
    codes = {lin.root_code: lin.code for lin in data.lineages}
    for name, root, key in _trajectories(data):
        dimension = data.dimension(key)
        if dimension.decides:
            alt = gettext(
                "%(code)s, %(label)s: median and IQR, %% agree against the rule and the distribution of ratings, "
                "per round"
            )
        else:
            alt = gettext("%(code)s, %(label)s: median and IQR and the distribution of ratings, per round")
        specs[name] = ChartSpec(
            name,
            alt % {"code": codes[root], "label": dimension.label},
            tuple((lay, trajectory_size(lay, dimension.decides)) for lay in LAYOUTS),
        )
    if len(data.convergence):
        specs[CONVERGENCE] = ChartSpec(
            CONVERGENCE,
            gettext("Mean IQR, share of items decided and Kendall’s W per round"),
            tuple((lay, convergence_size(lay)) for lay in LAYOUTS),
        )
    quadrant = quadrant_data(data)
    if quadrant is not None:
        specs[QUADRANT] = ChartSpec(
            QUADRANT,
            gettext("Each recommendation’s median desirability and feasibility, one panel per round"),
            tuple((lay, quadrant_size(lay, len(quadrant.rounds))) for lay in LAYOUTS),
        )
    return specs


def draw_charts(
    data: ReportData, *, layouts: tuple[str, ...] = LAYOUTS, scale: float = 2, image_format: str = "png"
) -> dict[tuple[str, str], bytes]:
    """Every chart of :func:`chart_specs` in each of ``layouts``, as PNG bytes by (name, layout); with
    ``image_format="jpeg"`` the trajectories (all but two charts) are JPEG bytes instead."""
    out: dict[tuple[str, str], bytes] = {}
    if not data.round_numbers:
        return out
    painter = TrajectoryCharts(data.round_numbers, data.methods.agree_threshold, scale=scale, image_format=image_format)
    whole = data.shown_statistics
    whole = whole[whole["group"] == ""]
    by_lineage = {key: rows for key, rows in whole.groupby(["lineage_root_code", "dimension"], sort=False)}
    for name, root, key in _trajectories(data):
        for layout in layouts:
            out[(name, layout)] = painter.png(data.dimension(key), by_lineage[(root, key)], layout)
    quadrant = quadrant_data(data)
    for layout in layouts:
        png = convergence_png(data, layout, scale=scale)
        if png is not None:
            out[(CONVERGENCE, layout)] = png
        if quadrant is not None:
            out[(QUADRANT, layout)] = quadrant_png(data, quadrant, layout, scale=scale)
    return out
