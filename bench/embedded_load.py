"""Concurrent saves on the embedded default: simulated experts autosave and submit at once.

The site is started as the README's quick start does it, in a fresh ``DELPHI_DATA_DIR`` (a temporary
directory, so a SQLite file of its own): ``manage.py demo --no-serve`` migrates, loads the seed study,
builds the 24 synthetic experts and leaves round 4 open; a fresh invitation link is then issued to
every expert (the demo prints only one, since links are stored only as hashes), and the site is
served by ``manage.py runserver --noreload``, a thread per request, as ``manage.py demo`` serves it.

Each simulated expert is a real thread with its own cookies. It opens its link, begins round 4 and
loads the questionnaire (setup, not measured); then all of them start together and each autosaves
``--saves`` ratings with their reasons, submits the whole form, asks to revise, autosaves once more
and submits again, as fast as the server answers (no think time: the worst case). Every save and
submit is timed. Prints JSON: experts, saves, errors (any answer other than the one a working site
gives: 200 for an autosave, a redirect for a submit), p50 and p95 in ms, and the statuses seen.

    python bench/embedded_load.py [--experts 24] [--saves 10]

Target: 24 experts, 0 errors. ``tests/test_embedded_concurrency.py`` runs the same code, smaller.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import random
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MANAGE = str(ROOT / "manage.py")
DB_FILE = "delphi.sqlite3"  # under DELPHI_DATA_DIR (delphi/settings/base.py)
RATING = re.compile(r'<input type="radio" name="(r\d+-[-a-zA-Z0-9_]+)" id="[^"]+" value="([^"]+)"')
TEXT = re.compile(r'<textarea id="[^"]+" name="((?:rationale|open)-\d+)"')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
BALLOT = re.compile(r"/e/ballots/(\d+)/")


# --- The site ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Site:
    base_url: str
    links: list[str]  # one invitation path per expert, /e/<token>/
    data_dir: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until_up(url: str, server: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"runserver exited with status {server.returncode} before answering")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"runserver did not answer at {url} within {seconds} s")


def site_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The embedded default's environment: no DATABASE_URL, no REDIS_URL, its own data directory."""
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        {"DJANGO_SETTINGS_MODULE": "delphi.settings", "DELPHI_DATA_DIR": str(data_dir), "DELPHI_LOG_LEVEL": "ERROR"}
    )
    env.update(extra)
    return env


def issue_links(out: str) -> None:
    """In a child process on the site's database: a fresh link for each expert still on the panel."""
    sys.path.insert(0, str(ROOT))  # run as a script, from bench/
    import django

    django.setup()
    from surveys.models import Panelist
    from surveys.services.panel import panelist_token_rotate

    panel = Panelist.objects.filter(status__in=[Panelist.Status.INVITED, Panelist.Status.ACTIVE]).order_by("pk")
    Path(out).write_text(json.dumps([f"/e/{panelist_token_rotate(panelist=p)}/" for p in panel]))


@contextmanager
def embedded_site(**env: str) -> Iterator[Site]:
    """The demo on a fresh SQLite file, served by runserver on a free port; stopped and deleted after.

    ``env`` adds environment variables for every step (e.g. a settings module for a comparison run).
    """
    with tempfile.TemporaryDirectory(prefix="delphi-embedded-") as tmp:
        data_dir = Path(tmp)
        environ = site_env(data_dir, **env)
        subprocess.run(
            [sys.executable, MANAGE, "demo", "--no-serve"], env=environ, cwd=ROOT, check=True, stdout=subprocess.DEVNULL
        )
        links_path = data_dir / "links.json"
        subprocess.run([sys.executable, __file__, "--issue-links", str(links_path)], env=environ, cwd=ROOT, check=True)
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, MANAGE, "runserver", "--noreload", f"127.0.0.1:{port}"],
            env=environ,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base_url = f"http://127.0.0.1:{port}"
            _wait_until_up(base_url + "/healthz", server)
            yield Site(base_url=base_url, links=json.loads(links_path.read_text()), data_dir=data_dir)
        finally:
            server.terminate()
            server.wait(timeout=30)


# --- One expert ------------------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # a redirect is an answer to record, not to follow


@dataclass(frozen=True)
class Answer:
    kind: str  # "autosave", "submit" or "reopen"
    status: int
    ms: float
    body: str  # kept only when the answer is not the expected one


@dataclass
class Expert:
    """One expert in a browser tab: a cookie jar of their own, answering through the web pages."""

    site: Site
    link: str
    rng: random.Random = field(default_factory=random.Random)
    answers: list[Answer] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
        )

    def _send(
        self,
        path: str,
        data: dict[str, str] | list[tuple[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, str, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.site.base_url + path, data=body, headers=headers or {})
        try:
            with self._opener.open(request, timeout=120) as response:
                return response.status, response.read().decode(), response.headers.get("Location", "")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace"), exc.headers.get("Location", "")

    def _get(self, path: str, expect: int = 200) -> tuple[str, str]:
        status, body, location = self._send(path)
        if status != expect:
            raise RuntimeError(f"GET {path} answered {status}, not {expect}")
        return body, location

    def begin(self) -> None:
        """Open the link, consent if asked, begin the round and load the questionnaire (not measured)."""
        self._get(self.link, expect=302)
        welcome, _ = self._get("/e/welcome/")
        if consent := CSRF.search(welcome):
            self._send("/e/consent/", {"csrfmiddlewaretoken": consent.group(1)})
        status, page, location = self._send("/e/round/")
        if status == 200 and (begin := CSRF.search(page)):
            status, page, location = self._send("/e/round/", {"csrfmiddlewaretoken": begin.group(1)})
        match = BALLOT.search(location)
        if status != 302 or match is None:
            raise RuntimeError(f"beginning the round answered {status} {location!r}")
        self.ballot_url = f"/e/ballots/{match.group(1)}/"
        self._read(self._get(self.ballot_url)[0])

    def _read(self, page: str) -> None:
        self.csrf = CSRF.search(page).group(1)  # type: ignore[union-attr]
        choices: dict[str, list[str]] = {}
        for name, value in RATING.findall(page):
            choices.setdefault(name, []).append(value)
        self.choices = choices
        self.texts = TEXT.findall(page)
        if not choices:
            raise RuntimeError(f"the questionnaire at {self.ballot_url} has no rating to choose")

    def _timed(self, kind: str, path: str, data: list[tuple[str, str]], headers: dict[str, str]) -> Answer:
        start = time.perf_counter()
        status, body, _ = self._send(path, data, {"X-CSRFToken": self.csrf, **headers})
        answer = Answer(kind, status, (time.perf_counter() - start) * 1000, body)
        self.answers.append(answer if not expected(answer) else Answer(kind, status, answer.ms, ""))
        return answer

    def autosave(self) -> Answer:
        """One rating and its item's reason, as the page's script sends them."""
        name = self.rng.choice(list(self.choices))
        item = name[1:].split("-", 1)[0]
        data = [(name, self.rng.choice(self.choices[name])), (f"rationale-{item}", f"Reason {self.rng.random()}")]
        return self._timed("autosave", self.ballot_url + "autosave/", data, {"Accept": "application/json"})

    def submit(self) -> Answer:
        """The whole form, every item rated, with the Submit button."""
        data = [(name, self.rng.choice(values)) for name, values in self.choices.items()]
        data += [(name, f"Text {self.rng.random()}") for name in self.texts]
        data += [("csrfmiddlewaretoken", self.csrf), ("action", "submit")]
        return self._timed("submit", self.ballot_url, data, {})

    def reopen(self) -> Answer:
        """The "Revise my answers" button."""
        return self._timed("reopen", self.ballot_url + "reopen/", [("csrfmiddlewaretoken", self.csrf)], {})

    def session(self, saves: int) -> None:
        """The measured work: autosaves, submit, revise, one more autosave, submit again."""
        for _ in range(saves):
            self.autosave()
        self.submit()
        self.reopen()
        self.autosave()
        self.submit()


def expected(answer: Answer) -> bool:
    """What a working site answers: JSON 200 for an autosave, a redirect back to the page otherwise."""
    return answer.status == (200 if answer.kind == "autosave" else 302)


# --- Many experts at once -------------------------------------------------------------------------------


def run_concurrently(experts: list[Expert], work: Callable[[Expert], None]) -> list[Answer]:
    """Begin every expert, then release them together, each doing ``work`` on a thread of its own."""
    for expert in experts:
        expert.begin()
    barrier = threading.Barrier(len(experts))
    failures: list[BaseException] = []

    def run(expert: Expert) -> None:
        barrier.wait()
        try:
            work(expert)
        except BaseException as exc:  # reported by the caller, not lost in a thread
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(expert,)) for expert in experts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return [answer for expert in experts for answer in expert.answers]


def ballot_status(site: Site, expert: Expert) -> str:
    """The expert's ballot's status as stored (read from the site's SQLite file)."""
    ballot_id = int(BALLOT.search(expert.ballot_url).group(1))  # type: ignore[union-attr]
    with closing(sqlite3.connect(site.data_dir / DB_FILE)) as db:
        return str(db.execute("SELECT status FROM surveys_ballot WHERE id = ?", (ballot_id,)).fetchone()[0])


def figures(answers: list[Answer]) -> dict[str, object]:
    def percentile(values: list[float], q: int) -> float:
        return round(statistics.quantiles(values, n=100, method="inclusive")[q - 1], 1) if len(values) > 1 else 0.0

    saves = [a for a in answers if a.kind in ("autosave", "submit")]
    ms = [a.ms for a in saves]
    return {
        "saves": len(saves),
        "requests": len(answers),
        "errors": sum(not expected(a) for a in answers),
        "p50_ms": percentile(ms, 50),
        "p95_ms": percentile(ms, 95),
        "max_ms": round(max(ms), 1) if ms else 0.0,
        "statuses": dict(Counter(f"{a.kind} {a.status}" for a in answers)),
        "by_kind": {
            kind: {"count": len(times), "p50_ms": percentile(times, 50), "p95_ms": percentile(times, 95)}
            for kind in ("autosave", "submit", "reopen")
            if (times := [a.ms for a in answers if a.kind == kind])
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experts", type=int, default=24, help="experts saving at once (default 24, the demo's panel)")
    parser.add_argument("--saves", type=int, default=10, help="autosaves per expert before submitting (default 10)")
    parser.add_argument("--issue-links", metavar="JSON", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.issue_links:
        issue_links(args.issue_links)
        return
    with embedded_site() as site:
        if args.experts > len(site.links):
            sys.exit(f"the demo's panel has {len(site.links)} experts; ask for at most that many")
        experts = [Expert(site, link, random.Random(i)) for i, link in enumerate(site.links[: args.experts])]
        report = {"experts": args.experts, "autosaves_per_expert": args.saves, "cpus": os.cpu_count()}
        report.update(figures(run_concurrently(experts, lambda expert: expert.session(args.saves))))
    print(json.dumps(report, indent=2))
    if report["errors"]:
        sys.exit(f"{report['errors']} requests failed")


if __name__ == "__main__":
    main()
