"""A small, fast XLSX (Office Open XML spreadsheet) writer: what the report needs, nothing more.

Why not openpyxl: writing the report's 100 items × 4 rounds × 200 panelists took 6–9 s in
openpyxl's write-only mode, four fifths of it spent turning each of ~800,000 cells into an XML
element (issue "The consensus-shift report": XLSX ≤ 5 s). Here a cell is one formatted string.

What it writes (ECMA-376 Part 1, SpreadsheetML): one workbook of sheets; cells that are numbers,
booleans, inline strings (no shared-string table), or dates; five cell styles (:data:`BOLD`,
:data:`PERCENT` ``0.0%``, :data:`DATE` ``yyyy-mm-dd``, :data:`DATETIME` ``yyyy-mm-dd hh:mm``,
:data:`DECIMAL` ``0.000`` for p-values, effect sizes and indices in [-1, 1]);
column widths, a frozen header and an auto-filter. No formulas are ever written: a text cell is a
string whatever it starts with, and :func:`surveys.reports.safety.spreadsheet_cell` adds the
leading ``'`` besides, so a reader who copies a cell into another program is safe too.

Dates: spreadsheets hold no time zone, so an aware datetime is converted to UTC and written as a
serial day number (days since 1899-12-30, the 1900 date system) with a date style; the caller says
"UTC" in the column's header. Characters XML 1.0 cannot hold (control characters other than tab,
newline and carriage return) are dropped from text.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from .safety import spreadsheet_cell

PLAIN, BOLD, PERCENT, DATE, DATETIME, DECIMAL = 0, 1, 2, 3, 4, 5
EPOCH = datetime(1899, 12, 30)
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")


def column_letter(index: int) -> str:
    """0 → "A", 25 → "Z", 26 → "AA"."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


_LETTERS = [column_letter(i) for i in range(256)]


def _letter(index: int) -> str:
    return _LETTERS[index] if index < len(_LETTERS) else column_letter(index)


def _escape(text: str) -> str:
    text = _ILLEGAL.sub("", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def excel_serial(moment: datetime | date) -> float:
    """Days since 1899-12-30 (fractions for the time of day); aware datetimes are taken in UTC."""
    if isinstance(moment, datetime):
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        delta = moment - EPOCH
    else:
        delta = datetime(moment.year, moment.month, moment.day) - EPOCH
    return delta.days + delta.seconds / 86400 + delta.microseconds / 86_400_000_000


def cell_xml(ref: str, value: Any, style: int = PLAIN) -> str:
    """One ``<c>`` element, or "" for an empty cell (None, NaN, NA)."""
    if isinstance(value, datetime | date):
        if style == PLAIN:
            style = DATETIME if isinstance(value, datetime) else DATE
        return f'<c r="{ref}" s="{style}"><v>{excel_serial(value)!r}</v></c>'
    value = spreadsheet_cell(value)
    if value is None or value == "":
        return ""
    s = f' s="{style}"' if style else ""
    if isinstance(value, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int):
        return f'<c r="{ref}"{s}><v>{value}</v></c>'
    if isinstance(value, float):
        if math.isinf(value):
            value = "inf" if value > 0 else "-inf"
        else:
            return f'<c r="{ref}"{s}><v>{value!r}</v></c>'
    return f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{_escape(str(value))}</t></is></c>'


class Sheet:
    """Rows are appended in order; :meth:`xml` gives the worksheet part."""

    def __init__(self, title: str, widths: Sequence[float] = (), freeze: str | None = None) -> None:
        self.title = _SHEET_NAME_BAD.sub(" ", title)[:31]
        self.widths = list(widths)
        self.freeze = freeze
        self.auto_filter: str | None = None
        self._rows: list[str] = []
        self._width = 0

    @property
    def n_rows(self) -> int:
        return len(self._rows)

    def row(self, values: Iterable[Any], styles: Sequence[int] | int = PLAIN) -> None:
        """Append one row; ``styles`` is one style for every cell or one per column."""
        number = len(self._rows) + 1
        cells = []
        for index, value in enumerate(values):
            style = styles if isinstance(styles, int) else (styles[index] if index < len(styles) else PLAIN)
            cells.append(cell_xml(f"{_letter(index)}{number}", value, style))
        self._width = max(self._width, len(cells))
        self._rows.append(f'<row r="{number}">{"".join(cells)}</row>')

    def rows(self, records: Iterable[Sequence[Any]], styles: Sequence[int] | int = PLAIN) -> None:
        for record in records:
            self.row(record, styles)

    def filter_header(self) -> None:
        """An auto-filter over the table that starts in row 1 (call after the last row)."""
        if self._rows and self._width:
            self.auto_filter = f"A1:{_letter(self._width - 1)}{len(self._rows)}"

    def xml(self) -> str:
        parts = [
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://schemas.'
            'openxmlformats.org/spreadsheetml/2006/main">'
        ]
        if self.freeze:
            parts.append(_pane(self.freeze))
        if self.widths:
            cols = "".join(
                f'<col min="{i + 1}" max="{i + 1}" width="{w}" customWidth="1"/>' for i, w in enumerate(self.widths)
            )
            parts.append(f"<cols>{cols}</cols>")
        parts.append("<sheetData>")
        parts.extend(self._rows)
        parts.append("</sheetData>")
        if self.auto_filter:
            parts.append(f'<autoFilter ref="{self.auto_filter}"/>')
        parts.append("</worksheet>")
        return "".join(parts)


def _pane(cell: str) -> str:
    """A frozen pane whose top-left scrolling cell is ``cell`` (e.g. "A2": the first row frozen)."""
    match = re.fullmatch(r"([A-Z]+)(\d+)", cell)
    if match is None:
        raise ValueError(f"not a cell reference: {cell!r}")
    column = 0
    for char in match.group(1):
        column = column * 26 + ord(char) - 64
    x, y = column - 1, int(match.group(2)) - 1
    split = (f' xSplit="{x}"' if x else "") + (f' ySplit="{y}"' if y else "")
    pane = "bottomRight" if x and y else ("topRight" if x else "bottomLeft")
    return (
        f'<sheetViews><sheetView workbookViewId="0"><pane{split} topLeftCell="{cell}" activePane="{pane}" '
        f'state="frozen"/></sheetView></sheetViews>'
    )


STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="4"><numFmt numFmtId="164" formatCode="0.0%"/><numFmt numFmtId="165" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="166" formatCode="yyyy-mm-dd hh:mm"/><numFmt numFmtId="167" formatCode="0.000"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/>'
    "</font></fonts>"
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    "</fills>"
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="6"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="167" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


class Workbook:
    def __init__(self) -> None:
        self.sheets: list[Sheet] = []

    def sheet(self, title: str, widths: Sequence[float] = (), freeze: str | None = None) -> Sheet:
        sheet = Sheet(title, widths, freeze)
        if any(s.title == sheet.title for s in self.sheets):
            raise ValueError(f"two sheets named {sheet.title!r}")
        self.sheets.append(sheet)
        return sheet

    def save(self, *, compresslevel: int = 1) -> bytes:
        """The workbook as the bytes of an .xlsx file."""
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as archive:
            for name, text in self._parts():
                archive.writestr(name, text.encode("utf-8"))
        return out.getvalue()

    def _parts(self) -> Iterable[tuple[str, str]]:
        ns = "http://schemas.openxmlformats.org"
        sheet_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{sheet_type}"/>'
            for i in range(1, len(self.sheets) + 1)
        )
        yield (
            "[Content_Types].xml",
            (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                f'<Types xmlns="{ns}/package/2006/content-types">'
                '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/>'
                '<Override PartName="/xl/workbook.xml" '
                'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                '<Override PartName="/xl/styles.xml" '
                'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
                f"{overrides}</Types>"
            ),
        )
        yield (
            "_rels/.rels",
            (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                f'<Relationships xmlns="{ns}/package/2006/relationships">'
                f'<Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/officeDocument" '
                'Target="xl/workbook.xml"/></Relationships>'
            ),
        )
        sheets = "".join(
            f'<sheet name="{_escape(s.title).replace(chr(34), "&quot;")}" sheetId="{i}" r:id="rId{i}"/>'
            for i, s in enumerate(self.sheets, start=1)
        )
        yield (
            "xl/workbook.xml",
            (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                f'<workbook xmlns="{ns}/spreadsheetml/2006/main" xmlns:r="{ns}/officeDocument/2006/relationships">'
                f"<sheets>{sheets}</sheets></workbook>"
            ),
        )
        relations = "".join(
            f'<Relationship Id="rId{i}" Type="{ns}/officeDocument/2006/relationships/worksheet" '
            f'Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, len(self.sheets) + 1)
        )
        styles_id = len(self.sheets) + 1
        yield (
            "xl/_rels/workbook.xml.rels",
            (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                f'<Relationships xmlns="{ns}/package/2006/relationships">{relations}'
                f'<Relationship Id="rId{styles_id}" Type="{ns}/officeDocument/2006/relationships/styles" '
                'Target="styles.xml"/></Relationships>'
            ),
        )
        yield "xl/styles.xml", STYLES
        for i, sheet in enumerate(self.sheets, start=1):
            yield f"xl/worksheets/sheet{i}.xml", sheet.xml()
