"""Load: 200 simulated experts load the questionnaire and autosave against gunicorn on PostgreSQL.

Loopback only and bounded in time (setup, ramp and --duration: about two minutes by default). The
parent process creates a scratch database (``delphi_load``
beside ``BENCH_DATABASE_URL``, default postgres://postgres@127.0.0.1:5432/postgres), migrates it,
imports the seed study, opens round 1 for 200 consented experts, starts gunicorn on a free port with
DEBUG off, runs locust headless (bench/locustfile.py), and prints JSON: throughput, p50/p95/p99 per
endpoint, errors (which must be 0), and the ratio of autosave's p95 to that of a trivial view (the
home page without a session) measured in the same run. Then it stops gunicorn and drops the database.

    pip install -e ".[bench]"
    python bench/load.py [--users 200] [--duration 60] [--workers 4]

Each expert's session and ballot are made in setup (opening the link and beginning happen once per
expert); the experts then start at --spawn-rate, each loading the questionnaire once, and the
statistics are reset once all have started, so the figures describe --duration seconds of steady load.

Target: autosave p95 <= 150 ms on a 2-core machine. Locust runs on the same machine and takes part of
its CPU. Figures are for the steady state: statistics reset once all experts have started.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "delphi_load"
SEED = ROOT / "surveys" / "studies" / "russia-taliban-recognition.yaml"


def setup_data(users: int, tokens_path: str) -> None:
    """In a child process with DATABASE_URL set: migrate, load the study, open round 1 for the panel, and
    give every expert the session their invitation link would open and their begun ballot (what each
    expert does once, before the work the benchmark measures)."""
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command

    from surveys.services import experts
    from surveys.services.ballots import ballot_start
    from surveys.services.panel import panelist_create
    from surveys.services.rounds import round_create, round_open
    from surveys.services.study_files import study_import
    from surveys.views.expert import SESSION_KEY

    call_command("migrate", interactive=False, verbosity=0)
    study = study_import(text=SEED.read_text(), filename=SEED.name).study
    groups = ["Russia", "Central Asia", "South Asia", "Europe and North America", "Middle East"]
    round_ = round_open(round=round_create(study=study))
    sessions = []
    for i in range(users):
        panelist, _ = panelist_create(study=study, email=f"load{i}@example.org", group=groups[i % len(groups)])
        panelist = experts.panelist_consent(panelist=panelist)
        experts.panelist_profile_update(panelist=panelist, group=panelist.group, years_experience=10, expertise={})
        ballot = ballot_start(panelist=panelist, round=round_)
        session = SessionStore()
        session[SESSION_KEY] = panelist.pk
        session.create()
        sessions.append({"cookie": settings.SESSION_COOKIE_NAME, "session": session.session_key,
                         "ballot_url": f"/e/ballots/{ballot.pk}/"})  # fmt: skip
    Path(tokens_path).write_text(json.dumps(sessions))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _psql(url: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        for sql in statements:
            conn.execute(sql)


def _wait_until_up(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    sys.exit(f"gunicorn did not answer at {url} within {seconds} s")


def _figures(stats_csv: Path) -> dict:
    rows = {row["Name"]: row for row in csv.DictReader(stats_csv.open())}

    def endpoint(name: str) -> dict:
        row = rows[name]
        return {
            "requests": int(row["Request Count"]),
            "failures": int(row["Failure Count"]),
            "requests_per_s": round(float(row["Requests/s"]), 1),
            "p50_ms": float(row["50%"]),
            "p95_ms": float(row["95%"]),
            "p99_ms": float(row["99%"]),
        }

    named = {name: endpoint(name) for name in rows if name != "Aggregated"}
    total = endpoint("Aggregated")
    autosave, trivial = named["autosave"], named["trivial view (home page)"]
    return {
        "throughput_requests_per_s": total["requests_per_s"],
        "errors": total["failures"],
        "endpoints": named,
        "autosave_p95_ms": autosave["p95_ms"],
        "autosave_p95_target_ms": 150,
        "autosave_p95_vs_trivial_p95": round(autosave["p95_ms"] / max(trivial["p95_ms"], 1.0), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200, help="simulated experts (default 200)")
    parser.add_argument("--duration", type=int, default=60, help="seconds of load (default 60)")
    parser.add_argument("--spawn-rate", type=float, default=5, help="experts started per second (default 5)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4, for 2 cores)")
    parser.add_argument(
        "--think", default="3,10", help="seconds between one expert's requests, MIN,MAX (default 3,10: reading a "
        "statement before rating it; 0.5,2 finds where the machine saturates)",
    )  # fmt: skip
    parser.add_argument("--setup", metavar="TOKENS_JSON", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.setup:
        setup_data(args.users, args.setup)
        return

    base = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    database_url = f"{base.rsplit('/', 1)[0]}/{DB_NAME}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "delphi.settings",
        "DATABASE_URL": database_url,
        "DELPHI_DEBUG": "0",
        "DELPHI_SECRET_KEY": "load-benchmark-only-" + "x" * 40,
        "DELPHI_LOG_LEVEL": "WARNING",
        "DELPHI_DB_CONN_MAX_AGE": "60",
    }
    env.pop("REDIS_URL", None)  # autosave enqueues nothing; keep the broker out of the measurement
    _psql(database_url, f"DROP DATABASE IF EXISTS {DB_NAME}", f"CREATE DATABASE {DB_NAME}")
    ramp_s = math.ceil(args.users / args.spawn_rate) + 5  # every expert started and settled; stats reset then
    port = _free_port()
    host = f"http://127.0.0.1:{port}"
    gunicorn = None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            tokens = f"{tmp}/tokens.json"
            subprocess.run([sys.executable, __file__, "--setup", tokens, "--users", str(args.users)],
                           env=env, cwd=ROOT, check=True)  # fmt: skip
            gunicorn = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "delphi.wsgi:application", "--bind", f"127.0.0.1:{port}",
                 "--workers", str(args.workers), "--log-level", "warning"],
                env=env, cwd=ROOT,
            )  # fmt: skip
            _wait_until_up(host + "/")
            subprocess.run(
                [sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
                 "--host", host, "--users", str(args.users + 10), "--spawn-rate", str(args.spawn_rate),
                 "--run-time", f"{ramp_s + args.duration}s", "--csv", f"{tmp}/load", "--only-summary",
                 "--loglevel", "WARNING", "--stop-timeout", "5", "--reset-stats"],
                env={**env, "DELPHI_LOAD_SESSIONS": tokens, "DELPHI_LOAD_THINK_S": args.think},
                cwd=ROOT, check=False, stdout=subprocess.DEVNULL,
            )  # fmt: skip
            figures = _figures(Path(f"{tmp}/load_stats.csv"))
    finally:
        if gunicorn is not None:
            gunicorn.terminate()
            gunicorn.wait(timeout=30)
        _psql(database_url, f"DROP DATABASE IF EXISTS {DB_NAME}")
    report = {
        "experts": args.users,
        "duration_s": args.duration,
        "gunicorn_workers": args.workers,
        "think_time_s": args.think,
        "cpus": os.cpu_count(),
        **figures,
    }
    print(json.dumps(report, indent=2))
    if report["errors"]:
        sys.exit(f"{report['errors']} requests failed")


if __name__ == "__main__":
    main()
