"""One rule for reading an uploaded file as text (surveys.text_input.decode_upload): UTF-8 with or
without a byte-order mark, refused when not UTF-8 or over its size limit, the same way through the
facilitator's page, the API and the commands, each with its own words (issue 19, item 8)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from rest_framework.test import APIClient

from surveys.models import Study
from surveys.study_yaml import MAX_FILE_BYTES as STUDY_MAX
from surveys.text_input import UploadError, decode_upload
from tests.factories import small_study, small_study_text

BOM = b"\xef\xbb\xbf"
LATIN1_PANEL = "email,name\nz@example.org,Zoë\n".encode("latin-1")


# --- the helper --------------------------------------------------------------------------------------


def test_a_byte_order_mark_is_dropped_and_the_text_kept() -> None:
    assert decode_upload(BOM + "email\nzoë@example.org\n".encode(), max_bytes=100) == "email\nzoë@example.org\n"
    assert decode_upload(b"no mark", max_bytes=100) == "no mark"


def test_bytes_that_are_not_utf8_are_refused_naming_the_file_the_line_and_the_byte() -> None:
    with pytest.raises(UploadError) as refused:
        decode_upload(BOM + LATIN1_PANEL, max_bytes=100, what="panel.csv")
    assert refused.value.code == "not_utf8"
    assert str(refused.value) == "panel.csv is not UTF-8 text (line 2 holds the byte 0xEB, which is not UTF-8)."


def test_a_file_over_the_limit_is_refused_naming_its_size_and_the_limit() -> None:
    assert decode_upload(b"x" * 10, max_bytes=10) == "x" * 10  # the limit itself is allowed
    with pytest.raises(UploadError) as refused:
        decode_upload(b"x" * 11, max_bytes=10, what="The file")
    assert refused.value.code == "too_large"
    assert str(refused.value) == "The file has 11 bytes; the limit is 10 bytes."
    with pytest.raises(UploadError, match=r"has 2097153 bytes; the limit is 2097152 bytes \(2 MiB\)"):
        decode_upload(b"x" * (2 * 1024 * 1024 + 1), max_bytes=2 * 1024 * 1024)


def test_an_uploaded_file_over_the_limit_is_refused_before_it_is_read() -> None:
    upload = SimpleUploadedFile("big.csv", b"x" * 50)
    with pytest.raises(UploadError, match="has 50 bytes"):
        decode_upload(upload, max_bytes=40)
    assert upload.file.tell() == 0  # nothing was read


def test_a_stream_of_unknown_size_is_read_only_up_to_the_limit() -> None:
    stream = io.BytesIO(b"x" * 1000)
    with pytest.raises(UploadError, match="has more than 40 bytes; the limit is 40 bytes"):
        decode_upload(stream, max_bytes=40)
    assert stream.tell() == 41


def test_a_path_over_the_limit_is_refused_before_it_is_opened(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"#" * 50)
    with mock.patch.object(Path, "open") as opened, pytest.raises(UploadError, match=r"big\.yaml has 50 bytes"):
        decode_upload(path, max_bytes=40, what=str(path))
    assert not opened.called


# --- each way a file comes in ------------------------------------------------------------------------


def _staff_client() -> Client:
    client = Client()
    user, _ = get_user_model().objects.get_or_create(username="facilitator", defaults={"is_staff": True})
    client.force_login(user)
    return client


def _staff_api() -> APIClient:
    api = APIClient()
    api.force_authenticate(get_user_model().objects.create_user("api-staff", password="x", is_staff=True))
    return api


def _page_upload(study: Study, content: bytes) -> str:
    upload = SimpleUploadedFile("p.csv", content)
    page = _staff_client().post(f"/facilitate/{study.slug}/panel/import/", {"file": upload})
    return str(page.status_code) + " " + page.content.decode()


@pytest.mark.django_db
def test_the_panel_page_reads_a_bom_file_and_refuses_bad_bytes_and_a_big_file_with_its_words() -> None:
    study = small_study()
    assert _page_upload(study, BOM + b"email\nzed@example.org\n").startswith("200")
    assert "zed@example.org" in _page_upload(study, BOM + b"email\nzed@example.org\n")
    refused = _page_upload(study, LATIN1_PANEL)
    assert refused.startswith("400")
    assert "The file is not UTF-8 text (line 2" in refused
    assert "save it as &#x27;CSV UTF-8&#x27; from your spreadsheet" in refused
    with mock.patch("surveys.views.facilitator.forms.MAX_FILE_BYTES", 20):
        too_big = _page_upload(study, b"email\nsomeone@example.org\n")
    assert too_big.startswith("400") and "The file has 26 bytes; the limit is 20 bytes." in too_big


def _api_error(response: Any) -> dict[str, Any]:
    assert response.status_code == 400, response.content[:500]
    return dict(response.json()["error"])


@pytest.mark.django_db
def test_the_api_refuses_a_study_upload_that_is_not_utf8_or_too_big_on_its_file_field() -> None:
    api = _staff_api()
    text = small_study_text("api-upload").replace("A small study", "Á small study")
    bad = SimpleUploadedFile("s.yaml", text.encode("latin-1"))
    found = _api_error(api.post("/api/v1/studies/import/", {"file": bad}, format="multipart"))
    assert found["fields"]["file"][0].startswith("The file is not UTF-8 text (line 4 holds the byte 0xC1")
    big = SimpleUploadedFile("s.yaml", b"#" * (STUDY_MAX + 1))
    found = _api_error(api.post("/api/v1/studies/import/", {"file": big}, format="multipart"))
    assert found["fields"]["file"] == [f"The file has {STUDY_MAX + 1} bytes; the limit is {STUDY_MAX} bytes (2 MiB)."]
    assert not Study.objects.exists()
    good = SimpleUploadedFile("s.yaml", BOM + text.encode())
    assert api.post("/api/v1/studies/import/", {"file": good}, format="multipart").status_code in (200, 201)
    assert Study.objects.get().title == "Á small study"


@pytest.mark.django_db
def test_the_api_refuses_a_panel_upload_that_is_not_utf8_and_reads_one_with_a_bom() -> None:
    study = small_study()
    api = _staff_api()
    url = f"/api/v1/studies/{study.slug}/panel/import/"
    found = _api_error(api.post(url, {"file": SimpleUploadedFile("p.csv", LATIN1_PANEL)}, format="multipart"))
    assert found["fields"]["file"][0].startswith("The file is not UTF-8 text (line 2")
    good = SimpleUploadedFile("p.csv", BOM + "email,name\nz@example.org,Zoë\n".encode())
    assert api.post(url, {"file": good}, format="multipart").status_code in (200, 201)
    assert study.panelists.get().name == "Zoë"  # the mark did not end up in the header


@pytest.mark.django_db
def test_the_commands_refuse_a_file_that_is_not_utf8_with_exit_code_2(tmp_path: Path) -> None:
    study = small_study()
    panel = tmp_path / "panel.csv"
    panel.write_bytes(LATIN1_PANEL)
    with pytest.raises(CommandError) as caught:
        call_command("panel_import", study.slug, str(panel))
    assert caught.value.returncode == 2
    assert str(caught.value) == f"{panel} is not UTF-8 text (line 2 holds the byte 0xEB, which is not UTF-8)."
    study_file = tmp_path / "study.yaml"
    study_file.write_bytes(small_study_text("cmd").replace("A small", "Á small").encode("latin-1"))
    with pytest.raises(CommandError, match="is not UTF-8 text") as caught:
        call_command("import_study", str(study_file))
    assert caught.value.returncode == 2
    study_file.write_bytes(BOM + small_study_text("cmd").encode())
    call_command("import_study", str(study_file), stdout=io.StringIO())
    assert Study.objects.filter(slug="cmd").exists()
