"""Email templates a facilitator edits per study (invitation, reminder, thank-you)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_noop

from .records import DeliveryKind, DeliveryLog
from .study import TRANSLATIONS_HELP, Study


class MessageTemplate(models.Model):
    """A study's own wording of one kind of email; when absent, the built-in default is used.

    ``subject`` and ``body`` use Django template syntax with ``{{ link }}``, ``{{ name }}``,
    ``{{ study.title }}``, ``{{ round.number }}`` and ``{{ closes_at }}``. ``closes_at`` is the deadline in
    the study's time zone, with the zone named, and empty when there is none, once it has passed, or once
    the round has closed: an email never promises a time in the past.
    """

    Kind = DeliveryLog.Kind

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="message_templates")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    subject = models.CharField(max_length=200)
    body = models.TextField(max_length=10000)
    translations = models.JSONField(default=dict, blank=True, help_text=TRANSLATIONS_HELP)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["study", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["study", "kind"], name="message_template_unique_per_kind"),
            models.CheckConstraint(condition=Q(kind__in=DeliveryKind.values), name="message_template_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.study.slug}"


# The built-in wording of each kind of email, used until a facilitator saves the study's own. Marked for
# translation and kept English here: each email is translated into its reader's language when it is sent
# (surveys.services.mail_language), while the dashboard offers this English text to edit.
DEFAULT_MESSAGES: dict[str, tuple[str, str]] = {
    DeliveryLog.Kind.INVITATION: (
        gettext_noop("Invitation: {{ study.title }}, round {{ round.number }}"),
        gettext_noop(
            """Dear {{ name|default:"colleague" }},

You are invited to round {{ round.number }} of the expert panel "{{ study.title }}".
Your answers are anonymous to the other experts: they see only the group's results.

Your personal link (please do not share it):
{{ link }}
{% if closes_at %}
The round closes on {{ closes_at }}.{% endif %}
This link replaces any earlier one we sent you.

Thank you for taking part.
"""
        ),
    ),
    DeliveryLog.Kind.REMINDER: (
        gettext_noop("Reminder: round {{ round.number }} of {{ study.title }}"),
        gettext_noop(
            """Dear {{ name|default:"colleague" }},

A reminder that round {{ round.number }} of "{{ study.title }}" is open and we have not received
your answers yet. Your saved answers are kept.

Your personal link (please do not share it):
{{ link }}
{% if closes_at %}
The round closes on {{ closes_at }}.{% endif %}
This link replaces any earlier one we sent you.
"""
        ),
    ),
    DeliveryLog.Kind.THANK_YOU: (
        gettext_noop("Thank you: round {{ round.number }} of {{ study.title }}"),
        gettext_noop(
            """Dear {{ name|default:"colleague" }},

Thank you: we have received your answers to round {{ round.number }} of "{{ study.title }}".
{% if closes_at %}You can still revise them until {{ closes_at }}.
{% endif %}
We will write again when the next round opens.
"""
        ),
    ),
}
