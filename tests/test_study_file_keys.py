"""Study files refuse every key they do not know, naming it and the nearest known one; ``settings.time_zone``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from surveys.api.serializers import study_file as file_serializers
from surveys.errors import StudyFileError
from surveys.models import Study
from surveys.services.study_backup import study_backup_yaml
from surveys.services.study_files import study_export, study_import
from surveys.study_format import FILE_KEYS, dump_yaml
from tests.factories import small_study, small_study_text

pytestmark = pytest.mark.django_db

SEED = Path(__file__).parent.parent / "surveys" / "studies"


def _file(edit: Any) -> str:
    data = yaml.safe_load(small_study_text())
    edit(data)
    return yaml.safe_dump(data, sort_keys=False)


def _errors_of(text: str, filename: str = "bad.yaml") -> list[str]:
    with pytest.raises(StudyFileError) as caught:
        study_import(text=text, filename=filename)
    assert not Study.objects.exists(), "a refused file must change nothing"
    return [e.render(filename) for e in caught.value.errors]


def test_a_misspelt_setting_is_refused_not_imported_as_the_default() -> None:
    text = _file(lambda d: d["settings"].update(outside_iqr_reson="required"))
    assert _errors_of(text) == [
        "bad.yaml: settings.outside_iqr_reson: is not a key of settings; did you mean 'outside_iqr_reason'?"
    ]


def test_a_misspelt_item_key_names_the_item() -> None:
    text = _file(lambda d: d["items"][1].update(txet=d["items"][1].pop("text")))
    errors = _errors_of(text)
    assert "bad.yaml: item C2: txet: is not a key of item C2; did you mean 'text'?" in errors
    assert "bad.yaml: item C2: text: is required" in errors  # and the real key is then missing


def test_a_misspelt_dimension_key_names_the_dimension() -> None:
    text = _file(lambda d: d["dimensions"][0].update(lable="Agreement"))
    assert _errors_of(text) == [
        "bad.yaml: dimensions[0].lable: is not a key of dimension 'agreement'; did you mean 'label'?"
    ]


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda d: d.update(stoping_rule={}), "stoping_rule: is not a key of a study file (top level); did you mean"),
        (lambda d: d["source"].update(citaton="x"), "source.citaton: is not a key of source; did you mean 'citation'?"),
        (
            lambda d: d["dimensions"][1]["scale"].update(maximum=5),
            "dimensions[1].scale.maximum: is not a key of the scale of dimension 'feasibility'; did you mean 'max'?",
        ),
        (lambda d: d["sections"][0].update(titel="x"), "sections[0].titel: is not a key of section 'claims'; did you"),
        (
            lambda d: d.update(consensus_rule={"preset": "percent", "treshold": 0.8}),
            "consensus_rule.treshold: is not a parameter of preset 'percent'; did you mean 'threshold'?",
        ),
        (
            lambda d: d.update(stopping_rule={"max_round": 3}),
            "stopping_rule.max_round: is not a stopping rule field; did you mean 'max_rounds'?",
        ),
        (
            lambda d: d.update(consensus_rule={"preset": "custom", "criteria": [{"stat": "iqr", "opp": "<="}]}),
            "consensus_rule.criteria[0].opp: is not a criterion field; did you mean 'op'?",
        ),
    ],
    ids=["top level", "source", "scale", "section", "consensus rule", "stopping rule", "criterion"],
)
def test_every_mapping_of_the_file_refuses_a_misspelt_key_and_suggests_the_right_one(edit: Any, expected: str) -> None:
    errors = _errors_of(_file(edit))
    assert any(expected in e for e in errors), errors


def test_a_key_like_no_known_one_lists_the_known_keys() -> None:
    text = _file(lambda d: d["settings"].update(zzz=1))
    assert _errors_of(text) == [
        "bad.yaml: settings.zzz: is not a key of settings; the known keys are "
        "min_group_size, outside_iqr_reason, expertise_weighting, time_zone, bootstrap_resamples"
    ]


def test_a_backup_imported_as_a_plain_file_is_refused_with_the_way_to_restore_it() -> None:
    study = small_study()
    text = study_backup_yaml(study=study)
    Study.objects.all().delete()
    errors = _errors_of(text)
    assert len(errors) == 1 and "bad.yaml: data: is the data section of a backup" in errors[0]
    assert "import_study --with-data" in errors[0]


def _mapping_keys(data: dict[str, Any]) -> Iterator[tuple[str, set[str]]]:
    """Each mapping of a study file with the kind of mapping it is (as ``FILE_KEYS`` names them)."""
    yield "(top level)", set(data)
    for name in ("source", "settings"):
        if name in data:
            yield name, set(data[name])
    for dimension in data["dimensions"]:
        yield "dimension", set(dimension)
        yield "scale", set(dimension["scale"])
    for section in data["sections"]:
        yield "section", set(section)
    for item in data["items"]:
        yield "item", set(item)


def test_export_writes_only_keys_the_importer_knows_and_round_trips() -> None:
    study = study_import(text=(SEED / "russia-taliban-recognition.yaml").read_text(), filename="seed.yaml").study
    exported = study_export(study=study)
    for kind, keys in _mapping_keys(exported):
        assert keys <= set(FILE_KEYS[kind]), (kind, keys - set(FILE_KEYS[kind]))
    Study.objects.all().delete()
    again = study_import(text=dump_yaml(exported), filename="exported.yaml").study
    assert study_export(study=again) == exported


# --- settings.time_zone -------------------------------------------------------------------------


def test_the_time_zone_defaults_to_utc_and_is_exported() -> None:
    study = small_study()
    assert study.time_zone == "UTC"
    assert study_export(study=study)["settings"]["time_zone"] == "UTC"


def test_the_time_zone_is_imported_exported_and_imported_back(tmp_path: Path) -> None:
    source = tmp_path / "in.yaml"
    source.write_text(_file(lambda d: d["settings"].update(time_zone="Asia/Kabul")))
    call_command("import_study", str(source))
    assert Study.objects.get().time_zone == "Asia/Kabul"
    out = tmp_path / "out.yaml"
    call_command("export_study", "small-study", "--output", str(out))
    assert yaml.safe_load(out.read_text())["settings"]["time_zone"] == "Asia/Kabul"
    Study.objects.all().delete()
    call_command("import_study", str(out))
    assert Study.objects.get().time_zone == "Asia/Kabul"


def test_changing_only_the_time_zone_is_an_update() -> None:
    small_study()
    study_import(text=_file(lambda d: d["settings"].update(time_zone="Europe/Berlin")), filename="tz.yaml")
    assert Study.objects.get().time_zone == "Europe/Berlin"


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("Mars/Olympus", "'Mars/Olympus' is not an IANA time zone name, e.g. UTC, Europe/Berlin or Asia/Kabul"),
        ("europe/berlin", "'europe/berlin' is not an IANA time zone name; did you mean 'Europe/Berlin'?"),
        ("../../etc/passwd", "'../../etc/passwd' is not an IANA time zone name"),
        ("Europe", "'Europe' is not an IANA time zone name"),
        (3, "3 is not an IANA time zone name"),
    ],
)
def test_a_bad_time_zone_is_refused_naming_it(zone: object, expected: str) -> None:
    errors = _errors_of(_file(lambda d: d["settings"].update(time_zone=zone)))
    assert len(errors) == 1 and errors[0].startswith(f"bad.yaml: settings.time_zone: {expected}"), errors


def test_the_import_command_names_the_misspelt_key(tmp_path: Path) -> None:
    path = tmp_path / "typo.yaml"
    path.write_text(_file(lambda d: d["settings"].update(outside_iqr_reson="required")))
    with pytest.raises(CommandError) as caught:
        call_command("import_study", str(path))
    assert caught.value.returncode == 2
    assert f"{path}: settings.outside_iqr_reson: is not a key of settings; did you mean" in str(caught.value)


# --- the API: the same keys, refused the same way -----------------------------------------------

SERIALIZERS = {
    "(top level)": file_serializers.StudyFileSerializer,
    "source": file_serializers.SourceSerializer,
    "settings": file_serializers.SettingsSerializer,
    "dimension": file_serializers.DimensionFileSerializer,
    "scale": file_serializers.ScaleSerializer,
    "section": file_serializers.SectionFileSerializer,
    "item": file_serializers.ItemFileSerializer,
}


@pytest.mark.parametrize("kind", sorted(FILE_KEYS))
def test_the_api_serializers_take_exactly_the_keys_the_parser_declares(kind: str) -> None:
    assert set(SERIALIZERS[kind]().fields) == set(FILE_KEYS[kind])


def _staff_api() -> Any:
    from django.contrib.auth import get_user_model
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(get_user_model().objects.create_user("facilitator", password=None, is_staff=True))
    return client


def test_the_api_refuses_a_misspelt_key_in_a_created_study() -> None:
    api = _staff_api()
    study = small_study()
    data = study_export(study=study) | {"slug": "second"}
    data["settings"]["outside_iqr_reson"] = "required"
    data["items"][1]["txet"] = "x"
    refused = api.post("/api/v1/studies/", data, format="json")
    assert refused.status_code == 400, refused.content
    body = refused.content.decode()
    assert "is not a key of settings; did you mean 'outside_iqr_reason'?" in body
    assert "is not a key of item 'C2'; did you mean 'text'?" in body
    assert not Study.objects.filter(slug="second").exists()


def test_the_api_refuses_a_misspelt_setting_in_a_patch_and_accepts_the_time_zone() -> None:
    api = _staff_api()
    study = small_study()
    refused = api.patch(f"/api/v1/studies/{study.slug}/", {"settings": {"time_zon": "Asia/Kabul"}}, format="json")
    assert refused.status_code == 400 and "did you mean 'time_zone'?" in refused.content.decode()
    changed = api.patch(f"/api/v1/studies/{study.slug}/", {"settings": {"time_zone": "Asia/Kabul"}}, format="json")
    assert changed.status_code == 200 and changed.json()["time_zone"] == "Asia/Kabul"
    bad = api.patch(f"/api/v1/studies/{study.slug}/", {"settings": {"time_zone": "Asia/Kabu"}}, format="json")
    assert bad.status_code == 400 and "'Asia/Kabu' is not an IANA time zone name" in bad.content.decode()
    assert Study.objects.get().time_zone == "Asia/Kabul"


def test_the_api_import_refuses_a_misspelt_key_in_an_uploaded_file() -> None:
    api = _staff_api()
    text = _file(lambda d: d["dimensions"][0].update(lable="x"))
    refused = api.post("/api/v1/studies/import/", {"content": text, "filename": "up.yaml"}, format="json")
    assert refused.status_code == 400 and "did you mean 'label'?" in refused.content.decode()
    assert not Study.objects.exists()
