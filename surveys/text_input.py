"""Text that can be stored: one rule for every way text comes in (forms, autosave, API, CSV, study files).

PostgreSQL cannot hold a NUL character in a text column (the driver raises, which was a 500), and
SQLite stores it silently, so the same input behaved differently per database. A lone surrogate
(``"\\ud800"`` in JSON) cannot be encoded as UTF-8 at all. :func:`text_problem` names both, and
:func:`validate_text` is the same rule as a Django validator for forms and serializers.

An uploaded file (a panel CSV, a study file, through a page, the API or a command) is read by
:func:`decode_upload`: its size is checked before it is read, and its bytes are decoded as UTF-8
strictly, with or without the byte-order mark spreadsheets write, so one rule holds wherever a file
comes in.

Form posts are decoded by Django with ``errors="replace"``: a byte sequence that is not UTF-8
silently becomes U+FFFD and would be saved as such. :class:`UndecodableFormMiddleware` reads the
raw body of small form posts and refuses one whose fields are not UTF-8, naming them. It checks
the bytes rather than refusing every U+FFFD, so a replacement character the expert really typed
(sent as valid UTF-8) is kept, and only text the server would have garbled is refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext

from surveys.errors import DomainError

NUL = "\x00"
SURROGATE = re.compile("[\ud800-\udfff]")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
NAME = re.compile(rb'\bname="([^"]*)"', re.IGNORECASE)
FILENAME = re.compile(rb"\bfilename\*?=", re.IGNORECASE)


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored as text, or None. The wording follows a field's name."""
    if NUL in value:
        return gettext("contains a NUL character (\\0, at position %(position)s), which text cannot hold") % {
            "position": value.index(NUL) + 1
        }
    if match := SURROGATE.search(value):
        return gettext("contains an unpaired surrogate (%(code_point)s), which is not a character") % {
            "code_point": f"U+{ord(match.group()):04X}"
        }
    return None


def validate_text(value: Any) -> None:
    """Django validator: the text can be stored (see :func:`text_problem`)."""
    if isinstance(value, str) and (problem := text_problem(value)):
        raise ValidationError(gettext("The text %(problem)s.") % {"problem": problem}, code="unstorable_text")


def unstorable_paths(data: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(path, problem) for every key or string in nested data (a parsed study file) that cannot be stored."""
    if isinstance(data, str):
        if problem := text_problem(data):
            yield path or "(top level)", problem
    elif isinstance(data, dict):
        for key, value in data.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and (problem := text_problem(key)):
                yield where.replace(NUL, "\\0"), f"its name {problem}"
            yield from unstorable_paths(value, where.replace(NUL, "\\0"))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from unstorable_paths(value, f"{path}[{index}]")


# --- uploaded files ------------------------------------------------------------------------------------


class UploadError(DomainError):
    """An uploaded file that cannot be read as text. ``code`` says why: ``too_large`` or ``not_utf8``;
    the message names the file (``what``) and what is wrong with it (``problem``)."""

    def __init__(self, what: str, problem: str, *, code: str) -> None:
        self.what, self.problem, self.code = what, problem, code
        super().__init__(f"{what} {problem}.")


def _size_words(n: int) -> str:
    mib = n / (1024 * 1024)
    return f"{n} bytes ({mib:g} MiB)" if mib >= 1 else f"{n} bytes"


def _bytes_within(source: bytes | Path | IO[bytes], max_bytes: int, what: str) -> bytes:
    """The source's bytes, refused (before reading, where its size is known) when over ``max_bytes``.
    A path that cannot be opened raises ``OSError``, for the caller to word."""

    def too_large(has: str) -> UploadError:
        return UploadError(what, f"{has}; the limit is {_size_words(max_bytes)}", code="too_large")

    size = getattr(source, "size", None)  # an uploaded file knows its size before it is read
    if isinstance(source, Path):
        size = source.stat().st_size
    elif isinstance(source, bytes | bytearray):
        size = len(source)
    if size is not None and size > max_bytes:
        raise too_large(f"has {size} bytes")
    if isinstance(source, Path):
        with source.open("rb") as stream:
            data = stream.read(max_bytes + 1)
    elif isinstance(source, bytes | bytearray):
        data = bytes(source)
    else:
        data = source.read(max_bytes + 1)
    if len(data) > max_bytes:  # a stream that did not tell its size, or a file that grew
        raise too_large(f"has more than {max_bytes} bytes")
    return data


def decode_upload(source: bytes | Path | IO[bytes], *, max_bytes: int, what: str = "The file") -> str:
    """The text of an uploaded file: UTF-8, with or without a byte-order mark (which is dropped).

    ``source`` is the bytes, a path, or a file object (Django's uploaded files tell their size, so a
    file over ``max_bytes`` is refused before it is read). Raises :class:`UploadError` naming ``what``
    and the problem: too large (with the limit), or not UTF-8 (with the line and the byte); a path
    that cannot be opened raises ``OSError``.
    """
    data = _bytes_within(source, max_bytes, what)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        body = exc.object  # without the byte-order mark, which the codec took off first
        line = body.count(b"\n", 0, exc.start) + 1
        where = f"line {line} holds the byte 0x{body[exc.start]:02X}, which is not UTF-8"
        raise UploadError(what, f"is not UTF-8 text ({where})", code="not_utf8") from None


# --- form posts whose bytes are not UTF-8 ------------------------------------------------------------


def _urlencoded_fields(body: bytes) -> Iterator[tuple[bytes, bytes]]:
    """(name, value) bytes of an urlencoded body, split as Django splits it (on ``&``)."""
    for pair in body.split(b"&"):
        if pair:
            name, _, value = pair.partition(b"=")
            yield unquote_to_bytes(name.replace(b"+", b" ")), unquote_to_bytes(value.replace(b"+", b" "))


def _multipart_fields(body: bytes, boundary: bytes) -> Iterator[tuple[bytes, bytes]]:
    """(name, value) bytes of the text parts of a multipart body; uploaded files are skipped (their
    content is binary or decoded, strictly, by the view that reads it)."""
    for part in body.split(b"--" + boundary)[1:]:
        if part.startswith(b"--"):
            return
        head, separator, content = part.partition(b"\r\n\r\n")
        if not separator or FILENAME.search(head):
            continue
        name = NAME.search(head)
        yield (name.group(1) if name else b""), content.removesuffix(b"\r\n")


def undecodable_fields(request: HttpRequest) -> list[str]:
    """The names of the posted form fields whose bytes are not UTF-8 (empty when all are, or when the
    body is not a form, or too large to read here: Django then refuses it by its own limits)."""
    content_type = request.content_type or ""
    if request.method not in ("POST", "PUT", "PATCH") or content_type not in FORM_TYPES:
        return []
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return []
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if length == 0 or (limit is not None and length > limit):
        return []
    body = request.body
    if content_type == FORM_TYPES[0]:
        fields = _urlencoded_fields(body)
    else:
        boundary = (request.content_params or {}).get("boundary", "")
        if not boundary:
            return []
        fields = _multipart_fields(body, boundary.encode("ascii", "replace"))
    bad = []
    for name, value in fields:
        try:
            name.decode("utf-8")
            value.decode("utf-8")
        except UnicodeDecodeError:
            bad.append(name.decode("utf-8", "replace"))
    return bad


class UndecodableFormMiddleware:
    """Refuse (400, naming the fields) a form post whose fields are not UTF-8, before any view saves
    it as U+FFFD. JSON for the API and the autosave, a page otherwise (``surveys.views.pages``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        bad = undecodable_fields(request)
        if bad:
            from surveys.views.pages import refusal  # a view module; imported when first needed

            names = ", ".join(sorted(set(bad))[:10])
            message = gettext(
                "Not saved: the field(s) %(names)s hold bytes that are not UTF-8 text. "
                "Copy the text again from its source, or retype it, then send it again."
            ) % {"names": names}
            fields = {name: [gettext("Not UTF-8 text.")] for name in bad}
            return refusal(request, message, code="not_utf8", fields=fields)
        return self.get_response(request)
