"""The study files' one YAML loader: no aliases, a size cap, the C parser, one parse, short values in errors."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import pytest
import yaml
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from surveys.errors import StudyFileError
from surveys.models import Study
from surveys.services.study_backup import study_backup_yaml
from surveys.study_yaml import MAX_FILE_BYTES, NoAliases, StudyFileLoader, load_study_yaml
from tests.factories import small_study, small_study_text

BILLION_LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + n)}: &{chr(98 + n)} [{', '.join([f'*{chr(97 + n)}'] * 9)}]\n" for n in range(9)
)


def _message(text: str) -> str:
    with pytest.raises(StudyFileError) as caught:
        load_study_yaml(text, "bad.yaml")
    return str(caught.value)


def test_a_billion_laughs_is_refused_for_its_aliases() -> None:
    message = _message(BILLION_LAUGHS)
    assert "bad.yaml: yaml: at line 1, column 4: uses an alias (*name)" in message
    assert "aliases are not allowed in a study file" in message


def test_an_alias_in_format_is_refused_before_anything_prints_it() -> None:
    text = BILLION_LAUGHS.replace("j: &j", "format: &j") + small_study_text().replace("format: delphi-study/1\n", "")
    assert "aliases are not allowed" in _message(text)


def test_a_self_referencing_alias_and_a_merge_key_are_refused_too() -> None:
    assert "aliases are not allowed" in _message("a: &a [*a]\n")
    assert "aliases are not allowed" in _message("a: &a {k: 1}\nb: {<<: *a, j: 2}\n")


def test_an_anchor_never_used_is_harmless() -> None:
    assert load_study_yaml("a: &a [1, 2]\nb: 3\n", "ok.yaml") == {"a": [1, 2], "b": 3}


def test_the_import_command_refuses_a_billion_laughs_with_status_2(tmp_path: Path, db: None) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(small_study_text() + "extra:\n  " + BILLION_LAUGHS.replace("\n", "\n  "))
    with pytest.raises(CommandError) as caught:
        call_command("import_study", str(path))
    assert caught.value.returncode == 2 and "aliases are not allowed" in str(caught.value)
    assert not Study.objects.exists()


def test_an_oversized_file_is_refused_naming_the_limit() -> None:
    text = "description: " + "x" * MAX_FILE_BYTES + "\n"
    message = _message(text)
    assert f"bad.yaml: file: has {MAX_FILE_BYTES + 14} bytes; the limit is {MAX_FILE_BYTES} bytes (2 MiB)" in message


def test_the_import_command_refuses_an_oversized_file_before_reading_it(tmp_path: Path, db: None) -> None:
    path = tmp_path / "huge.yaml"
    path.write_bytes(b"#" * (MAX_FILE_BYTES + 1))
    with mock.patch.object(Path, "read_text") as read, pytest.raises(CommandError) as caught:
        call_command("import_study", str(path))
    assert not read.called
    assert caught.value.returncode == 2 and f"the limit is {MAX_FILE_BYTES} bytes" in str(caught.value)


def test_the_api_refuses_an_oversized_text_naming_the_limit(db: None) -> None:
    api = _staff_api()
    text = "description: " + "é" * (MAX_FILE_BYTES // 2) + "\n"  # under the character limit, over the byte limit
    refused = api.post("/api/v1/studies/import/", {"content": text}, format="json")
    assert refused.status_code == 400 and f"the limit is {MAX_FILE_BYTES} bytes" in refused.content.decode()


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d.update(format="x" * 100_000),
        lambda d: d["settings"].update(outside_iqr_reason=["r" * 1000] * 1000),
        lambda d: d.update(consensus_rule={"preset": "percent", "threshold": "9" * 100_000}),
        lambda d: d.update(stopping_rule={"max_rounds": list(range(100_000))}),
    ],
    ids=["format", "setting", "consensus rule", "stopping rule"],
)
def test_a_long_value_in_an_error_is_truncated(edit: object, db: None) -> None:
    from surveys.services.study_files import study_import

    data = yaml.safe_load(small_study_text())
    edit(data)  # type: ignore[operator]
    with pytest.raises(StudyFileError) as caught:
        study_import(text=yaml.safe_dump(data), filename="long.yaml")
    (error,) = caught.value.errors
    assert "..." in error.message and len(error.message) < 200, error.message


def _staff_api() -> APIClient:
    client = APIClient()
    client.force_authenticate(get_user_model().objects.create_user("facilitator", password=None, is_staff=True))
    return client


def test_the_api_import_parses_the_file_once(db: None) -> None:
    api = _staff_api()
    with mock.patch("yaml.load", wraps=yaml.load) as load:
        created = api.post("/api/v1/studies/import/", {"content": small_study_text()}, format="json")
    assert created.status_code == 201, created.content
    assert load.call_count == 1
    assert load.call_args.kwargs["Loader"] is StudyFileLoader


def test_the_api_create_and_settings_change_parse_no_yaml_at_all(db: None) -> None:
    api = _staff_api()
    study = small_study()
    data = api.get(f"/api/v1/studies/{study.slug}/export/").json() | {"slug": "second"}
    with mock.patch("yaml.load", wraps=yaml.load) as load:
        assert api.post("/api/v1/studies/", data, format="json").status_code == 201
        assert api.patch("/api/v1/studies/second/", {"title": "Renamed"}, format="json").status_code == 200
    assert load.call_count == 0  # JSON in, parsed data passed on: nothing is dumped and parsed again


def test_the_import_command_parses_the_file_once_and_a_restore_too(tmp_path: Path, db: None) -> None:
    path = tmp_path / "study.yaml"
    path.write_text(small_study_text())
    with mock.patch("yaml.load", wraps=yaml.load) as load:
        call_command("import_study", str(path))
    assert load.call_count == 1
    backup = tmp_path / "backup.yaml"
    backup.write_text(study_backup_yaml(study=Study.objects.get()))
    Study.objects.all().delete()
    with mock.patch("yaml.load", wraps=yaml.load) as load:
        call_command("import_study", str(backup), "--with-data")
    assert load.call_count == 1 and Study.objects.filter(slug="small-study").exists()


def test_the_c_loader_is_used_when_pyyaml_has_libyaml() -> None:
    expected = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader
    assert issubclass(StudyFileLoader, expected)


def test_the_pure_python_fallback_refuses_aliases_and_reads_the_same() -> None:
    class PureLoader(NoAliases, yaml.SafeLoader):
        pass

    with pytest.raises(yaml.constructor.ConstructorError, match="aliases are not allowed"):
        yaml.load(BILLION_LAUGHS, Loader=PureLoader)  # noqa: S506 - a SafeLoader subclass
    text = small_study_text()
    assert yaml.load(text, Loader=PureLoader) == load_study_yaml(text, "s.yaml") == yaml.safe_load(text)  # noqa: S506


def test_the_api_refuses_a_file_of_only_comments_as_not_a_study(db: None) -> None:
    refused = _staff_api().post("/api/v1/studies/import/", {"content": "# nothing here\n"}, format="json")
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"] == {"(top level)": ["must be a mapping of study fields"]}
