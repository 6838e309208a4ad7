"""The services send tasks by name (surveys/services/queue.py); in the embedded default the task still
runs in-process as it is sent, even in a process where nothing imported ``surveys.tasks``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from surveys.models import Round
from surveys.services import queue
from surveys.services.rounds import round_close, round_create, round_open
from tests.factories import answer_round, consented_panel, small_study, small_study_text

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_a_task_sent_by_name_runs_right_there_in_the_embedded_default() -> None:
    study = small_study()
    round_ = round_open(round=round_create(study=study))
    answer_round(round_, {p: {("C1", "agreement"): 8} for p in consented_panel(study, ["A", "A", "A"])})
    round_close(round=round_, aggregate=False)
    assert queue.enqueue(queue.AGGREGATE_ROUND, round_.pk) is True
    assert Round.objects.get(pk=round_.pk).status == Round.Status.AGGREGATED


def test_a_name_no_task_is_registered_under_is_refused() -> None:
    with pytest.raises(LookupError, match=r"surveys\.tasks\.nope"):
        queue.enqueue("surveys.tasks.nope", 1)


# One fresh process, as ``manage.py`` runs one command after another: nothing has imported the tasks.
SCRIPT = """
import io, sys
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
call_command("import_study", sys.argv[1], stdout=io.StringIO())
call_command("panel_import", "small-study", sys.argv[2], stdout=io.StringIO())
assert "surveys.tasks" not in sys.modules, "a task module was imported before the command"
call_command("round", "open", "small-study", "--invite")
"""


def test_in_a_fresh_process_the_round_command_delivers_the_invitations_it_queued(tmp_path: Path) -> None:
    """No module of the app imports the tasks; the queue has Celery's loader register them, so the
    eager send runs the task instead of leaving it on the in-memory broker, as ``send_task`` would."""
    (tmp_path / "study.yaml").write_text(small_study_text(), encoding="utf-8")
    (tmp_path / "panel.csv").write_text("email,name\na@example.org,Ann\nb@example.org,Bob\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env |= {
        "DJANGO_SETTINGS_MODULE": "delphi.settings",
        "DELPHI_DATA_DIR": str(tmp_path),
        "DELPHI_EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
    }
    argv = [sys.executable, "-c", SCRIPT, str(tmp_path / "study.yaml"), str(tmp_path / "panel.csv")]
    opened = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)  # noqa: S603
    assert opened.returncode == 0, opened.stderr
    assert "Invitations for round 1: 2 sent, 0 already sent." in opened.stdout
    assert opened.stdout.count("To: ") == 2  # the console backend printed both emails
