"""A study's wording of its emails: one check, used by every way of saving it, and bounded rendering.

Why a check by rendering: an invitation or reminder issues a new personal link and the old one stops
working, so a wording that does not show ``{{ link }}`` locks the expert out. Looking for the text
``{{ link }}`` is not enough (``{% if 0 %}{{ link }}{% endif %}`` and ``{# {{ link }} #}`` contain it
and show nothing), so the wording is rendered for sample experts with a link that looks like a real
one (random, so no condition can single it out) and is refused unless that link is in every body.

Why the template language is cut down: Django templates cannot be interrupted once they render, and a
few constructs make the output grow faster than the template: nested ``{% for %}`` loops (eight of
them over a short string are 10¹⁶ iterations), ``{% lorem %}``, and filters such as ``center``,
``ljust`` or ``join`` whose argument sets the size. So the engine that compiles an email knows only
tags that never repeat their content (``if``, ``comment``, ``firstof``, ``templatetag``, ``verbatim``)
and filters whose output is no longer than their input plus their literal arguments. Every node then
renders once and no value grows, so rendering is linear in the template's size (at most 10,000
characters), and no wall-clock limit is needed. The rendered text is still capped
(``RENDERED_MAX``), so what goes out stays an email. Every email is rendered by this same engine
when it is sent (:func:`surveys.services.mail.message_render`), so a wording stored before these
checks, or written to the database by hand, is refused at send time too.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.template import Context, Engine, Library, Template, TemplateSyntaxError, defaultfilters, defaulttags
from django.template.base import Lexer, TokenType
from django.urls import reverse

from surveys.errors import DomainError
from surveys.models import DeliveryLog, MessageTemplate, Study
from surveys.models.messages import DEFAULT_MESSAGES
from surveys.services.audit import audit_record
from surveys.services.mail_language import wordings_of
from surveys.text_input import text_problem

Kind = DeliveryLog.Kind
#: The kinds of email that carry the expert's new personal link.
LINKED = (Kind.INVITATION, Kind.REMINDER)

#: What the facilitator may type, and what it renders to.
SOURCE_MAX = {"subject": 200, "body": 10_000}
RENDERED_MAX = {"subject": 1_000, "body": 50_000}

#: Tags that render their content at most once (``elif``, ``else``, ``end…`` belong to them).
ALLOWED_TAGS = ("if", "comment", "firstof", "templatetag", "verbatim")
_INNER_TAGS = {"elif", "else", "endif", "endcomment", "endverbatim"}
#: Filters whose output is no longer than their input plus their literal arguments.
ALLOWED_FILTERS = (
    "capfirst",
    "cut",
    "default",
    "default_if_none",
    "first",
    "last",
    "length",
    "lower",
    "pluralize",
    "safe",
    "slice",
    "title",
    "truncatechars",
    "truncatewords",
    "upper",
    "wordcount",
    "yesno",
)


def _library() -> Library:
    library = Library()
    library.tags.update({name: defaulttags.register.tags[name] for name in ALLOWED_TAGS})
    library.filters.update({name: defaultfilters.register.filters[name] for name in ALLOWED_FILTERS})
    return library


_ENGINE = Engine(debug=False)  # no loaders and no tag libraries: {% include %} and {% load %} find nothing
_ENGINE.template_builtins = [_library()]  # instead of Django's full set of tags and filters

_ALLOWED = f"an email may use the tags {', '.join(ALLOWED_TAGS)} and the filters {', '.join(ALLOWED_FILTERS)}"
_INVALID_FILTER = re.compile(r"Invalid filter: '(?P<name>[^']*)'")


class MessageTemplateInvalid(DomainError):
    """A wording was refused; ``field`` names the part that is wrong (``subject``, ``body`` or ``kind``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _refuse_unknown_tags(text: str, what: str) -> None:
    """Name the first tag the email engine does not know, with what it does know."""
    in_comment = False
    for token in Lexer(text).tokenize():
        if token.token_type != TokenType.BLOCK or not token.contents.strip():
            continue
        name = token.split_contents()[0]
        in_comment = (in_comment or name == "comment") and name != "endcomment"  # a comment's tags never run
        if not in_comment and name not in ALLOWED_TAGS and name not in _INNER_TAGS:
            raise MessageTemplateInvalid(
                what,
                f"The {what} is not a valid template for an email: it uses {{% {name} %}}, which is not allowed "
                f"(loops, includes and generated text could make it endless); {_ALLOWED}.",
            )


def message_text_compile(text: str, what: str) -> Template:
    """Compile one part of an email (``what`` is ``subject`` or ``body``) with the cut-down engine."""
    _refuse_unknown_tags(text, what)
    try:
        return _ENGINE.from_string(text)
    except TemplateSyntaxError as exc:
        unknown = _INVALID_FILTER.search(str(exc))
        if unknown is not None:
            raise MessageTemplateInvalid(
                what,
                f"The {what} is not a valid template for an email: it uses the filter |{unknown['name']}, "
                f"which is not allowed; {_ALLOWED}.",
            ) from exc
        raise MessageTemplateInvalid(what, f"The {what} is not a valid template: {exc}") from exc


def message_text_render(text: str, what: str, values: dict[str, Any]) -> str:
    """Render one part of an email as plain text (nothing HTML-escaped), within ``RENDERED_MAX``."""
    return _render(message_text_compile(text, what), what, values)


def _render(template: Template, what: str, values: dict[str, Any]) -> str:
    try:
        rendered = template.render(Context(values, autoescape=False))
    except Exception as exc:  # a filter given a value it cannot take, e.g. slice:"x"
        raise MessageTemplateInvalid(what, f"The {what} cannot be rendered: {exc}") from exc
    limit = RENDERED_MAX[what]
    if len(rendered) > limit:
        raise MessageTemplateInvalid(
            what, f"The {what} renders to {len(rendered):,} characters; an email's {what} is limited to {limit:,}."
        )
    return rendered


def sentinel_link() -> str:
    """A link shaped like a real one, with a random token: a template cannot tell it from a real link."""
    return settings.BASE_URL + reverse("surveys:expert_entry", args=[secrets.token_urlsafe(32)])


def _samples(study: Study | None, link: str) -> list[dict[str, Any]]:
    """Two sample experts who differ in everything a wording may test: name, round and deadline."""
    title, slug = (study.title, study.slug) if study is not None else ("Study", "study")
    return [
        {
            "study": {"title": title, "slug": slug},
            "round": {"number": 1},
            "closes_at": "2030-01-01 12:00 (UTC)",
            "name": "Alex Sample",
            "link": link,
        },
        {"study": {"title": title, "slug": slug}, "round": {"number": 2}, "closes_at": "", "name": "", "link": link},
    ]


def message_template_check(*, kind: str, subject: str, body: str, study: Study | None = None) -> tuple[str, str]:
    """The one check of a wording, whoever saves it (dashboard, API, admin): returns the subject and
    body as they are stored, or raises :class:`MessageTemplateInvalid` naming the part and the reason.

    Both parts must be non-empty, within ``SOURCE_MAX``, use only the cut-down engine, render within
    ``RENDERED_MAX`` for two sample experts, and, for invitations and reminders, show the link in the
    body for both.
    """
    if kind not in Kind.values:
        raise MessageTemplateInvalid("kind", f"'{kind}' is not a kind of email; choose from {', '.join(Kind.values)}.")
    subject, body = " ".join(subject.split()), body.strip()
    for what, text in (("subject", subject), ("body", body)):
        if not text:
            raise MessageTemplateInvalid(what, f"The {what} must not be empty.")
        if problem := text_problem(text):  # PostgreSQL could not store it
            raise MessageTemplateInvalid(what, f"The {what} {problem}.")
        if len(text) > SOURCE_MAX[what]:
            raise MessageTemplateInvalid(
                what, f"The {what} has {len(text):,} characters; it is limited to {SOURCE_MAX[what]:,}."
            )
    compiled = {"subject": message_text_compile(subject, "subject"), "body": message_text_compile(body, "body")}
    link = sentinel_link()
    for values in _samples(study, link):  # only once both parts passed the static checks
        _render(compiled["subject"], "subject", values)
        shown = _render(compiled["body"], "body", values)
        if kind in LINKED and link not in shown:
            raise MessageTemplateInvalid(
                "body",
                "The body must contain {{ link }}, shown to every expert: rendered for a sample expert "
                f"({values['name'] or 'no name'}, round {values['round']['number']}, "
                f"{'a deadline' if values['closes_at'] else 'no deadline'}) it does not show the link "
                "(is it inside a comment, a condition that is false, or changed by a filter?). "
                "Each email replaces the expert's link; without it they cannot answer.",
            )
    return subject, body


def message_template_for(study: Study, kind: str) -> tuple[str, str]:
    """The study's (subject, body) for ``kind``, or the built-in default."""
    saved = MessageTemplate.objects.filter(study=study, kind=kind).values_list("subject", "body").first()
    return saved if saved is not None else DEFAULT_MESSAGES[kind]


def message_template_problem(study: Study, kind: str) -> str | None:
    """Why the study's wording of ``kind`` fails today's check, or None. A wording saved before the
    check existed, or written by hand, can fail it: such emails are not sent (``surveys.services.mail``)
    until the wording is fixed or reset, so no expert's link is replaced by an email that lacks it."""
    saved = MessageTemplate.objects.filter(study=study, kind=kind).select_related("study").first()
    # Each language the wording is given in is checked: an expert mailed in it would lose their link too.
    wordings = wordings_of(saved) if saved is not None else {"": DEFAULT_MESSAGES[kind]}
    for language, (subject, body) in wordings.items():
        try:
            message_template_check(kind=kind, subject=subject, body=body, study=study)
        except MessageTemplateInvalid as exc:
            return str(exc) if language in ("", study.default_language) else f"({language}) {exc}"
    return None


def message_template_problems(study: Study) -> dict[str, str]:
    """:func:`message_template_problem` for each kind of email the study has its own wording of."""
    kinds = MessageTemplate.objects.filter(study=study).values_list("kind", flat=True)
    return {kind: problem for kind in kinds if (problem := message_template_problem(study, kind)) is not None}


@transaction.atomic
def message_template_save(
    *,
    study: Study,
    kind: str,
    subject: str,
    body: str,
    actor: AbstractBaseUser | None = None,
    actor_label: str = "system",
) -> MessageTemplate:
    """Save a study's wording of one kind of email, once :func:`message_template_check` accepts it."""
    subject, body = message_template_check(kind=kind, subject=subject, body=body, study=study)
    template, _ = MessageTemplate.objects.update_or_create(
        study=study, kind=kind, defaults={"subject": subject, "body": body + "\n"}
    )
    audit_record(study=study, action="message.edited", actor=actor, actor_label=actor_label, kind=kind)
    return template


@transaction.atomic
def message_template_reset(
    *, study: Study, kind: str, actor: AbstractBaseUser | None = None, actor_label: str = "system"
) -> None:
    """Go back to the built-in wording."""
    MessageTemplate.objects.filter(study=study, kind=kind).delete()
    audit_record(study=study, action="message.reset", actor=actor, actor_label=actor_label, kind=kind)
