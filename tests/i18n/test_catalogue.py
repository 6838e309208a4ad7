"""The translation catalogues are complete, current and compiled, and no template text escapes them.

(a) every message of the Russian catalogue is translated and none is fuzzy (and ``msgfmt --check``
    accepts its placeholders); (b) every template's visible text is inside a translation tag;
(c) the committed catalogues hold exactly the messages ``makemessages`` collects from the tree now;
(d) each ``.mo`` is the compilation of its ``.po``.

While several people mark strings at once, ``DELPHI_I18N_PATHS=templates/surveys/expert,surveys/views``
(comma-separated path prefixes) limits (a) to messages used there and (b) to templates there.
(c) and (d) need the gettext tools: without them they skip, and fail under DELPHI_REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import gettext
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from tests.i18n.catalogue import Entry, po_entries, untranslated_template_text
from tests.services import missing

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "surveys" / "locale"
TEMPLATES = ROOT / "templates"
SOURCE_LANGUAGE = settings.LANGUAGE_CODE  # its msgstr may stay empty: gettext then shows the msgid
TRANSLATED = [code for code, _ in settings.LANGUAGES if code != SOURCE_LANGUAGE]
# The same directories scripts/i18n_build leaves out.
IGNORED = [".venv", "node_modules", "tests", "bench", "staticfiles", "docs"]


def _only() -> list[str]:
    return [p.strip().rstrip("/") for p in os.environ.get("DELPHI_I18N_PATHS", "").split(",") if p.strip()]


def _in_scope(path: str) -> bool:
    only = _only()
    return not only or any(path == p or path.startswith(p + "/") for p in only)


def _catalogues(languages: list[str]) -> list[Path]:
    return sorted(p for lang in languages for p in (LOCALE / lang / "LC_MESSAGES").glob("*.po"))


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _describe(entry: Entry) -> str:
    where = " ".join(entry.references[:3]) or "?"
    context = f"[{entry.context}] " if entry.context else ""
    return f"{context}{entry.msgid[:70]!r} ({where})"


# --- (a) every message translated, none fuzzy ---------------------------------------------------------


@pytest.mark.parametrize("po", _catalogues(TRANSLATED), ids=_rel)
def test_every_message_is_translated_and_none_is_fuzzy(po: Path) -> None:
    entries = [e for e in po_entries(po) if not e.is_obsolete]
    assert entries, f"{_rel(po)} holds no messages: run scripts/i18n_build"
    scoped = [e for e in entries if not _only() or any(_in_scope(ref.split(":")[0]) for ref in e.references)]
    untranslated = [_describe(e) for e in scoped if not e.is_translated]
    fuzzy = [_describe(e) for e in scoped if e.is_fuzzy]
    assert not untranslated, f"{_rel(po)}: {len(untranslated)} untranslated:\n  " + "\n  ".join(untranslated)
    assert not fuzzy, f"{_rel(po)}: {len(fuzzy)} fuzzy (check, then drop the flag):\n  " + "\n  ".join(fuzzy)
    if msgfmt := shutil.which("msgfmt"):  # placeholders and plural forms agree with the msgid
        command = [msgfmt, "--check", "-o", os.devnull, str(po)]
        checked = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - our file
        assert checked.returncode == 0, checked.stderr


# --- (b) no template text outside the translation tags --------------------------------------------


def _templates() -> list[Path]:
    return sorted(p for p in TEMPLATES.rglob("*.html") if _in_scope(_rel(p)))


@pytest.mark.parametrize("template", _templates(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_a_template_has_no_visible_text_outside_translation_tags(template: Path) -> None:
    found = untranslated_template_text(template.read_text(encoding="utf-8"))
    assert not found, f"{_rel(template)}: text not in {{% translate %}}/{{% blocktranslate %}}:\n  " + "\n  ".join(
        found
    )


def test_the_template_check_finds_text_and_attributes_and_lets_translated_text_pass() -> None:
    source = """{% load i18n %}<h1>Round {{ n }}</h1><input placeholder="Your name" value="{{ v }}">
      <img alt="{% translate 'Chart' %}" src="x.png"> <p>{% blocktranslate %}Hello {{ who }}{% endblocktranslate %}</p>
      {# a note #}{% comment %}Not shown{% endcomment %}<a href="/">Delphi Panel</a> &nbsp;·&mdash; {{ x }}
      <script src="a.js"></script><button aria-label="Close">×</button>"""
    assert untranslated_template_text(source) == ["Round {…}", 'placeholder="Your name"', 'aria-label="Close"']


# --- (c) the catalogues hold what makemessages collects now ---------------------------------------


def _gettext_tools() -> None:
    absent = [tool for tool in ("xgettext", "msgmerge", "msgfmt") if shutil.which(tool) is None]
    if absent:
        missing(f"needs the gettext tools ({', '.join(absent)}; Debian package 'gettext')")


def _keys(entries: list[Entry]) -> set[tuple[str, str | None]]:
    return {(e.key, e.plural) for e in entries if not e.is_obsolete}


def _collected(tmp_path: Path) -> dict[str, set[tuple[str, str | None]]]:
    """makemessages run on a copy of the tree (so the real catalogues stay untouched): domain → messages."""
    copy = tmp_path / "tree"
    ignore = shutil.ignore_patterns("__pycache__", "*.mo", "*.po", "*.pot")
    for part in ("surveys", "templates", "delphi"):
        shutil.copytree(ROOT / part, copy / part, ignore=ignore)
    shutil.copy(ROOT / "manage.py", copy / "manage.py")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "delphi.settings", "PYTHONPATH": str(copy)}
    env.pop("DATABASE_URL", None)  # makemessages reads no database
    collected = {}
    for domain in ("django", "djangojs"):
        command = [sys.executable, "manage.py", "makemessages", "-d", domain, "-l", SOURCE_LANGUAGE, "--keep-pot"]
        command += [f"--ignore={d}" for d in IGNORED] + ["--no-obsolete", "-v0"]
        done = subprocess.run(command, cwd=copy, env=env, capture_output=True, text=True, timeout=300, check=False)  # noqa: S603
        assert done.returncode == 0, done.stderr
        pot = copy / "surveys" / "locale" / f"{domain}.pot"
        collected[domain] = _keys(po_entries(pot)) if pot.exists() else set()
    return collected


def test_the_catalogues_hold_exactly_the_messages_makemessages_collects(tmp_path: Path) -> None:
    _gettext_tools()
    collected = _collected(tmp_path)
    for code, _ in settings.LANGUAGES:
        for domain, wanted in collected.items():
            po = LOCALE / code / "LC_MESSAGES" / f"{domain}.po"
            if not wanted:
                continue
            assert po.exists(), f"{_rel(po)} is missing: run scripts/i18n_build"
            held = _keys(po_entries(po))
            new, stale = sorted(wanted - held), sorted(held - wanted)
            assert not new and not stale, (
                f"{_rel(po)} is out of date (run scripts/i18n_build): not in it yet {[k for k, _ in new][:10]}; "
                f"no longer in the code {[k for k, _ in stale][:10]}"
            )


# --- (d) each .mo compiled from its .po -----------------------------------------------------------


def _compiled(entries: list[Entry]) -> dict[object, str]:
    """What msgfmt puts in the .mo for these messages: translated, not fuzzy (gettext's own keys)."""
    catalog: dict[object, str] = {}
    for e in entries:
        if e.is_obsolete or e.is_fuzzy or not e.is_translated:
            continue
        if e.plural is None:
            catalog[e.key] = e.strings[0]
        else:
            catalog.update({(e.key, n): text for n, text in e.strings.items()})
    return catalog


@pytest.mark.parametrize("po", _catalogues([code for code, _ in settings.LANGUAGES]), ids=_rel)
def test_each_mo_file_is_the_compilation_of_its_po(po: Path) -> None:
    mo = po.with_suffix(".mo")
    assert mo.exists(), f"{_rel(mo)} is missing: run scripts/i18n_build (or compilemessages)"
    with mo.open("rb") as stream:
        catalog = dict(gettext.GNUTranslations(stream)._catalog)  # type: ignore[attr-defined]
    catalog = {k: v for k, v in catalog.items() if k != "" and not (isinstance(k, tuple) and k[0] == "")}
    wanted = _compiled(po_entries(po))
    differ = sorted(str(k)[:70] for k in set(wanted) | set(catalog) if wanted.get(k) != catalog.get(k))
    assert not differ, f"{_rel(mo)} does not match {po.name} (run compilemessages): {differ[:10]}"
