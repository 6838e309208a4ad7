"""Study files: import, export, the round trip, and every kind of refused file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from surveys.errors import StudyFileError
from surveys.models import Item, Rating, Study
from surveys.services.study_files import study_export, study_import
from surveys.study_format import dump_yaml
from tests.factories import PanelistFactory, small_study, small_study_text

pytestmark = pytest.mark.django_db


def _mutated(**changes: object) -> str:
    data = yaml.safe_load(small_study_text())
    for dotted, value in changes.items():
        target = data
        *path, last = dotted.split("__")
        for key in path:
            target = target[int(key)] if key.isdigit() else target[key]
        target[int(last) if last.isdigit() else last] = value
    return yaml.safe_dump(data, sort_keys=False)


def _errors_of(text: str, filename: str = "bad.yaml") -> list[str]:
    with pytest.raises(StudyFileError) as caught:
        study_import(text=text, filename=filename)
    return [e.render(filename) for e in caught.value.errors]


def test_import_creates_the_study_with_its_dimensions_sections_and_items() -> None:
    study = small_study()
    assert study.title == "A small study"
    assert [d.key for d in study.dimensions.order_by("order")] == ["agreement", "feasibility"]
    r1 = study.items.get(code="R1")
    assert r1.kind == "recommendation"
    assert sorted(d.key for d in r1.dimensions.all()) == ["agreement", "feasibility"]
    assert study.items.get(code="C1").source_ref == "Roe, 2020"
    assert study.dimensions.get(key="agreement").scale_labels == {"1": "Strongly disagree", "9": "Strongly agree"}


def test_export_then_import_gives_the_same_study_back() -> None:
    study = small_study()
    exported = study_export(study=study)
    Study.objects.all().delete()
    again = study_import(text=dump_yaml(exported), filename="exported.yaml").study
    assert study_export(study=again) == exported


def test_export_writes_what_the_file_said() -> None:
    study = small_study()
    original = yaml.safe_load(small_study_text())
    exported = study_export(study=study)
    assert exported["items"] == original["items"]
    assert exported["dimensions"][0]["scale"] == original["dimensions"][0]["scale"]
    assert exported["consensus_rule"] == original["consensus_rule"]


def test_reimport_updates_by_slug_without_duplicating() -> None:
    small_study()
    text = small_study_text().replace("Water is wet.", "Water is very wet.")
    result = study_import(text=text, filename="v2.yaml")
    assert Study.objects.count() == 1
    assert result.items_updated == ["C2"]
    assert Item.objects.get(code="C2").text == "Water is very wet."


def test_reimporting_an_identical_file_changes_nothing() -> None:
    study = small_study()
    events = study.audit_events.count()
    result = study_import(text=small_study_text(), filename="same.yaml")
    assert (result.items_created, result.items_updated, result.items_removed) == ([], [], [])
    assert study.audit_events.count() == events


def test_malformed_yaml_is_refused_with_its_position() -> None:
    errors = _errors_of("format: delphi-study/1\nslug: [unclosed\n")
    assert len(errors) == 1
    assert errors[0].startswith("bad.yaml: yaml: malformed YAML at line")


def test_an_unknown_dimension_names_the_item_and_the_field() -> None:
    errors = _errors_of(_mutated(items__0__dimensions=["agreement", "charisma"]))
    assert any(e.startswith("bad.yaml: item C1: dimensions: unknown dimension 'charisma'") for e in errors)


def test_a_duplicate_item_code_is_refused() -> None:
    errors = _errors_of(_mutated(items__1__code="C1"))
    assert "bad.yaml: item C1: code: duplicate item code 'C1'" in errors


def test_a_scale_with_min_not_below_max_is_refused() -> None:
    errors = _errors_of(_mutated(dimensions__1__scale={"min": 5, "max": 5}))
    assert "bad.yaml: dimensions[1].scale: min (5) must be less than max (5)" in errors


def test_an_unknown_consensus_preset_is_refused_with_the_choices() -> None:
    errors = _errors_of(_mutated(consensus_rule={"preset": "vibes"}))
    assert len(errors) == 1
    assert "consensus_rule" in errors[0] and "vibes" in errors[0] and "cos" in errors[0]


def test_a_refused_file_changes_nothing_at_all() -> None:
    small_study()
    text = (
        small_study_text().replace("Water is wet.", "Changed.").replace("[agreement, feasibility]", "[agreement, nope]")
    )
    with pytest.raises(StudyFileError):
        study_import(text=text, filename="half.yaml")
    assert Item.objects.get(code="C2").text == "Water is wet."


def test_every_error_in_a_file_is_reported_at_once() -> None:
    errors = _errors_of(
        _mutated(items__1__code="C1", consensus_rule={"preset": "vibes"}, dimensions__1__scale={"min": 3, "max": 1})
    )
    assert len(errors) >= 3


def test_answered_items_cannot_change_once_round_one_is_open() -> None:
    from surveys.models import Ballot
    from surveys.services.rounds import round_create, round_open

    study = small_study()
    round_ = round_open(round=round_create(study=study))
    round_item = round_.round_items.get(item__code="C2")
    ballot = Ballot.objects.create(round=round_, panelist=PanelistFactory(study=study))
    Rating.objects.create(
        ballot=ballot,
        round_item=round_item,
        dimension=study.dimensions.get(key="agreement"),
        value=7,
        scale_min=1,
        scale_max=9,
    )
    errors = _errors_of(small_study_text().replace("Water is wet.", "Water is dry."))
    assert errors == ["bad.yaml: item C2: text: has answers; add a new item with `replaces` to reword it"]
    rule_errors = _errors_of(small_study_text().replace("{preset: cos}", "{preset: percent}"))
    assert rule_errors == ["bad.yaml: consensus_rule: is frozen since round 1 opened and cannot change"]
    # An unanswered item may still be reworded.
    study_import(text=small_study_text().replace("The sky is blue.", "The sky is often blue."), filename="ok.yaml")
    assert Item.objects.get(code="C1").text == "The sky is often blue."


def test_rewording_with_replaces_keeps_the_lineage() -> None:
    small_study()
    text = (
        small_study_text()
        + '  - {code: C3, kind: claim, section: claims, text: "Water is wet, mostly.",\n'
        + "     dimensions: [agreement], replaces: C2}\n"
    )
    study_import(text=text, filename="v2.yaml")
    assert Item.objects.get(code="C3").replaces == Item.objects.get(code="C2")


def test_import_command_exits_2_and_names_the_problem(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(_mutated(items__1__code="C1"))
    with pytest.raises(CommandError) as caught:
        call_command("import_study", str(path))
    assert caught.value.returncode == 2
    assert f"{path}: item C1: code: duplicate item code 'C1'" in str(caught.value)
    assert not Study.objects.exists()


def test_import_and_export_commands_round_trip_through_files(tmp_path: Path) -> None:
    source = tmp_path / "in.yaml"
    source.write_text(small_study_text())
    call_command("import_study", str(source))
    out = tmp_path / "out.yaml"
    call_command("export_study", "small-study", "--output", str(out))
    Study.objects.all().delete()
    call_command("import_study", str(out))
    again = tmp_path / "again.yaml"
    call_command("export_study", "small-study", "--output", str(again))
    assert again.read_text() == out.read_text()


def test_the_manage_py_process_exits_with_status_2_on_a_bad_file(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "bad.yaml"
    path.write_text("format: delphi-study/1\nslug: [\n")
    env = {"DELPHI_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "import_study", str(path)],
        cwd=Path(__file__).parent.parent,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 2
    assert "malformed YAML" in done.stderr
