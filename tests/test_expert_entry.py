"""An expert's invitation link."""

from __future__ import annotations

import pytest

from surveys.models import Panelist
from surveys.models.panel import hash_token
from surveys.services.panel import panelist_create, panelist_token_rotate
from tests.factories import small_study

pytestmark = pytest.mark.django_db


def test_the_raw_token_is_never_stored() -> None:
    panelist, raw = panelist_create(study=small_study(), email="A@Example.org")
    stored = Panelist.objects.filter(pk=panelist.pk).values().get()
    assert raw not in {str(v) for v in stored.values()}
    assert stored["token_hash"] == hash_token(raw)
    assert stored["email"] == "a@example.org"
    assert len(raw) >= 43  # 256 bits in URL-safe base64


def test_the_link_shows_the_study_description_and_source(client) -> None:  # type: ignore[no-untyped-def]
    study = small_study()
    _, raw = panelist_create(study=study, email="a@example.org")
    page = client.get(f"/e/{raw}/", follow=True).content.decode()
    assert "Two claims and one recommendation." in page
    assert "Doe, J. (2024). A paper." in page


def test_an_unknown_or_revoked_token_gets_the_same_page_that_reveals_nothing(client) -> None:  # type: ignore[no-untyped-def]
    study = small_study()
    panelist, raw = panelist_create(study=study, email="a@example.org")
    unknown = client.get("/e/not-a-token/")
    panelist.status = Panelist.Status.REVOKED
    panelist.save()
    revoked = client.get(f"/e/{raw}/")
    assert unknown.status_code == revoked.status_code == 404
    assert unknown.content == revoked.content
    assert study.title not in revoked.content.decode()


def test_a_rotated_token_replaces_the_old_link(client) -> None:  # type: ignore[no-untyped-def]
    study = small_study()
    panelist, old = panelist_create(study=study, email="a@example.org")
    new = panelist_token_rotate(panelist=panelist)
    assert client.get(f"/e/{old}/").status_code == 404
    assert client.get(f"/e/{new}/", follow=True).status_code == 200
