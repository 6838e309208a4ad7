"""Benchmark the consensus report: the HTML page on the demo, and PDF and XLSX on a large study.

Run: ``python bench/report.py`` (from the repository root, in the virtualenv); ``--page`` or
``--formats`` runs one part only. It builds a fresh SQLite database in a temporary directory
(``DELPHI_DATA_DIR`` is set before Django starts, ``DATABASE_URL`` is ignored, ``DELPHI_DEBUG`` off
as in production) and prints the figures as JSON.

- Page: the quick-start demo (``demo_build``), then the report page as a signed-in facilitator
  through Django's test client (the whole middleware stack): the first request after the
  aggregation (cold: the body is rendered and cached), the first chart request (which draws the
  report's chart set once), then :data:`WARM_RUNS` requests whose median is the warm figure, and the
  size of the HTML. Targets: 0.3 s and 300 KB (issue "The consensus-shift report").
- Formats: 100 items × 4 rounds × 200 panelists, filled with ``bulk_create`` and aggregated with
  ``round_aggregate``, then the PDF and the XLSX builds (reading the database included), three runs
  each.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
N_ITEMS, N_ROUNDS, N_PANEL = 100, 4, 200
N_RECOMMENDATIONS = 20  # rated on agreement and feasibility; the rest on agreement only
GROUPS = ("Russia", "Central Asia", "South Asia", "Europe and North America", "Middle East")
DROPOUTS_PER_ROUND = 8
RUNS = 3
TARGET_SECONDS = 5.0  # PDF and XLSX each (issue "The consensus-shift report"; 15 s before it)
WARM_RUNS = 9
PAGE_TARGET_SECONDS = 0.3
PAGE_TARGET_BYTES = 300_000


def _study_file() -> str:
    items = [
        '  - {code: Q1, kind: question, section: main, text: "Is it time to recognize the new government?", '
        "dimensions: [agreement]}"
    ]
    for number in range(2, N_ITEMS + 1):
        recommendation = number > N_ITEMS - N_RECOMMENDATIONS
        code = f"R{number}" if recommendation else f"C{number}"
        kind, dims = ("recommendation", "[agreement, feasibility]") if recommendation else ("claim", "[agreement]")
        items.append(
            f"  - {{code: {code}, kind: {kind}, section: main, text: Statement number {number}., dimensions: {dims}}}"
        )
    return "\n".join(
        [
            "format: delphi-study/1",
            "slug: bench-study",
            "title: Benchmark study",
            "settings: {min_group_size: 3}",
            "consensus_rule: {preset: cos}",
            "stopping_rule: {max_rounds: 4}",
            "dimensions:",
            "  - {key: agreement, label: Agreement, scale: {min: 1, max: 9}, agree: [7, 9], disagree: [1, 3]}",
            "  - {key: feasibility, label: Feasibility, scale: {min: 1, max: 5}, agree: [4, 5], disagree: [1, 2]}",
            "sections:",
            "  - {key: main, title: Main}",
            "items:",
            *items,
            "",
        ]
    )


def _build() -> tuple[object, int]:
    import numpy as np
    from django.utils import timezone

    from surveys.models import Ballot, Panelist, Rating, RoundItem
    from surveys.models.panel import hash_token
    from surveys.services.aggregation import round_aggregate
    from surveys.services.rounds import item_reword, round_close, round_create, round_open
    from surveys.services.study_files import study_import

    rng = np.random.default_rng(2021)
    study = study_import(text=_study_file(), filename="bench.yaml").study
    now = timezone.now()
    Panelist.objects.bulk_create(
        Panelist(
            study=study,
            email=f"bench{n}@example.invalid",
            name=f"Bench Person {n}",
            pseudonym=f"Expert {n:03d}",
            group=GROUPS[n % len(GROUPS)] if n < N_PANEL - 2 else "Tiny group",
            token_hash=hash_token(f"bench-{n}"),
            token_issued_at=now,
            consent_at=now,
            is_synthetic=True,
        )
        for n in range(N_PANEL)
    )
    panel = list(study.panelists.order_by("pk"))
    dimensions = {d.key: d for d in study.dimensions.all()}
    centers = rng.uniform(0.3, 0.9, size=N_ITEMS + N_RECOMMENDATIONS)
    opinion: np.ndarray | None = None
    n_ratings = 0
    for number in range(1, N_ROUNDS + 1):
        latest_wordings = list(study.items.filter(rewordings=None).order_by("order", "code"))
        round_ = round_create(study=study, items=latest_wordings)
        if number == 2:
            for item in list(study.items.filter(code__in=["C7", "C8"])):
                item_reword(round=round_, item=item, text=f"{item.text} (reworded)")
        round_open(round=round_)
        answering = panel[: N_PANEL - DROPOUTS_PER_ROUND * (number - 1)]
        ballots = Ballot.objects.bulk_create(
            Ballot(round=round_, panelist=p, status=Ballot.Status.SUBMITTED, submitted_at=now) for p in answering
        )
        pairs = [
            (ri, d)
            for ri in round_.round_items.select_related("item").prefetch_related("item__dimensions")
            for d in sorted(ri.item.dimensions.all(), key=lambda d: d.order)
        ]
        if opinion is None:
            opinion = np.clip(centers[None, : len(pairs)] + rng.normal(0, 0.25, (N_PANEL, len(pairs))), 0, 1)
        else:  # the panel moves halfway towards each item's median, with some noise
            opinion = opinion + 0.5 * (np.median(opinion, axis=0) - opinion) + rng.normal(0, 0.04, opinion.shape)
            opinion = np.clip(opinion, 0, 1)
        ratings = []
        for row, ballot in enumerate(ballots):
            for column, (round_item, d) in enumerate(pairs):
                value = round(d.scale_min + opinion[row, column] * (d.scale_max - d.scale_min))
                abstains = rng.random() < 0.03
                ratings.append(
                    Rating(
                        ballot=ballot,
                        round_item=round_item,
                        dimension=dimensions[d.key],
                        value=None if abstains else value,
                        scale_min=d.scale_min,
                        scale_max=d.scale_max,
                        rationale="A reason." if column % 17 == 0 else "",
                    )
                )
        Rating.objects.bulk_create(ratings, batch_size=5000)
        n_ratings += len(ratings)
        round_close(round=round_, aggregate=False)
        round_aggregate(round=round_)
    assert RoundItem.objects.filter(round__study=study).count() >= N_ITEMS * N_ROUNDS
    return study, n_ratings


def _time(study: object, name: str) -> tuple[list[float], list[float], int]:
    """Wall and CPU seconds of each run (CPU time: a figure the machine's other load cannot inflate)."""
    from surveys.services.reports import report_file

    runs, cpu, size = [], [], 0
    for _ in range(RUNS):
        started, started_cpu = time.perf_counter(), time.process_time()
        content = report_file(study, name)  # type: ignore[arg-type]
        runs.append(round(time.perf_counter() - started, 3))
        cpu.append(round(time.process_time() - started_cpu, 3))
        size = len(content)
    return runs, cpu, size


def _page() -> dict[str, object]:
    """The demo's report page: cold, first chart, warm median and HTML size."""
    import re

    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    from surveys.services.demo import demo_build

    started = time.perf_counter()
    study = demo_build().study
    setup = round(time.perf_counter() - started, 1)
    client = Client()
    client.force_login(get_user_model().objects.get(is_staff=True))  # the demo's facilitator
    url = reverse("reports:page", args=[study.slug])

    cpu: list[float] = []

    def get(path: str) -> tuple[float, bytes]:
        began, began_cpu = time.perf_counter(), time.process_time()
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        cpu.append(time.process_time() - began_cpu)  # this process's CPU: what other load cannot inflate
        return time.perf_counter() - began, response.content

    cold, html = get(url)
    charts = re.findall(rb'<img class="report-chart" src="([^"]+)"', html)
    first_chart, _ = get(charts[0].decode()) if charts else (0.0, b"")
    warm = [get(url)[0] for _ in range(WARM_RUNS)]
    median = statistics.median(warm)
    warm_cpu = statistics.median(cpu[-WARM_RUNS:])
    return {
        "study": study.slug,
        "setup_seconds": setup,
        "cold_seconds": round(cold, 3),
        "first_chart_seconds": round(first_chart, 3),
        "charts_linked": len(charts),
        "inline_images": html.count(b"data:image/"),
        "warm_median_seconds": round(median, 4),
        "warm_runs": [round(t, 4) for t in warm],
        "warm_median_cpu_seconds": round(warm_cpu, 4),
        "html_bytes": len(html),
        "target": {"seconds": PAGE_TARGET_SECONDS, "bytes": PAGE_TARGET_BYTES},
        "within_target": median <= PAGE_TARGET_SECONDS and len(html) <= PAGE_TARGET_BYTES,
    }


def _formats() -> dict[str, object]:
    started = time.perf_counter()
    study, n_ratings = _build()
    setup = round(time.perf_counter() - started, 1)
    pdf_runs, pdf_cpu, pdf_bytes = _time(study, "pdf")
    xlsx_runs, xlsx_cpu, xlsx_bytes = _time(study, "xlsx")
    pdf, xlsx = statistics.median(pdf_runs), statistics.median(xlsx_runs)
    return {
        "data": {"items": N_ITEMS, "rounds": N_ROUNDS, "panelists": N_PANEL, "ratings": n_ratings},
        "setup_seconds": setup,
        "pdf": {
            "median_seconds": pdf,
            "runs": pdf_runs,
            "median_cpu_seconds": statistics.median(pdf_cpu),
            "cpu_runs": pdf_cpu,
            "bytes": pdf_bytes,
        },
        "xlsx": {
            "median_seconds": xlsx,
            "runs": xlsx_runs,
            "median_cpu_seconds": statistics.median(xlsx_cpu),
            "cpu_runs": xlsx_cpu,
            "bytes": xlsx_bytes,
        },
        "target_seconds": TARGET_SECONDS,
        "within_target": pdf <= TARGET_SECONDS and xlsx <= TARGET_SECONDS,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page", action="store_true", help="only the demo's report page")
    parser.add_argument("--formats", action="store_true", help="only the PDF and XLSX of the large study")
    args = parser.parse_args()
    parts = [name for name in ("page", "formats") if getattr(args, name)] or ["page", "formats"]
    data_dir = tempfile.mkdtemp(prefix="delphi-bench-")
    os.environ["DELPHI_DATA_DIR"] = data_dir
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "delphi.settings")
    os.environ.setdefault("DELPHI_LOG_LEVEL", "WARNING")
    os.environ.setdefault("DELPHI_DEBUG", "false")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    try:
        call_command("migrate", verbosity=0, interactive=False)
        results = {name: (_page if name == "page" else _formats)() for name in parts}
        print(json.dumps(results, indent=2))
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
