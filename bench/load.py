"""Load: 200 simulated experts load the questionnaire and autosave against gunicorn on PostgreSQL.

Loopback only and bounded in time (setup, ramp and --duration: about two minutes a run by default).
The parent process creates a scratch database (--db-name, default ``delphi_load``, beside
``BENCH_DATABASE_URL``, default postgres://postgres@127.0.0.1:5432/postgres), migrates it, imports
the seed study, opens round 1 for 200 consented experts, starts gunicorn on a free port with DEBUG
off, runs locust headless (bench/locustfile.py), and prints JSON: throughput, p50/p95/p99 per
endpoint, errors (which must be 0), and the ratio of autosave's p95 to that of a trivial view (the
home page without a session) measured in the same run. Then it stops gunicorn and drops the database.

    pip install -e ".[bench]"
    python bench/load.py [--users 200] [--duration 60] [--workers 4] [--runs 3] [--think 0.5,2]

Each expert's session and ballot are made in setup (opening the link and beginning happen once per
expert): the session holds what the invitation link puts there (the panelist and the link's
fingerprint), stored through the configured session engine. The experts then start at --spawn-rate,
each loading the questionnaire once, and the statistics are reset once all have started, so the
figures describe --duration seconds of steady load. With --runs N the whole run is repeated and the
medians are printed too.

To measure another tree of the code with the same harness (say, the code before a change, from
``git worktree add /tmp/old HEAD~3``), pass --app-root: setup and gunicorn run that tree's code.
--locust names a locust program to use instead of this interpreter's (e.g. one in its own venv).

Targets (README): autosave p95 <= 60 ms, and <= 2x the trivial view's p95 in the same run. Locust
runs on the same machine and takes part of its CPU; say how many cores and how busy it was.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "surveys" / "studies" / "russia-taliban-recognition.yaml"
AUTOSAVE_P95_TARGET_MS = 60
AUTOSAVE_VS_TRIVIAL_TARGET = 2.0


def setup_data(users: int, tokens_path: str) -> None:
    """In a child process with DATABASE_URL set: migrate, load the study, open round 1 for the panel, and
    give every expert the session their invitation link would open and their begun ballot (what each
    expert does once, before the work the benchmark measures)."""
    from importlib import import_module

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from surveys.selectors.expert import link_fingerprint
    from surveys.services import experts
    from surveys.services.ballots import ballot_start
    from surveys.services.panel import panelist_create
    from surveys.services.rounds import round_create, round_open
    from surveys.services.study_files import study_import
    from surveys.views.expert import SESSION_KEY, SESSION_LINK_KEY

    session_store = import_module(settings.SESSION_ENGINE).SessionStore
    call_command("migrate", interactive=False, verbosity=0)
    study = study_import(text=SEED.read_text(), filename=SEED.name).study
    groups = ["Russia", "Central Asia", "South Asia", "Europe and North America", "Middle East"]
    round_ = round_open(round=round_create(study=study))
    sessions = []
    for i in range(users):
        panelist, _ = panelist_create(study=study, email=f"load{i}@example.org", group=groups[i % len(groups)])
        panelist = experts.panelist_consent(panelist=panelist)
        experts.panelist_profile_update(panelist=panelist, background="", years_experience=10, expertise={})
        ballot = ballot_start(panelist=panelist, round=round_)
        session = session_store()
        session[SESSION_KEY] = panelist.pk
        session[SESSION_LINK_KEY] = link_fingerprint(panelist)
        session.create()
        sessions.append(
            {
                "cookie": settings.SESSION_COOKIE_NAME,
                "session": session.session_key,
                "ballot_url": f"/e/ballots/{ballot.pk}/",
            }
        )
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


def _wait_until_up(url: str, seconds: float = 120) -> None:  # 4 workers booting on a busy 2-core machine
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
        "autosave_p95_target_ms": AUTOSAVE_P95_TARGET_MS,
        "autosave_p95_vs_trivial_p95": round(autosave["p95_ms"] / max(trivial["p95_ms"], 1.0), 2),
        "autosave_p95_vs_trivial_target": AUTOSAVE_VS_TRIVIAL_TARGET,
    }


def _run(args: argparse.Namespace, env: dict[str, str], app_root: Path, locust: list[str]) -> dict:
    """One run: a fresh database, setup, gunicorn, locust; the figures of its steady state."""
    database_url = env["DATABASE_URL"]
    name = database_url.rsplit("/", 1)[1]
    _psql(database_url, f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}")
    ramp_s = math.ceil(args.users / args.spawn_rate) + 5  # every expert started and settled; stats reset then
    port = _free_port()
    host = f"http://127.0.0.1:{port}"
    gunicorn = None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            run_env = {**env, "DELPHI_DATA_DIR": f"{tmp}/data"}  # its own SQLite-free data dir (session cache)
            tokens = f"{tmp}/tokens.json"
            subprocess.run(
                [sys.executable, __file__, "--setup", tokens, "--users", str(args.users)],
                env=run_env,
                cwd=app_root,
                check=True,
            )
            gunicorn = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "delphi.wsgi:application",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    str(args.workers),
                    "--log-level",
                    "warning",
                ],
                env=run_env,
                cwd=app_root,
            )
            _wait_until_up(host + "/")
            subprocess.run(
                [
                    *locust,
                    "-f",
                    str(ROOT / "bench" / "locustfile.py"),
                    "--headless",
                    "--host",
                    host,
                    "--users",
                    str(args.users + 10),
                    "--spawn-rate",
                    str(args.spawn_rate),
                    "--run-time",
                    f"{ramp_s + args.duration}s",
                    "--csv",
                    f"{tmp}/load",
                    "--only-summary",
                    "--loglevel",
                    "WARNING",
                    "--stop-timeout",
                    "5",
                    "--reset-stats",
                ],
                env={**run_env, "DELPHI_LOAD_SESSIONS": tokens, "DELPHI_LOAD_THINK_S": args.think},
                cwd=ROOT,
                check=False,
                stdout=subprocess.DEVNULL,
            )
            return _figures(Path(f"{tmp}/load_stats.csv"))
    finally:
        if gunicorn is not None:
            gunicorn.terminate()
            gunicorn.wait(timeout=30)
        _psql(database_url, f"DROP DATABASE IF EXISTS {name}")


def _medians(runs: list[dict]) -> dict:
    keys = ["throughput_requests_per_s", "errors", "autosave_p95_ms", "autosave_p95_vs_trivial_p95"]
    medians = {key: statistics.median(run[key] for run in runs) for key in keys}
    for endpoint in runs[0]["endpoints"]:
        for figure in ("p50_ms", "p95_ms", "p99_ms"):
            medians[f"{endpoint} {figure}"] = statistics.median(run["endpoints"][endpoint][figure] for run in runs)
    return medians


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200, help="simulated experts (default 200)")
    parser.add_argument("--duration", type=int, default=60, help="seconds of load (default 60)")
    parser.add_argument("--spawn-rate", type=float, default=5, help="experts started per second (default 5)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4, for 2 cores)")
    parser.add_argument(
        "--think",
        default="3,10",
        help="seconds between one expert's requests, MIN,MAX (default 3,10: reading a "
        "statement before rating it; 0.5,2 finds where the machine saturates)",
    )
    parser.add_argument("--runs", type=int, default=1, help="repeat the whole run; the medians are printed too")
    parser.add_argument("--db-name", default="delphi_load", help="the scratch database (dropped after each run)")
    parser.add_argument("--app-root", type=Path, default=ROOT, help="the tree of the code to measure")
    parser.add_argument("--locust", default=None, help="the locust program (default: this interpreter's)")
    parser.add_argument("--setup", metavar="TOKENS_JSON", help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> None:
    args = _arguments()
    if args.setup:
        setup_data(args.users, args.setup)
        return
    app_root = args.app_root.resolve()
    base = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "delphi.settings",
        "DATABASE_URL": f"{base.rsplit('/', 1)[0]}/{args.db_name}",
        "DELPHI_DEBUG": "0",
        "DELPHI_SECRET_KEY": "load-benchmark-only-" + "x" * 40,
        "DELPHI_LOG_LEVEL": "WARNING",
        "DELPHI_DB_CONN_MAX_AGE": "60",
        "PYTHONPATH": os.pathsep.join([str(app_root), *filter(None, [os.environ.get("PYTHONPATH")])]),
    }
    env.pop("REDIS_URL", None)  # autosave enqueues nothing; keep the broker out of the measurement
    locust = [args.locust] if args.locust else [sys.executable, "-m", "locust"]
    runs = [_run(args, env, app_root, locust) for _ in range(args.runs)]
    report = {
        "experts": args.users,
        "duration_s": args.duration,
        "gunicorn_workers": args.workers,
        "think_time_s": args.think,
        "cpus": os.cpu_count(),
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "app_root": str(app_root),
        **(runs[0] if len(runs) == 1 else {"runs": runs, "median": _medians(runs)}),
    }
    print(json.dumps(report, indent=2))
    if any(run["errors"] for run in runs):
        sys.exit(f"{sum(run['errors'] for run in runs)} requests failed")


if __name__ == "__main__":
    main()
