"""The quick-start demo command."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import override_settings

from surveys.models import AuditEvent, Ballot, Item, ItemStatistic, Panelist, Study

if TYPE_CHECKING:
    from tests.conftest import Demo

pytestmark = pytest.mark.django_db(transaction=True)


def _run_demo() -> str:
    out = io.StringIO()
    call_command("demo", "--no-serve", stdout=out)
    return out.getvalue()


def _counts() -> dict[str, int]:
    return {
        "studies": Study.objects.count(),
        "items": Item.objects.count(),
        "panelists": Panelist.objects.count(),
        "rounds": Study.objects.get().rounds.count(),
        "ballots": Ballot.objects.count(),
        "users": get_user_model().objects.count(),
    }


def test_demo_builds_a_synthetic_panel_in_regional_groups(demo: Demo) -> None:
    output = demo.output
    study = Study.objects.get(slug="russia-taliban-recognition")
    panel = study.panelists.all()
    assert 20 <= panel.count() <= 30
    assert all(p.is_synthetic for p in panel)
    assert len({p.group for p in panel}) == 5
    assert study.is_rule_frozen
    assert "http://127.0.0.1:8000/admin/" in output
    assert "http://127.0.0.1:8000/facilitate/russia-taliban-recognition/" in output
    assert "username: facilitator" in output
    assert "/e/" in output and "synthetic" in output
    assert "http://127.0.0.1:8000/studies/russia-taliban-recognition/report/" in output


def test_running_the_demo_twice_duplicates_nothing(demo: Demo) -> None:
    first = _counts()  # after the first run (the session's, copied in)
    _run_demo()
    assert _counts() == first


def test_the_printed_facilitator_login_works(client, demo: Demo) -> None:  # type: ignore[no-untyped-def]
    output = demo.output
    password = output.split("password: ")[1].split()[0]
    # Through the sign-in form, as a person would (django-axes needs the request to check throttling).
    signed_in = client.post("/admin/login/?next=/facilitate/", {"username": "facilitator", "password": password})
    assert signed_in.status_code == 302 and signed_in["Location"] == "/facilitate/"
    assert client.get("/admin/surveys/study/").status_code == 200


def test_the_printed_invitation_link_opens_the_study(client, demo: Demo) -> None:  # type: ignore[no-untyped-def]
    output = demo.output
    url = next(word for word in output.split() if "/e/" in word)
    response = client.get(url.replace("http://127.0.0.1:8000", ""), follow=True)
    assert response.status_code == 200
    assert "Recognition of the Taliban by Russia" in response.content.decode()


def test_demo_simulates_three_aggregated_rounds_and_leaves_the_next_open_or_stopped(demo: Demo) -> None:
    study = Study.objects.get(slug="russia-taliban-recognition")
    statuses = dict(study.rounds.values_list("number", "status"))
    assert [statuses[n] for n in (1, 2, 3)] == ["aggregated"] * 3
    round_3 = study.rounds.get(number=3)
    assert statuses.get(4) == "open" or round_3.statistic.is_stop_met
    assert AuditEvent.objects.filter(study=study, action="round.aggregated").count() == 3


def test_demo_shows_consensus_forming_on_some_items_and_lasting_dissensus_on_others(demo: Demo) -> None:
    study = Study.objects.get(slug="russia-taliban-recognition")
    decided = ItemStatistic.objects.filter(round__study=study, group="", verdict__in=["in", "out"])
    assert decided.count() >= 5
    undecided_in_round_3 = ItemStatistic.objects.filter(round__study=study, round__number=3, group="", verdict="none")
    assert undecided_in_round_3.count() >= 3


def test_the_headline_question_stays_contested_between_groups(demo: Demo) -> None:
    study = Study.objects.get(slug="russia-taliban-recognition")
    headline = ItemStatistic.objects.filter(
        round__study=study, round__number=3, round_item__item__code="Q1", dimension__key="agreement"
    )
    assert headline.get(group="").verdict == "none"
    group_medians = [s.median for s in headline.exclude(group="")]
    assert len(group_medians) >= 3
    assert max(group_medians) - min(group_medians) >= 3


def test_experts_move_toward_the_group_between_rounds(demo: Demo) -> None:
    study = Study.objects.get(slug="russia-taliban-recognition")
    c11 = ItemStatistic.objects.filter(
        round__study=study, round_item__item__code="C11", dimension__key="agreement", group=""
    )
    iqr = dict(c11.values_list("round__number", "iqr"))
    assert iqr[3] < iqr[1]


def test_the_printed_links_follow_the_address_served(demo: Demo) -> None:
    # A run on the built demo (the session's, copied in) prints every link, as the first run does.
    out = io.StringIO()
    call_command("demo", "--no-serve", "--addrport", "0.0.0.0:8765", stdout=out)
    links = [word for word in out.getvalue().split() if word.startswith("http")]
    assert links and all(link.startswith("http://127.0.0.1:8765/") for link in links)


@pytest.mark.usefixtures("demo")  # the command runs on the built demo, as a second start would
def test_serving_prints_a_usable_address_and_keeps_the_settings_module(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.conf import settings

    from surveys.management.commands import demo

    served = {}

    def call(name: str, *args, **kwargs):  # type: ignore[no-untyped-def]
        if name != "runserver":
            return call_command(name, *args, **kwargs)
        served.update(addrport=args[0], settings_module=settings.SETTINGS_MODULE)  # what runserver's banner names
        return None

    monkeypatch.setattr(demo, "call_command", call)
    out = io.StringIO()
    # The tests already run under an override (whose SETTINGS_MODULE is None); name the module as manage.py does.
    with override_settings(SETTINGS_MODULE="delphi.settings"):
        call_command("demo", "--addrport", "8001", stdout=out)
    assert "Serving on http://127.0.0.1:8001/ " in out.getvalue()
    assert served == {"addrport": "8001", "settings_module": "delphi.settings"}
