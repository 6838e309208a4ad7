"""Import a panel from CSV: parse and check every row first, then add them all in one transaction.

The file has a header row naming its columns: ``email`` (required), ``name``, ``group`` and
``language`` (optional, any order, any case). Commas, semicolons and tabs are all accepted as the
separator, since spreadsheets export whichever their locale prefers.

Nothing is added while any row has an error: the facilitator (or the ``panel_import`` command)
sees one message per bad row, fixes the file and tries again.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext, gettext_lazy, ngettext

from surveys.errors import DomainError
from surveys.models import Panelist, Study
from surveys.services.audit import audit_record
from surveys.services.panel import panelist_create
from surveys.services.panelist_fields import (
    FIELD_NAMES,
    MAX_LENGTH,  # noqa: F401  (re-exported: the forms and serializers import the limits from here)
    accepted_languages,
    language_normalized,
    language_problem,
    length_problem,
)
from surveys.text_input import text_problem

COLUMNS = ("email", "name", "group", "language")
MAX_ROWS = 5000
MAX_FILE_BYTES = 2 * 1024 * 1024  # MAX_ROWS rows of usual names and emails take some hundreds of KiB


@dataclass(frozen=True)
class PanelRow:
    """One expert read from the file; ``line`` is the file's line number (the header is line 1)."""

    line: int
    email: str
    name: str = ""
    group: str = ""
    language: str = "en"

    def as_data(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> PanelRow:
        """A row kept between the preview and the confirmation (e.g. in the session)."""
        return cls(
            line=int(data.get("line", 0)),
            email=str(data.get("email", "")),
            name=str(data.get("name", "")),
            group=str(data.get("group", "")),
            language=str(data.get("language", "") or "en"),
        )


@dataclass(frozen=True)
class RowError:
    line: int
    message: str
    email: str = ""

    def render(self) -> str:
        return gettext("line %(line)d: %(message)s") % {"line": self.line, "message": self.message}


class PanelImportError(DomainError):
    """The panel file was refused as a whole; ``errors`` has one entry per bad row."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        self.errors = list(errors)
        lines = "\n".join(f"  - {e.render()}" for e in self.errors)
        head = ngettext(
            "The panel file has %(n)d bad row; nobody was added:",
            "The panel file has %(n)d bad rows; nobody was added:",
            len(self.errors),
        ) % {"n": len(self.errors)}
        super().__init__(f"{head}\n{lines}")


@dataclass(frozen=True)
class PanelPreview:
    rows: list[PanelRow]
    errors: list[RowError]

    @property
    def is_valid(self) -> bool:
        return bool(self.rows) and not self.errors


def _delimiter(text: str) -> str:
    """The separator the header row uses most (a comma when it names one column only)."""
    header = text.splitlines()[0] if text else ""
    return max(",;\t", key=lambda d: (header.count(d), d == ","))


def _check_row(row: PanelRow, languages: Sequence[str]) -> str | None:
    """What is wrong with one row on its own, or None. Run on the preview and again on confirmation,
    so a cell the database cannot hold (a NUL character) is refused on both, never a 500."""
    if not row.email:
        return gettext("the email is missing")
    for field in COLUMNS:
        value = getattr(row, field)
        if problem := text_problem(value):
            return gettext("the %(field)s %(problem)s") % {"field": FIELD_NAMES[field](), "problem": problem}
        if problem := length_problem(field, value):
            return problem
    try:
        validate_email(row.email)
    except ValidationError:
        return gettext("'%(email)s' is not a valid email address") % {"email": row.email}
    return language_problem(row.language, languages)


def _check_rows(
    rows: Iterable[PanelRow], languages: Sequence[str] | None = None
) -> tuple[list[PanelRow], list[RowError]]:
    """Each row on its own, then duplicates within the file (the first occurrence wins).

    ``languages``: the accepted language codes (:func:`accepted_languages`; the site's by default)."""
    accepted = accepted_languages() if languages is None else list(languages)
    good: list[PanelRow] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for row in rows:
        problem = _check_row(row, accepted)
        if problem is None and row.email in seen:
            duplicate = {"email": row.email, "line": seen[row.email]}
            problem = gettext("%(email)s is a duplicate of line %(line)d") % duplicate
        if problem is not None:
            errors.append(RowError(row.line, problem, row.email))
            continue
        seen[row.email] = row.line
        good.append(replace(row, language=language_normalized(row.language)))
    return good, errors


EMPTY_FILE = gettext_lazy("the file is empty; the first row must name the columns, e.g. email,name,group")


def panel_csv_is_empty(text: str) -> bool:
    """No cell of the file holds anything: it is blank, or separators and quotes only."""
    records, invalid = _filled_records(text)
    return invalid is None and not records


def _filled_records(text: str) -> tuple[list[tuple[int, list[str]]], RowError | None]:
    """The CSV records with at least one non-blank cell, each with its line; or why it is not CSV."""
    text = text.lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(text.lstrip()))
    try:
        records = [(reader.line_num, record) for record in reader]
    except csv.Error as exc:
        return [], RowError(reader.line_num, gettext("the file is not valid CSV: %(problem)s") % {"problem": exc})
    return [(line, record) for line, record in records if any(cell.strip() for cell in record)], None


def panel_csv_parse(text: str, languages: Sequence[str] | None = None) -> tuple[list[PanelRow], list[RowError]]:
    """Read a panel CSV: the rows that look right, and one error per row that does not.

    Pure: it checks each row alone and against the rest of the file, not against the database.
    Emails are compared trimmed and lower-cased; an empty language means English. ``languages``:
    the accepted codes (:func:`accepted_languages` of the study; the site's when not given).
    """
    records, invalid = _filled_records(text)
    if invalid is not None:
        return [], [invalid]
    if not records:
        return [], [RowError(1, str(EMPTY_FILE))]
    header_line, header = records[0]
    names = [cell.strip().lower() for cell in header]
    unknown = [n for n in names if n not in COLUMNS]
    if unknown or "email" not in names or len(set(names)) != len(names):
        problem = (
            ngettext("unknown column %(names)s", "unknown columns %(names)s", len(unknown))
            % {"names": ", ".join(repr(n) for n in unknown)}
            if unknown
            else gettext("a column is named twice")
            if "email" in names
            else gettext("there is no 'email' column")
        )
        message = gettext("%(problem)s; the columns are %(columns)s (email is required)") % {
            "problem": problem,
            "columns": ", ".join(COLUMNS),
        }
        return [], [RowError(header_line, message)]
    body = records[1:]
    if not body:
        return [], [RowError(header_line, gettext("the file has a header but no experts"))]
    if len(body) > MAX_ROWS:
        message = gettext("the file has %(n)d experts; the limit is %(limit)d per import") % {
            "n": len(body),
            "limit": MAX_ROWS,
        }
        return [], [RowError(header_line, message)]
    rows, shape_errors = [], []
    for line, record in body:
        if len(record) > len(names):
            message = gettext("the row has %(n)d cells; the header names %(columns)d") % {
                "n": len(record),
                "columns": len(names),
            }
            shape_errors.append(RowError(line, message))
            continue
        cells = {name: (record[i].strip() if i < len(record) else "") for i, name in enumerate(names)}
        rows.append(
            PanelRow(
                line=line,
                email=cells["email"].lower(),
                name=cells.get("name", ""),
                group=cells.get("group", ""),
                language=cells.get("language", "") or "en",
            )
        )
    good, errors = _check_rows(rows, languages)
    return good, sorted(shape_errors + errors, key=lambda e: e.line)


def _on_panel(study: Study, rows: Sequence[PanelRow]) -> list[RowError]:
    taken = set(study.panelists.filter(email__in=[r.email for r in rows]).values_list("email", flat=True))
    return [
        RowError(r.line, gettext("%(email)s is already on the panel") % {"email": r.email}, r.email)
        for r in rows
        if r.email in taken
    ]


def panel_import_preview(*, study: Study, text: str) -> PanelPreview:
    """What importing ``text`` would do: the rows to add and every error, nothing written."""
    rows, errors = panel_csv_parse(text, accepted_languages(study))
    on_panel = _on_panel(study, rows)
    refused = {e.line for e in on_panel}
    return PanelPreview(
        rows=[r for r in rows if r.line not in refused],
        errors=sorted(errors + on_panel, key=lambda e: e.line),
    )


@transaction.atomic
def panel_import(
    *,
    study: Study,
    rows: Sequence[PanelRow],
    actor: AbstractBaseUser | None = None,
    actor_label: str = "system",
) -> list[Panelist]:
    """Add every row to the panel, or nobody (``PanelImportError`` lists each bad row).

    The rows are checked again here: they may have waited in a session while someone else
    changed the panel. Raw tokens are not returned: invitations issue each expert's link.
    """
    if not rows:
        raise DomainError(gettext("There is nobody to import."))
    Study.objects.select_for_update().filter(pk=study.pk).first()  # one import of a study at a time
    good, errors = _check_rows(rows, accepted_languages(study))
    errors += _on_panel(study, good)
    if errors:
        raise PanelImportError(sorted(errors, key=lambda e: e.line))
    taken = set(study.panelists.values_list("pseudonym", flat=True))  # read once, not once per row
    created = [
        panelist_create(
            study=study, email=r.email, name=r.name, group=r.group, language=r.language, taken_pseudonyms=taken
        )[0]
        for r in good
    ]
    audit_record(study=study, action="panel.imported", actor=actor, actor_label=actor_label, added=len(created))
    return created
