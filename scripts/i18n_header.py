"""Give a catalogue its language's own header: Language, charset and Plural-Forms.

makemessages writes a fresh catalogue with placeholders ("nplurals=INTEGER"), and msgmerge copies the
header of whichever file it merged from, so scripts/i18n_build sets the header last. A third language
adds its plural rule here (from the gettext manual's table of plural forms).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

PLURAL_FORMS = {
    "en": "nplurals=2; plural=(n != 1);",
    # 1 эксперт, 2 эксперта, 5 экспертов (gettext manual, "Plural forms", Slavic family).
    "ru": "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);",
}


def fix(path: Path, language: str) -> None:
    text = path.read_text(encoding="utf-8")
    head, sep, rest = text.partition("\n\n")
    head = re.sub(r'"Language: [^"]*\\n"', f'"Language: {language}\\\\n"', head)
    head = head.replace("charset=CHARSET", "charset=UTF-8")
    head = re.sub(r'"Plural-Forms: .*?\\n"', f'"Plural-Forms: {PLURAL_FORMS[language]}\\\\n"', head, flags=re.S)
    head = re.sub(r"^#, fuzzy\n", "", head, flags=re.M)
    path.write_text(head + sep + rest, encoding="utf-8")


def header_only(language: str) -> str:
    """A catalogue holding only the header, to put first when catalogues are merged."""
    return (
        'msgid ""\nmsgstr ""\n'
        f'"Language: {language}\\n"\n'
        '"MIME-Version: 1.0\\n"\n'
        '"Content-Type: text/plain; charset=UTF-8\\n"\n'
        '"Content-Transfer-Encoding: 8bit\\n"\n'
        f'"Plural-Forms: {PLURAL_FORMS[language]}\\n"\n'
    )


if __name__ == "__main__":
    if sys.argv[1] == "--header":
        sys.stdout.write(header_only(sys.argv[2]))
    else:
        fix(Path(sys.argv[1]), sys.argv[2])
