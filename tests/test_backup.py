"""Backup and restore: export_study --with-data and import_study --with-data round-trip a whole study."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from surveys.models import ItemStatistic, RatingRevision, Study, Suggestion
from surveys.services.aggregation import round_aggregate
from surveys.services.rounds import item_reword, round_close, round_create, round_next, round_open
from surveys.services.study_backup import study_backup_yaml, study_data_export
from tests.factories import answer_round, consented_panel, small_study

pytestmark = pytest.mark.django_db


def _two_rounds() -> Study:
    study = small_study()
    round_1 = round_open(round=round_create(study=study))
    panel = consented_panel(study, ["A", "A", "A", "B"])
    answer_round(round_1, {p: {("C1", "agreement"): 8, ("C2", "agreement"): 2 + 2 * i} for i, p in enumerate(panel)})
    round_close(round=round_1, aggregate=False)
    round_aggregate(round=round_1)
    round_2 = round_next(study=study)
    item_reword(round=round_2, item=study.items.get(code="C2"), text="Water is usually wet.")
    round_open(round=round_2)
    answer_round(round_2, {p: {("C2r2", "agreement"): 6 + (i % 2)} for i, p in enumerate(panel[:3])})
    round_close(round=round_2, aggregate=False)
    round_aggregate(round=round_2)
    Suggestion.objects.create(study=study, round=round_1, panelist=panel[0], text="Ask about rivers.")
    return study


def _restore(path: Path) -> Study:
    Study.objects.all().delete()
    call_command("import_study", str(path), "--with-data", stdout=open("/dev/null", "w"))  # noqa: SIM115
    return Study.objects.get()


def test_a_whole_study_round_trips_through_a_backup_into_an_empty_database(tmp_path: Path) -> None:
    study = _two_rounds()
    before = study_data_export(study=study)
    path = tmp_path / "backup.yaml"
    call_command("export_study", study.slug, "--with-data", "--output", str(path), stdout=open("/dev/null", "w"))  # noqa: SIM115
    restored = _restore(path)
    after = study_data_export(study=restored)
    assert after == before
    assert restored.rounds.count() == 2
    assert restored.items.get(code="C2r2").replaces.code == "C2"
    assert RatingRevision.objects.count() == sum(
        len(r["revisions"]) for rd in before["data"]["rounds"] for b in rd["ballots"] for r in b["ratings"]
    )
    assert ItemStatistic.objects.filter(round__number=2, group="").exists()


def test_restored_panelists_keep_their_invitation_links(tmp_path: Path, client) -> None:  # type: ignore[no-untyped-def]
    from surveys.services.panel import panelist_token_rotate

    study = _two_rounds()
    raw = panelist_token_rotate(panelist=study.panelists.first())
    path = tmp_path / "backup.yaml"
    path.write_text(study_backup_yaml(study=study))
    _restore(path)
    assert client.get(f"/e/{raw}/").status_code in (200, 302)


def test_a_pseudonymised_backup_holds_no_email_name_or_token(tmp_path: Path) -> None:
    study = _two_rounds()
    emails = list(study.panelists.values_list("email", flat=True))
    names = [n for n in study.panelists.values_list("name", flat=True) if n]
    hashes = list(study.panelists.values_list("token_hash", flat=True))
    text = study_backup_yaml(study=study, pseudonymise=True)
    assert not any(secret in text for secret in emails + names + hashes)
    restored_path = tmp_path / "pseudo.yaml"
    restored_path.write_text(text)
    restored = _restore(restored_path)
    assert restored.rounds.count() == 2
    assert all(e.endswith("@pseudonymised.invalid") for e in restored.panelists.values_list("email", flat=True))


def test_restoring_over_an_existing_study_is_refused(tmp_path: Path) -> None:
    study = _two_rounds()
    path = tmp_path / "backup.yaml"
    path.write_text(study_backup_yaml(study=study))
    with pytest.raises(CommandError, match="already exists"):
        call_command("import_study", str(path), "--with-data")


def test_restoring_a_plain_study_file_with_data_flag_names_what_is_missing(tmp_path: Path) -> None:
    path = tmp_path / "plain.yaml"
    path.write_text(yaml.safe_dump({"format": "delphi-study/1", "slug": "x"}))
    with pytest.raises(CommandError, match="data: is missing"):
        call_command("import_study", str(path), "--with-data")


def test_a_backup_with_an_unreadable_required_time_is_refused_naming_it(tmp_path: Path) -> None:
    data = study_data_export(study=_two_rounds())
    data["data"]["rounds"][0]["summary"]["computed_at"] = "last Tuesday"
    path = tmp_path / "backup.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    refusal = r"data\.rounds\.summary\.computed_at: 'last Tuesday' is not an ISO 8601 time"
    with pytest.raises(CommandError, match=refusal):
        _restore(path)
    assert not Study.objects.exists()  # nothing of it was kept
