"""Locust users for bench/load.py: experts who load the questionnaire and autosave,
and a few visitors of a trivial page (the home page, no session) as the baseline measured in the same
run. Started by bench/load.py, which sets DELPHI_LOAD_SESSIONS to a JSON file of the experts' sessions."""

from __future__ import annotations

import json
import os
import random
import re
from itertools import count

from locust import HttpUser, between, task

SESSIONS = json.loads(open(os.environ["DELPHI_LOAD_SESSIONS"]).read())  # noqa: SIM115 - read once at import
THINK = tuple(float(s) for s in os.environ.get("DELPHI_LOAD_THINK_S", "3,10").split(","))
NEXT = count()
FIELD = re.compile(r'name="(r\d+-[a-z_]+)" id="[^"]+" value="(\d+)"')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Expert(HttpUser):
    wait_time = between(*THINK)  # reading a statement, then choosing a rating (bench/load.py --think)
    weight = 20

    def on_start(self) -> None:
        # The session the expert's invitation link opened, and their begun ballot (bench/load.py sets
        # them up: opening the link and beginning happen once per expert, not under steady load).
        me = SESSIONS[next(NEXT) % len(SESSIONS)]
        self.client.cookies.set(me["cookie"], me["session"])
        self.ballot_url = me["ballot_url"]
        self.questionnaire()

    def _read(self, html: str) -> None:
        self.csrf = CSRF.search(html).group(1)  # type: ignore[union-attr]
        choices: dict[str, list[str]] = {}
        for name, value in FIELD.findall(html):
            choices.setdefault(name, []).append(value)
        self.choices = choices

    @task(1)
    def questionnaire(self) -> None:
        page = self.client.get(self.ballot_url, name="questionnaire")
        self._read(page.text)

    @task(6)
    def autosave(self) -> None:
        name = random.choice(list(self.choices))
        self.client.post(
            self.ballot_url + "autosave/",
            data={name: random.choice(self.choices[name])},
            headers={"X-CSRFToken": self.csrf, "Accept": "application/json", "Referer": self.host + self.ballot_url},
            name="autosave",
        )


class Baseline(HttpUser):
    """The trivial view: the home page, without a session, under the same load."""

    wait_time = between(*THINK)
    fixed_count = 10

    @task
    def home(self) -> None:
        self.client.get("/", name="trivial view (home page)")
