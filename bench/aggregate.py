"""Benchmark the aggregation of one round: 1,000 panelists × 100 items × 2 dimensions (200,000 ratings).

Prints JSON with, measured in the same run:
- ``stats_core_s``: the pure statistics core (surveys.stats: descriptives, RAND/UCLA, verdicts) on the frame;
- ``beyond_core_s``: :func:`surveys.stats.beyond_consensus` alone on the same frame (bootstrap intervals and
  verdict confidence at the study's B, the two axes, dissent, Kruskal-Wallis, trend), which
  ``round_aggregate`` runs and stores too;
- ``pandas_baseline_s``: a bare pandas groupby-quantile (item × dimension) over the same frame, and the
  ratio to it; ``pandas_baseline_with_groups_s`` also groups by panelist group, as the core does;
- ``end_to_end_s``: ``round_aggregate`` (one query, the core, replacing the statistics) per database;
- ``naive_item_loop_s``: a naive per-item ORM loop (rating objects per item, Python statistics, the
  way request-time tools compute), and how many times slower it is than ``round_aggregate``;
- ``per_cell_query_loop_s``: a tighter loop (plain values per item × dimension × group, numpy), likewise;
- ``peak_memory_mb``: tracemalloc's peak during one ``round_aggregate``.

``--stability-size`` measures instead ``surveys.stats.stability()`` alone on two rounds of 10,000
panelists × 200 items × 2 dimensions (4M ratings each, no database): its time and the peak RSS of a
fresh process (``resource.getrusage``, frames included), medians of ``--repeat`` processes.

Usage: ``python bench/aggregate.py [--panelists 1000] [--items 100] [--repeat 3] [--rule cos] [--stability-size]``;
``--rule`` sets the study's consensus preset (``cos``, the default, ``percent``, ``iqr`` or ``rand_ucla``), which
decides how verdict confidence is computed (exactly for share rules, by resampling for quantile rules). PostgreSQL is
measured too when ``BENCH_DATABASE_URL`` (or ``DATABASE_URL``) points at it; a scratch database
named after it with ``_bench`` appended is created and dropped there. Medians of ``--repeat`` runs (at least 15 for the
millisecond-scale core and baselines).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MICRO_REPEAT = 15  # the core and the pandas baselines take milliseconds: more runs for a steady median
sys.path.insert(0, str(ROOT))


def _median_time(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _build(panelists: int, items: int, rule: str = "cos"):  # type: ignore[no-untyped-def]
    """A study with one closed round, rated by ``panelists`` experts in five groups, via bulk inserts,
    under the consensus ``rule`` preset."""
    import numpy as np
    from django.utils import timezone

    from surveys.models import Ballot, Dimension, Item, Panelist, Rating, Round, RoundItem, Section, Study
    from surveys.models.panel import hash_token

    now = timezone.now()
    study = Study.objects.create(
        slug="bench",
        title="Benchmark",
        consensus_rule={"preset": rule},
        stopping_rule={"max_rounds": 3},
        consensus_rule_frozen_at=now,
        status="running",
    )
    section = Section.objects.create(study=study, key="s", title="S", order=1)
    dims = [
        Dimension.objects.create(
            study=study,
            key="agreement",
            label="Agreement",
            scale_min=1,
            scale_max=9,
            agree_low=7,
            agree_high=9,
            disagree_low=1,
            disagree_high=3,
            order=1,
        ),
        Dimension.objects.create(
            study=study,
            key="confidence",
            label="Confidence",
            scale_min=1,
            scale_max=5,
            agree_low=4,
            agree_high=5,
            disagree_low=1,
            disagree_high=2,
            order=2,
        ),
    ]
    item_rows = Item.objects.bulk_create(
        Item(study=study, code=f"C{i + 1}", kind="claim", section=section, text=f"Claim {i + 1}", order=i + 1)
        for i in range(items)
    )
    Item.dimensions.through.objects.bulk_create(
        Item.dimensions.through(item_id=item.pk, dimension_id=d.pk) for item in item_rows for d in dims
    )
    round_ = Round.objects.create(study=study, number=1, status="closed", opened_at=now, closed_at=now)
    round_items = RoundItem.objects.bulk_create(
        RoundItem(round=round_, item=item, order=n) for n, item in enumerate(item_rows, 1)
    )
    groups = ["Russia", "Central Asia", "South Asia", "Europe and North America", "Middle East"]
    panel = Panelist.objects.bulk_create(
        Panelist(
            study=study,
            email=f"p{n}@example.org",
            pseudonym=f"Expert {n:04d}",
            group=groups[n % 5],
            token_hash=hash_token(f"bench-{n}"),
            token_issued_at=now,
            consent_at=now,
        )
        for n in range(panelists)
    )
    ballots = Ballot.objects.bulk_create(
        Ballot(round=round_, panelist=p, status="submitted", submitted_at=now) for p in panel
    )
    rng = np.random.default_rng(7)
    ratings = []
    for ballot in ballots:
        for ri in round_items:
            for d in dims:
                value = None if rng.random() < 0.03 else int(rng.integers(d.scale_min, d.scale_max + 1))
                ratings.append(
                    Rating(
                        ballot=ballot,
                        round_item=ri,
                        dimension=d,
                        value=value,
                        scale_min=d.scale_min,
                        scale_max=d.scale_max,
                    )
                )
    Rating.objects.bulk_create(ratings, batch_size=5000)
    return round_


def _naive_item_loop(round_) -> int:  # type: ignore[no-untyped-def]
    """A naive per-item ORM loop, as request-time tools compute: per item, load its rating objects
    (with their panelist and dimension) and compute the same statistics for the panel and each
    group with Python's ``statistics`` module (``quantiles(method="inclusive")`` is type 7)."""
    from collections import Counter, defaultdict
    from statistics import mean, quantiles, stdev

    from surveys.models import Rating

    produced = 0
    for ri in round_.round_items.all():
        cells: dict[tuple[object, str], list[int]] = defaultdict(list)
        for rating in Rating.objects.filter(round_item=ri, ballot__status="submitted").select_related(
            "ballot__panelist", "dimension"
        ):
            if rating.value is not None:
                cells[(rating.dimension, "")].append(rating.value)
                cells[(rating.dimension, rating.ballot.panelist.group)].append(rating.value)
        for (dimension, _group), values in cells.items():
            if len(values) > 1:
                quantiles(values, n=4, method="inclusive")
                quantiles(values, n=10, method="inclusive")
                _ = stdev(values) / mean(values)
            sum(dimension.agree_low <= v <= dimension.agree_high for v in values) / len(values)
            sum(dimension.disagree_low <= v <= dimension.disagree_high for v in values) / len(values)
            Counter(values)
            produced += 1
    return produced


def _naive_loop(round_) -> int:  # type: ignore[no-untyped-def]
    """A less naive loop, for comparison: one ORM query of plain values per item × dimension ×
    group (the panel and each group), and numpy on each list of values."""
    from collections import Counter

    import numpy as np

    from surveys.models import Rating

    groups = sorted(set(round_.study.panelists.values_list("group", flat=True)))
    produced = 0
    for ri in round_.round_items.select_related("item").prefetch_related("item__dimensions"):
        for d in ri.item.dimensions.all():
            for group in ["", *groups]:
                ratings = Rating.objects.filter(round_item=ri, dimension=d, ballot__status="submitted")
                if group:
                    ratings = ratings.filter(ballot__panelist__group=group)
                raw = list(ratings.values_list("value", flat=True))
                values = np.array([v for v in raw if v is not None], dtype=float)
                if len(values):
                    np.quantile(values, [0.25, 0.3, 0.5, 0.7, 0.75], method="linear")
                    sd = values.std(ddof=1) if len(values) > 1 else float("nan")
                    _ = sd / values.mean()
                    ((values >= d.agree_low) & (values <= d.agree_high)).mean()
                    ((values >= d.disagree_low) & (values <= d.disagree_high)).mean()
                    Counter(values.tolist())
                produced += 1
    return produced


def run_one(args: argparse.Namespace) -> dict:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from surveys.models import Round
    from surveys.selectors.ratings import round_ratings_frame, study_scales
    from surveys.services.aggregation import round_aggregate
    from surveys.stats import beyond_consensus, consensus_verdicts, item_statistics, parse_consensus_rule

    start = time.perf_counter()
    round_ = _build(args.panelists, args.items, args.rule)
    build_s = time.perf_counter() - start
    frame = round_ratings_frame(round_)
    scales = study_scales(round_.study)
    rule = parse_consensus_rule(round_.study.consensus_rule)

    def core() -> None:
        stats = item_statistics(frame, scales, min_group_size=3)
        consensus_verdicts(stats, rule, scales)

    beyond_stats = item_statistics(frame, scales, min_group_size=3)
    beyond_stats["verdict"] = consensus_verdicts(beyond_stats, rule, scales)

    def beyond() -> None:  # the beyond-consensus figures alone (round 1: no herding, attrition or trend yet)
        beyond_consensus(beyond_stats, rule, scales, study="bench", round_number=1, current=frame)

    def baseline() -> None:
        frame.groupby(["item", "dimension"], observed=True)["value"].quantile([0.25, 0.5, 0.75])

    def baseline_with_groups() -> None:
        baseline()
        frame.groupby(["item", "dimension", "group"], observed=True)["value"].quantile([0.25, 0.5, 0.75])

    def end_to_end() -> None:
        Round.objects.filter(pk=round_.pk).update(status="closed")
        round_aggregate(round=Round.objects.get(pk=round_.pk))

    micro_repeat = max(args.repeat, MICRO_REPEAT)
    result = {
        "database": django.db.connection.vendor,
        "rule": args.rule,
        "ratings": len(frame),
        "build_s": round(build_s, 2),
        "stats_core_s": _median_time(core, micro_repeat),
        "beyond_core_s": _median_time(beyond, args.repeat),
        "pandas_baseline_s": _median_time(baseline, micro_repeat),
        "pandas_baseline_with_groups_s": _median_time(baseline_with_groups, micro_repeat),
        "end_to_end_s": _median_time(end_to_end, args.repeat),
        "naive_item_loop_s": 0.0 if args.skip_loops else _median_time(lambda: _naive_item_loop(round_), 1),
        "per_cell_query_loop_s": 0.0 if args.skip_loops else _median_time(lambda: _naive_loop(round_), 1),
    }
    tracemalloc.start()
    end_to_end()
    result["peak_memory_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
    tracemalloc.stop()
    result["core_vs_pandas_baseline"] = round(result["stats_core_s"] / result["pandas_baseline_s"], 2)
    result["core_vs_pandas_baseline_with_groups"] = round(
        result["stats_core_s"] / result["pandas_baseline_with_groups_s"], 2
    )
    result["naive_item_loop_vs_end_to_end"] = round(result["naive_item_loop_s"] / result["end_to_end_s"], 1)
    result["per_cell_query_loop_vs_end_to_end"] = round(result["per_cell_query_loop_s"] / result["end_to_end_s"], 1)
    timings = (
        "stats_core_s",
        "beyond_core_s",
        "pandas_baseline_s",
        "pandas_baseline_with_groups_s",
        "end_to_end_s",
        "naive_item_loop_s",
        "per_cell_query_loop_s",
    )
    for key in timings:
        result[key] = round(result[key], 4)
    return result


STABILITY_SIZE = {"panelists": 10_000, "items": 200, "dimensions": 2}


def _stability_frames(panelists: int, items: int):  # type: ignore[no-untyped-def]
    """Two rounds' ratings frames shaped like ``round_ratings_frame``'s: round 2 keeps 95% of the
    panel, a third of whom move one point; 3% abstain in each round."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(16)
    keys = [("agreement", 9), ("confidence", 5)]
    size = panelists * items * len(keys)
    panelist = np.repeat(np.arange(panelists, dtype=np.int64) + 1000, items * len(keys))
    item = np.tile(np.repeat(np.arange(items, dtype=np.int64) + 1, len(keys)), panelists)
    dimension = np.tile(np.arange(len(keys)), panelists * items)
    top = np.array([points for _, points in keys])[dimension]
    first = rng.integers(1, top + 1).astype(float)
    second = np.clip(first + rng.choice([-1, 0, 0, 1], size=size), 1, top).astype(float)
    first[rng.random(size) < 0.03] = np.nan
    second[rng.random(size) < 0.03] = np.nan
    labels = pd.Categorical.from_codes(dimension, [key for key, _ in keys])
    group = pd.Categorical.from_codes(panelist % 5, ["a", "b", "c", "d", "e"])

    def frame(values, keep):  # type: ignore[no-untyped-def]
        return pd.DataFrame(
            {
                "panelist": panelist[keep],
                "item": item[keep],
                "dimension": labels[keep],
                "value": values[keep],
                "group": group[keep],
                "weight": np.ones(int(keep.sum())),
            }
        )

    stayed = np.isin(panelist, rng.choice(np.unique(panelist), int(panelists * 0.95), replace=False))
    return frame(first, np.ones(size, dtype=bool)), frame(second, stayed)


def run_stability_one() -> dict:
    """One fresh process: build the two rounds, time ``stability()``, report this process's peak RSS."""
    import resource

    from surveys.stats import Scale, stability

    previous, current = _stability_frames(STABILITY_SIZE["panelists"], STABILITY_SIZE["items"])
    scales = {
        "agreement": Scale(min=1, max=9, agree=(7, 9), disagree=(1, 3)),
        "confidence": Scale(min=1, max=5, agree=(4, 5), disagree=(1, 2)),
    }
    rss_frames = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    table = stability(previous, current, scales)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    return {"stability_s": seconds, "peak_rss_mb": peak, "rss_after_frames_mb": rss_frames, "rows": len(table)}


def run_stability(repeat: int) -> dict:
    runs = []
    for _ in range(repeat):
        argv = [sys.executable, __file__, "--stability-child"]
        done = subprocess.run(argv, capture_output=True, text=True, check=False, cwd=ROOT)
        if done.returncode != 0:
            sys.exit(f"stability benchmark failed:\n{done.stderr}")
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return {
        **STABILITY_SIZE,
        "ratings_per_round": STABILITY_SIZE["panelists"] * STABILITY_SIZE["items"] * STABILITY_SIZE["dimensions"],
        "repeat": repeat,
        "stability_s_median": round(statistics.median(r["stability_s"] for r in runs), 3),
        "peak_rss_mb_median": round(statistics.median(r["peak_rss_mb"] for r in runs), 1),
        "rss_after_frames_mb_median": round(statistics.median(r["rss_after_frames_mb"] for r in runs), 1),
        "targets": {"stability_s": 2.0, "peak_rss_mb": 1024},
        "runs": [{k: round(v, 3) if isinstance(v, float) else v for k, v in r.items()} for r in runs],
    }


def _postgres_url() -> str | None:
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL") or ""
    return url if url.startswith(("postgres://", "postgresql://")) else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--panelists", type=int, default=1000)
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--rule", default="cos", choices=["cos", "percent", "iqr", "rand_ucla"], help="the study's consensus preset"
    )
    parser.add_argument("--skip-loops", action="store_true", help="leave out the naive loops (0 in the output)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--stability-size", action="store_true", help="measure stability() on 2 × 4M ratings only")
    parser.add_argument("--stability-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stability_child:
        print(json.dumps(run_stability_one()))
        return
    if args.stability_size:
        print(json.dumps(run_stability(args.repeat), indent=2))
        return
    if args.child:
        print(json.dumps(run_one(args)))
        return
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        base_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "delphi.settings", "DELPHI_LOG_LEVEL": "WARNING"}
        base_env.pop("REDIS_URL", None)
        envs = [{**base_env, "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3", "DELPHI_DATA_DIR": tmp}]
        pg = _postgres_url()
        if pg:
            admin_url, _, name = pg.rpartition("/")
            scratch = f"{name.split('?')[0] or 'delphi'}_bench"  # per engineer's database: runs never collide
            envs.append({**base_env, "DATABASE_URL": f"{admin_url}/{scratch}", "DELPHI_DATA_DIR": tmp})
        for env in envs:
            is_pg = env["DATABASE_URL"].startswith("postgres")
            scratch = env["DATABASE_URL"].rsplit("/", 1)[1]
            if is_pg:
                _psql(env["DATABASE_URL"], f"DROP DATABASE IF EXISTS {scratch}", f"CREATE DATABASE {scratch}")
            argv = [
                sys.executable,
                __file__,
                "--child",
                "--panelists",
                str(args.panelists),
                "--items",
                str(args.items),
                "--repeat",
                str(args.repeat),
                "--rule",
                args.rule,
                *(["--skip-loops"] if args.skip_loops else []),
            ]
            done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False, cwd=ROOT)
            if done.returncode != 0:
                sys.exit(f"benchmark failed on {env['DATABASE_URL']}:\n{done.stderr}")
            runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
            if is_pg:
                _psql(env["DATABASE_URL"], f"DROP DATABASE IF EXISTS {scratch}")
    report = {
        "panelists": args.panelists,
        "items": args.items,
        "dimensions": 2,
        "repeat": args.repeat,
        "rule": args.rule,
        "runs": runs,
    }
    if not _postgres_url():
        report["note"] = "PostgreSQL not measured: set BENCH_DATABASE_URL=postgres://..."
    print(json.dumps(report, indent=2))


def _psql(url: str, *statements: str) -> None:
    import psycopg

    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        for sql in statements:
            conn.execute(sql)


if __name__ == "__main__":
    main()
