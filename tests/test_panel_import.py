"""Importing the panel from CSV: one error per bad row, all or nothing, in the browser and headless."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from surveys.models import AuditEvent, Panelist, Study
from surveys.services.panel import panelist_create
from surveys.services.panel_import import (
    PanelImportError,
    PanelRow,
    panel_csv_parse,
    panel_import,
    panel_import_preview,
)
from tests.factories import small_study


def bilingual_study() -> Study:
    """A study declaring English and Russian, so the file's "RU" is one of its languages."""
    study = small_study()
    study.languages = ["en", "ru"]
    study.save(update_fields=["languages"])
    return study


GOOD = "email,name,group,language\nana@example.org,Ana,Europe,en\nbo@example.org,Bo,Asia,RU\n"
BAD = (
    "email,name,group,language\n"
    "ana@example.org,Ana,Europe,en\n"  # line 2: fine
    "not-an-email,Bad,Europe,en\n"  # line 3: bad email
    "ANA@example.org,Ana again,Europe,en\n"  # line 4: duplicate of line 2 (case-insensitive)
    ",Nobody,Asia,en\n"  # line 5: missing email
    "taken@example.org,Taken,Asia,en\n"  # line 6: already on the panel (checked against the database)
)


def _messages(errors) -> dict[int, str]:  # type: ignore[no-untyped-def]
    return {e.line: e.message for e in errors}


# --- parsing (pure) -------------------------------------------------------------------------------------


def test_a_good_file_gives_one_row_per_expert_with_lower_cased_emails() -> None:
    rows, errors = panel_csv_parse("Email,Name,Group\nAna@Example.org , Ana , Europe\n")
    assert errors == []
    assert rows == [PanelRow(line=2, email="ana@example.org", name="Ana", group="Europe", language="en")]


def test_each_bad_row_gets_its_own_error_with_its_line() -> None:
    rows, errors = panel_csv_parse(BAD)
    assert [r.line for r in rows] == [2, 6]
    assert _messages(errors) == {
        3: "'not-an-email' is not a valid email address",
        4: "ana@example.org is a duplicate of line 2",
        5: "the email is missing",
    }


def test_a_file_without_an_email_column_is_refused_at_its_header() -> None:
    rows, errors = panel_csv_parse("name,group\nAna,Europe\n")
    assert rows == []
    assert _messages(errors) == {
        1: "there is no 'email' column; the columns are email, name, group, language (email is required)"
    }


def test_an_unknown_column_is_refused_rather_than_silently_dropped() -> None:
    _, errors = panel_csv_parse("email,grup\nana@example.org,Europe\n")
    assert "unknown column 'grup'" in errors[0].message


def test_semicolons_a_byte_order_mark_and_blank_lines_are_accepted() -> None:
    rows, errors = panel_csv_parse("\ufeffemail;name;group\n\nana@example.org;Ana;Europe\n")
    assert errors == []
    assert [(r.line, r.email, r.group) for r in rows] == [(3, "ana@example.org", "Europe")]


def test_an_empty_file_a_header_alone_and_a_row_with_too_many_cells_are_each_explained() -> None:
    assert "the file is empty" in panel_csv_parse("  \n")[1][0].message
    assert "a header but no experts" in panel_csv_parse("email\n")[1][0].message
    _, errors = panel_csv_parse("email,name\nana@example.org,Ana,Extra\n")
    assert _messages(errors) == {2: "the row has 3 cells; the header names 2"}


def test_a_bad_language_code_is_reported() -> None:
    _, errors = panel_csv_parse("email,language\nana@example.org,English please\n")
    assert errors[0].message == "the language 'English please' is not one of this study's languages: en, ru"


@pytest.mark.django_db
def test_a_language_the_study_does_not_declare_is_refused_naming_the_ones_it_does() -> None:
    preview = panel_import_preview(study=small_study(), text=GOOD)  # declares English only
    assert _messages(preview.errors) == {3: "the language 'RU' is not one of this study's languages: en"}


# --- preview and import ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_preview_adds_an_error_for_experts_already_on_the_panel() -> None:
    study = bilingual_study()
    panelist_create(study=study, email="taken@example.org")
    preview = panel_import_preview(study=study, text=BAD)
    assert _messages(preview.errors)[6] == "taken@example.org is already on the panel"
    assert [r.line for r in preview.rows] == [2]
    assert not preview.is_valid
    assert study.panelists.count() == 1  # the preview writes nothing


@pytest.mark.django_db
def test_importing_adds_every_row_with_a_pseudonym_and_a_hashed_token() -> None:
    study = bilingual_study()
    rows, _ = panel_csv_parse(GOOD)
    added = panel_import(study=study, rows=rows)
    assert [(p.email, p.name, p.group, p.language) for p in added] == [
        ("ana@example.org", "Ana", "Europe", "en"),
        ("bo@example.org", "Bo", "Asia", "ru"),
    ]
    assert len({p.pseudonym for p in added}) == 2
    assert all(len(p.token_hash) == 64 for p in added)
    assert AuditEvent.objects.get(study=study, action="panel.imported").detail == {"added": 2}


@pytest.mark.django_db
def test_an_import_with_one_bad_row_adds_nobody() -> None:
    study = bilingual_study()
    rows = [PanelRow(2, "ana@example.org"), PanelRow(3, "not-an-email")]
    with pytest.raises(PanelImportError, match="line 3: 'not-an-email' is not a valid email address") as refused:
        panel_import(study=study, rows=rows)
    assert [e.line for e in refused.value.errors] == [3]
    assert not study.panelists.exists()


@pytest.mark.django_db
def test_rows_that_waited_for_confirmation_are_checked_again_against_the_panel() -> None:
    study = bilingual_study()
    preview = panel_import_preview(study=study, text=GOOD)
    panelist_create(study=study, email="bo@example.org")  # someone added Bo meanwhile
    with pytest.raises(PanelImportError, match=r"bo@example\.org is already on the panel"):
        panel_import(study=study, rows=preview.rows)
    assert list(study.panelists.values_list("email", flat=True)) == ["bo@example.org"]


# --- the facilitator's pages -------------------------------------------------------------------------------


@pytest.fixture
def staff_client(client: Client) -> Client:
    client.force_login(get_user_model().objects.create_user("facilitator", password="x", is_staff=True))
    return client


def _upload(client: Client, slug: str, text: str | bytes):  # type: ignore[no-untyped-def]
    data = text.encode() if isinstance(text, str) else text
    return client.post(
        reverse("facilitator:panel_import", args=[slug]), {"file": SimpleUploadedFile("panel.csv", data, "text/csv")}
    )


@pytest.mark.django_db
def test_the_upload_shows_a_preview_and_imports_only_after_confirmation(staff_client: Client) -> None:
    study = bilingual_study()
    preview = _upload(staff_client, study.slug, GOOD)
    assert preview.status_code == 200
    html = preview.content.decode()
    assert "2 experts to add" in html and "bo@example.org" in html
    assert not study.panelists.exists()

    done = staff_client.post(reverse("facilitator:panel_import_confirm", args=[study.slug]), follow=True)
    assert "2 experts joined the panel" in done.content.decode()
    assert sorted(study.panelists.values_list("email", flat=True)) == ["ana@example.org", "bo@example.org"]
    again = staff_client.post(reverse("facilitator:panel_import_confirm", args=[study.slug]), follow=True)
    assert "There is no checked file to import" in again.content.decode()
    assert study.panelists.count() == 2


@pytest.mark.django_db
def test_the_preview_lists_an_error_per_bad_row_and_offers_no_confirmation(staff_client: Client) -> None:
    study = bilingual_study()
    panelist_create(study=study, email="taken@example.org")
    html = _upload(staff_client, study.slug, BAD).content.decode()
    assert "4 rows need fixing; nobody was added" in html
    for message in ("is not a valid email address", "is a duplicate of line 2", "the email is missing", "already on"):
        assert message in html
    assert reverse("facilitator:panel_import_confirm", args=[study.slug]) not in html
    confirm = staff_client.post(reverse("facilitator:panel_import_confirm", args=[study.slug]))
    assert confirm.status_code == 302
    assert study.panelists.count() == 1


@pytest.mark.django_db
def test_a_file_that_is_not_utf8_is_refused_with_advice_not_a_500(staff_client: Client) -> None:
    study = bilingual_study()
    response = _upload(staff_client, study.slug, "email,name\nzoë@example.org,Zoë\n".encode("utf-16"))
    assert response.status_code == 400
    assert "save it as &#x27;CSV UTF-8&#x27;" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("content", [",,,\n", ";\n;\n", '""\n'])
def test_a_file_of_separators_only_is_explained_not_a_500(staff_client: Client, content: str) -> None:
    study = bilingual_study()
    response = _upload(staff_client, study.slug, content)
    assert response.status_code == 200
    assert "the file is empty" in response.content.decode()
    assert not study.panelists.exists()


@pytest.mark.django_db
def test_an_upload_without_a_file_is_a_form_error(staff_client: Client) -> None:
    study = bilingual_study()
    response = staff_client.post(reverse("facilitator:panel_import", args=[study.slug]), {})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()


# --- the headless command ------------------------------------------------------------------------------------


def _command(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("panel_import", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_the_command_imports_a_good_file(tmp_path: Path) -> None:
    study = bilingual_study()
    path = tmp_path / "panel.csv"
    path.write_text(GOOD, encoding="utf-8")
    out, _ = _command(study.slug, str(path))
    assert "added 2 expert(s) to 'small-study'" in out
    assert study.panelists.count() == 2


@pytest.mark.django_db
def test_the_command_prints_each_bad_row_exits_2_and_imports_nothing(tmp_path: Path) -> None:
    study = bilingual_study()
    panelist_create(study=study, email="taken@example.org")
    path = tmp_path / "panel.csv"
    path.write_text(BAD, encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError, match="4 bad row\\(s\\); nobody was added") as refused:
        call_command("panel_import", study.slug, str(path), stdout=io.StringIO(), stderr=err)
    assert refused.value.returncode == 2
    lines = err.getvalue().splitlines()
    assert lines == [
        f"{path}: line 3: 'not-an-email' is not a valid email address",
        f"{path}: line 4: ana@example.org is a duplicate of line 2",
        f"{path}: line 5: the email is missing",
        f"{path}: line 6: taken@example.org is already on the panel",
    ]
    assert list(Panelist.objects.values_list("email", flat=True)) == ["taken@example.org"]


@pytest.mark.django_db
def test_the_command_dry_run_adds_nobody(tmp_path: Path) -> None:
    study = bilingual_study()
    path = tmp_path / "panel.csv"
    path.write_text(GOOD, encoding="utf-8")
    out, _ = _command(study.slug, str(path), "--dry-run")
    assert "2 expert(s) would be added" in out
    assert not study.panelists.exists()


@pytest.mark.django_db
def test_the_command_refuses_a_missing_file_and_an_unknown_study(tmp_path: Path) -> None:
    bilingual_study()
    with pytest.raises(CommandError, match="cannot read the file") as missing:
        _command("small-study", str(tmp_path / "absent.csv"))
    assert missing.value.returncode == 2
    with pytest.raises(CommandError, match="There is no study 'nope'"):
        _command("nope", str(tmp_path / "absent.csv"))
