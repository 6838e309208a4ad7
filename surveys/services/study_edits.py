"""Edits of a study's definition (from the API and the admin), done through the study-file importer.

A study is edited (its settings, one item, one dimension) by exporting the study file, changing that
one part and importing the result. So every edit passes the importer's checks and guards: an
answered item cannot change its wording or scale, a frozen consensus rule cannot change, nothing is
half-applied, and each change is audited like an import (``study.imported`` or ``study.updated``,
with the editor's username). The study row is locked from export to import, so two concurrent edits
cannot overwrite each other.

Deleting is allowed only for a study that never ran. Its audit trail goes with it (the events
belong to the study), so the deletion itself is logged instead, naming who deleted it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from surveys.errors import DomainError
from surveys.models import Round, Study
from surveys.services.study_files import ImportResult, study_export, study_import
from surveys.study_format.keys import DEFAULT_LANGUAGE
from surveys.study_format.languages import merge_value

#: Fields given as text or ``{en: ..., ru: ...}``: an edit of one keeps the languages it does not name.
TRANSLATABLE_KEYS = frozenset({"title", "description", "text", "label", "question"})

StudyData = dict[str, Any]
logger = logging.getLogger(__name__)


def actor_label(actor: AbstractBaseUser) -> str:
    """The importer records a label, not a user: the facilitator's username, as the pages record it."""
    return actor.get_username()


def _import(data: Mapping[str, Any], filename: str, actor: AbstractBaseUser) -> ImportResult:
    return study_import(data=data, filename=filename, actor_label=actor_label(actor))


@transaction.atomic
def study_create(*, data: StudyData, actor: AbstractBaseUser) -> ImportResult:
    """A new study from study-file data; a taken slug is refused (update that study instead)."""
    if Study.objects.filter(slug=data["slug"]).exists():
        raise DomainError(f"A study with the slug '{data['slug']}' exists; PUT or import to update it.")
    return _import(data, "request body", actor)


@transaction.atomic
def study_replace(*, study: Study, data: StudyData, actor: AbstractBaseUser) -> ImportResult:
    """Replace the whole definition of ``study`` (as importing a file with its slug would)."""
    if data["slug"] != study.slug:
        raise DomainError(f"The body's slug '{data['slug']}' is not this study's ('{study.slug}'); slugs never change.")
    return _import(data, "request body", actor)


@transaction.atomic
def study_change(*, study: Study, change: Callable[[StudyData], None], actor: AbstractBaseUser) -> ImportResult:
    """Export ``study``, let ``change`` edit the data in place, import it back: all or nothing."""
    locked = Study.objects.select_for_update().get(pk=study.pk)
    data = study_export(study=locked)
    change(data)
    return _import(data, f"{locked.slug} (API)", actor)


def settings_change(changes: Mapping[str, Any]) -> Callable[[StudyData], None]:
    """A change of the study's own fields; ``source`` and ``settings`` merge into the current ones."""

    def apply(data: StudyData) -> None:
        for key, value in changes.items():
            if key in ("source", "settings"):
                data[key] = {**(data.get(key) or {}), **value}
            elif key in TRANSLATABLE_KEYS:
                data[key] = merge_value(data.get(key), value, data.get("default_language", DEFAULT_LANGUAGE))
            else:
                data[key] = value

    return apply


def _entry(data: StudyData, collection: str, field: str, value: str) -> dict[str, Any]:
    for entry in data[collection]:
        if entry[field] == value:
            return entry
    raise DomainError(f"There is no {collection[:-1]} '{value}' in this study.")


def entry_add(collection: str, field: str, new: Mapping[str, Any]) -> Callable[[StudyData], None]:
    """Append an item or dimension; its code or key must be new."""

    def apply(data: StudyData) -> None:
        if any(entry[field] == new[field] for entry in data[collection]):
            raise DomainError(f"The {collection[:-1]} '{new[field]}' exists already in this study.")
        data[collection].append(dict(new))

    return apply


def entry_update(collection: str, field: str, value: str, changes: Mapping[str, Any]) -> Callable[[StudyData], None]:
    """Change fields of one item or dimension (nested ``scale`` merges into the current one).

    A translatable field given as plain text replaces the default language's text and keeps the other
    languages'; given as ``{en: ..., ru: ...}`` it replaces the languages it names (``""`` removes one)."""

    def apply(data: StudyData) -> None:
        entry = _entry(data, collection, field, value)
        default = data.get("default_language", DEFAULT_LANGUAGE)
        for key, new in changes.items():
            if key == "scale":
                entry[key] = _scale_merge(entry.get(key, {}), new, default)
            elif key in TRANSLATABLE_KEYS:
                entry[key] = merge_value(entry.get(key), new, default)
            else:
                entry[key] = new

    return apply


def _scale_merge(old: Mapping[str, Any], new: Mapping[str, Any], default: str) -> dict[str, Any]:
    """A scale change: ``min``/``max`` replace; each label given keeps its other languages."""
    merged = {**old, **new}
    if isinstance(new.get("labels"), Mapping) and isinstance(old.get("labels"), Mapping):
        before = old["labels"]
        merged["labels"] = {
            point: merge_value(before.get(point), label, default) for point, label in new["labels"].items()
        }
    return merged


def entry_remove(collection: str, field: str, value: str) -> Callable[[StudyData], None]:
    """Remove one item or dimension; the importer refuses when it has answers or is in an opened round."""

    def apply(data: StudyData) -> None:
        data[collection].remove(_entry(data, collection, field, value))

    return apply


@transaction.atomic
def study_delete(*, study: Study, actor: AbstractBaseUser) -> None:
    """Delete a study that never ran. Once round 1 has opened it holds answers, which are never deleted."""
    locked = Study.objects.select_for_update().get(pk=study.pk)
    if locked.status != Study.Status.DRAFT or locked.rounds.exclude(status=Round.Status.DRAFT).exists():
        raise DomainError(
            f"Study '{locked.slug}' is {locked.status} and holds answers, which are never deleted; finish it instead."
        )
    slug, who = locked.slug, actor_label(actor)
    locked.delete()
    transaction.on_commit(lambda: logger.info("study.deleted: '%s' (it never ran), by %s", slug, who))
