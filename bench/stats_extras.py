"""Benchmark the statistics beyond consensus: bootstrap uncertainty, two axes, dissent and group tests.

One round of 1,000 panelists × 100 items × 2 dimensions (1..9 and 1..5) in five groups, i.e. 1,200
item × dimension × group rows, as in ``bench/aggregate.py``. Prints JSON with the median wall time
of each step and of all of them (``total_s``), for each consensus preset at B = 2,000 resamples,
for two rating profiles: ``uniform`` (every scale point used: the sampler's worst case) and
``delphi`` (ratings clustered round an item's own centre, as real panels give).

Usage: ``python bench/stats_extras.py [--panelists 1000] [--items 100] [--resamples 2000] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from surveys.stats import (
    Scale,
    bootstrap_seed,
    bootstrap_uncertainty,
    dissent_statistics,
    group_differences,
    item_statistics,
    parse_consensus_rule,
    two_axes,
)

SCALES = {"agreement": Scale(1, 9, (7, 9), (1, 3)), "confidence": Scale(1, 5, (4, 5), (1, 2))}
IQR_RULE = parse_consensus_rule({"preset": "iqr"})
GROUPS = np.array(["Russia", "Central Asia", "South Asia", "Europe and North America", "Middle East"])


def _frame(panelists: int, items: int, profile: str) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    panelist = np.repeat(np.arange(panelists), items * 2)
    item = np.tile(np.repeat(np.arange(items), 2), panelists)
    dimension = np.tile(["agreement", "confidence"], panelists * items)
    top = np.where(dimension == "agreement", 9, 5)
    if profile == "uniform":
        value = rng.integers(1, top + 1).astype(float)
    else:
        centre = rng.uniform(1, 9, size=items)[item] * (top - 1) / 8 + (1 - (top - 1) / 8)
        value = np.clip(np.round(rng.normal(centre, 0.8)), 1, top).astype(float)
    return pd.DataFrame(
        {"panelist": panelist, "item": item, "dimension": dimension, "value": value, "group": GROUPS[panelist % 5]}
    )


def _median_time(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--panelists", type=int, default=1000)
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--resamples", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    report: dict[str, object] = {"panelists": args.panelists, "items": args.items, "resamples": args.resamples}
    for profile in ("uniform", "delphi"):
        stats = item_statistics(_frame(args.panelists, args.items, profile), SCALES)
        report[f"{profile}_rows"] = len(stats)
        shared = {
            "two_axes_s": _median_time(lambda stats=stats: two_axes(stats, IQR_RULE, SCALES), 5),
            "dissent_s": _median_time(lambda stats=stats: dissent_statistics(stats, SCALES), 5),
            "group_differences_s": _median_time(lambda stats=stats: group_differences(stats, SCALES), 5),
        }
        for preset in ("cos", "percent", "iqr", "rand_ucla"):
            rule = parse_consensus_rule({"preset": preset})
            seconds = _median_time(
                lambda rule=rule, stats=stats: bootstrap_uncertainty(
                    stats, rule, SCALES, seed=bootstrap_seed("bench", 1), n_resamples=args.resamples
                ),
                args.repeat,
            )
            report[f"{profile}_{preset}_bootstrap_s"] = round(seconds, 3)
        report.update({f"{profile}_{key}": round(value, 3) for key, value in shared.items()})
        report[f"{profile}_total_cos_s"] = round(report[f"{profile}_cos_bootstrap_s"] + sum(shared.values()), 3)  # type: ignore[operator]
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
