"""Reading gettext catalogues and finding template text left outside the translation tags, for
tests/i18n/test_catalogue.py. Plain Python (no polib): the .po grammar the gettext tools write."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from django.template.base import Lexer, TokenType

# --- .po files --------------------------------------------------------------------------------------


@dataclass
class Entry:
    """One message: ``key`` is gettext's own (``context\\x04msgid``), as in a compiled catalogue."""

    msgid: str
    context: str | None = None
    plural: str | None = None
    strings: dict[int, str] = field(default_factory=dict)  # msgstr, or msgstr[n]
    flags: set[str] = field(default_factory=set)
    references: list[str] = field(default_factory=list)
    is_obsolete: bool = False

    @property
    def key(self) -> str:
        return f"{self.context}\x04{self.msgid}" if self.context is not None else self.msgid

    @property
    def is_fuzzy(self) -> bool:
        return "fuzzy" in self.flags

    @property
    def is_translated(self) -> bool:
        return bool(self.strings) and all(self.strings.values())


_LINE = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(".*")$')


def po_entries(path: Path) -> list[Entry]:
    """Every message of a .po file but its header (the empty msgid)."""
    entries: list[Entry] = []
    fields: dict[str, list[str]] = {}
    flags: set[str] = set()
    references: list[str] = []
    current = ""  # the field the next continuation line belongs to
    obsolete = False

    def close() -> None:
        nonlocal fields, flags, references, obsolete
        if "msgid" in fields:
            text = {k: "".join(ast.literal_eval(part) for part in v) for k, v in fields.items()}
            entry = Entry(text["msgid"], text.get("msgctxt"), text.get("msgid_plural"), flags=flags)
            entry.references, entry.is_obsolete = references, obsolete
            for name, value in text.items():
                if name == "msgstr":
                    entry.strings[0] = value
                elif name.startswith("msgstr["):
                    entry.strings[int(name[7:-1])] = value
            if entry.msgid:
                entries.append(entry)
        fields, flags, references, obsolete = {}, set(), [], False

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("#~"):
            obsolete, line = True, line[2:].strip()
        if not line:
            close()
        elif line.startswith("#,"):
            flags |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#:"):
            references += line[2:].split()
        elif line.startswith("#"):
            continue
        elif match := _LINE.match(line):
            current = match.group(1)
            fields.setdefault(current, []).append(match.group(2))
        elif line.startswith('"') and current:
            fields[current].append(line)
    close()
    return entries


# --- templates ----------------------------------------------------------------------------------------

# Text that is the same in every language, so it needs no translation tag. Keep it short.
ALLOWED = (
    "Delphi Panel",  # the product's name
    "English",  # language endonyms (the switcher takes them from Django's language info anyway)
    "Русский",
)
# Attributes a person reads or hears (a screen reader reads aria-label and alt; browsers show title).
VISIBLE_ATTRIBUTES = {"aria-label", "aria-description", "aria-placeholder", "placeholder", "title", "alt"}
MARK = "\x00"  # stands for a variable, a tag or translated text: no letters


# Whole text nodes that are the same in every language: statistical symbols in table headers, and
# published references, which stay as published.
SYMBOLS = {"n", "p", "APMO", "ΔCV"}
REFERENCES = ("(Jünger S, Payne SA, Brine J, Radbruch L, Brearley SG. Guidance on Conducting and REporting",)


def _has_letters(text: str) -> bool:
    bare = " ".join(text.replace(MARK, " ").split())
    if bare in SYMBOLS or bare.lstrip(" ").startswith(REFERENCES):
        return False
    for phrase in ALLOWED:
        text = text.replace(phrase, " ")
    return any(ch.isalpha() for ch in text)


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)  # entities become characters (&nbsp;, &mdash;: no letters)
        self.found: list[str] = []
        self.hidden_depth = 0  # inside <script> or <style>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.hidden_depth += 1
        values = dict(attrs)
        for name, value in attrs:
            visible = name in VISIBLE_ATTRIBUTES or (
                name == "value" and tag == "input" and values.get("type") in ("submit", "button", "reset")
            )
            if visible and value and _has_letters(value):
                self.found.append(f'{name}="{value.replace(MARK, "{…}").strip()}"')

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self.hidden_depth:
            self.hidden_depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden_depth and _has_letters(data):
            self.found.append(" ".join(data.replace(MARK, " {…} ").split()))


def untranslated_template_text(source: str) -> list[str]:
    """The visible text of a Django template that no ``translate``/``blocktranslate`` tag covers.

    Django's own lexer splits the template; text inside blocktranslate, comments and verbatim blocks
    is dropped, every variable and tag becomes a letterless mark, and what is left is read as HTML:
    its text nodes and the attributes people read (``VISIBLE_ATTRIBUTES``) must have no letters.
    """
    kept: list[str] = []
    skipping: str | None = None  # the tag that ends the block being skipped
    for token in Lexer(source).tokenize():
        words = token.contents.split()
        name = words[0] if token.token_type == TokenType.BLOCK and words else ""
        if skipping:
            if name == skipping:
                skipping = None
            continue
        if name in ("blocktranslate", "blocktrans", "comment", "verbatim"):
            skipping = "end" + name
        if token.token_type == TokenType.TEXT:
            kept.append(token.contents)
        elif token.token_type != TokenType.COMMENT:
            kept.append(MARK)
    # A tag or variable inside an HTML tag (<tr{% if x %} class="a"{% endif %}>) is markup, not text:
    # there the mark becomes a space, so the HTML parser still reads the tag as a tag.
    html = re.sub(r"<[^<>]*>", lambda m: m.group(0).replace(MARK, " "), "".join(kept))
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return parser.found
