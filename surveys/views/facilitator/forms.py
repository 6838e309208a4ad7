"""Forms that parse the facilitator's input; the services check the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import get_language_info, gettext
from django.utils.translation import gettext_lazy as _

from surveys.models import Dimension, Item, Section, Study, Suggestion
from surveys.services.panel_import import MAX_FILE_BYTES, MAX_LENGTH
from surveys.text_input import UploadError, decode_upload

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(
        required=True,
        label=_("I have read the above and want to go ahead."),
        error_messages={"required": _("Tick the box to confirm.")},
    )


def _deadline_field() -> forms.DateTimeField:
    """A deadline. Read (and shown) in the zone active while the form is used: the views activate the
    study's (``deadline_zone``). An ISO 8601 value with an offset, e.g. ``2026-12-16T18:00+01:00``, is
    that instant; a wall time the zone skips or repeats when its clocks change is refused."""
    return forms.DateTimeField(
        required=False,
        label=_("Closes at (optional)"),
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        help_text=_("The round closes itself then."),
    )


def deadline_zone(form: forms.Form, zone: str) -> None:
    """Name the study's time zone on the form's deadline field, if it has one."""
    field = form.fields.get("closes_at")
    if field is not None:
        field.label = gettext("Closes at (%(zone)s time, optional)") % {"zone": zone}
        field.help_text = gettext("In the study's time zone, %(zone)s. The round closes itself then.") % {"zone": zone}


class DeadlineConfirmForm(ConfirmForm):
    closes_at = _deadline_field()
    field_order = ["closes_at", "confirm"]


class OpenRoundForm(DeadlineConfirmForm):
    send_invitations = forms.BooleanField(
        required=False, initial=True, label=_("Email the invitations now (each expert gets a new personal link).")
    )
    # Shown only when a declared language lacks translations (the view names the default language).
    allow_fallback = forms.BooleanField(required=False, label=_("Open anyway: the fallback is intended."))
    field_order = ["closes_at", "send_invitations", "allow_fallback", "confirm"]


class DeadlineForm(forms.Form):
    closes_at = _deadline_field()


class RewordForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=4000, label=_("New wording"))
    code = forms.CharField(required=False, max_length=16, label=_("New code (optional)"))


class SuggestionAcceptForm(forms.Form):
    """Turn a suggestion into an item of a draft round. The preparation page renders it, one per
    suggestion (:meth:`for_suggestion`), so a field changed here shows there."""

    text = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=4000, label=_("Wording")
    )
    code = forms.CharField(
        required=False, max_length=16, label=_("Code"), widget=forms.TextInput(attrs={"placeholder": _("e.g. C9")})
    )
    kind = forms.ChoiceField(
        required=False, label=_("Kind"), choices=[(v, label) for v, label in Item.Kind.choices if v != Item.Kind.OPEN]
    )
    section = forms.ModelChoiceField(
        queryset=Section.objects.none(), required=False, label=_("Section"), empty_label=None
    )
    dimensions = forms.ModelMultipleChoiceField(
        queryset=Dimension.objects.none(), required=False, widget=forms.CheckboxSelectMultiple, label=_("Rated on")
    )

    def __init__(
        self,
        *args: Any,
        study: Study,
        sections: list[Section] | None = None,
        dimensions: list[Dimension] | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("label_suffix", "")  # the page's labels carry no colon
        super().__init__(*args, **kwargs)
        self.fields["text"].widget.attrs.pop("cols", None)  # the page's style sets the width
        section = self.fields["section"]
        rated_on = self.fields["dimensions"]
        section.queryset = Section.objects.filter(study=study).order_by("order")  # type: ignore[attr-defined]
        rated_on.queryset = Dimension.objects.filter(study=study).order_by("order")  # type: ignore[attr-defined]
        rated_on.label_from_instance = lambda dimension: dimension.label  # type: ignore[attr-defined]
        # Already read by the page: shown as they are, so many forms cost no query each (a post is
        # still checked against the querysets).
        if sections is not None:
            section.widget.choices = [(s.pk, s.title) for s in sections]
        if dimensions is not None:
            rated_on.widget.choices = [(d.pk, d.label) for d in dimensions]

    @classmethod
    def for_suggestion(
        cls, suggestion: Suggestion, *, study: Study, sections: list[Section], dimensions: list[Dimension]
    ) -> SuggestionAcceptForm:
        """The unbound form for one suggestion: its text, rated on the study's first dimension."""
        return cls(
            study=study,
            sections=sections,
            dimensions=dimensions,
            auto_id=f"s{suggestion.pk}-%s",
            initial={"text": suggestion.text, "dimensions": [d.pk for d in dimensions[:1]]},
        )


class PanelistForm(forms.Form):
    email = forms.EmailField(max_length=MAX_LENGTH["email"], label=_("Email"))
    name = forms.CharField(required=False, max_length=MAX_LENGTH["name"], label=_("Name"))
    group = forms.CharField(
        required=False, max_length=MAX_LENGTH["group"], label=_("Group"), help_text=_("Region or stakeholder type.")
    )
    language = forms.CharField(
        required=False,
        max_length=MAX_LENGTH["language"],
        initial="en",
        label=_("Language"),
        help_text=_("A code the study declares, e.g. en or ru."),
    )


class PanelistEditForm(forms.Form):
    """An expert's name, group and language; ``panel_roster.panelist_update`` checks them."""

    name = forms.CharField(required=False, max_length=MAX_LENGTH["name"], label=_("Name"))
    group = forms.CharField(
        required=False, max_length=MAX_LENGTH["group"], label=_("Group"), help_text=_("Region or stakeholder type.")
    )
    language = forms.ChoiceField(label=_("Language"), help_text=_("Their pages and email are in this language."))

    def __init__(self, *args: Any, languages: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["language"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(code, language_name(code)) for code in languages]


def language_name(code: str) -> str:
    """``ru`` → "Русский (ru)": the language's own name, as a switcher shows it, and its code."""
    try:
        return f"{get_language_info(code)['name_local']} ({code})"
    except KeyError:
        return code


class PanelUploadForm(forms.Form):
    file = forms.FileField(label=_("CSV file"), help_text=_("Columns: email (required), name, group, language. UTF-8."))

    def clean_file(self) -> str:
        """The file's text (UTF-8, with or without a byte-order mark)."""
        try:
            return decode_upload(self.cleaned_data["file"], max_bytes=MAX_FILE_BYTES, what=gettext("The file"))
        except UploadError as exc:
            if exc.code == "not_utf8":
                advice = gettext("save it as 'CSV UTF-8' from your spreadsheet and upload it again")
                raise forms.ValidationError(f"{exc.what} {exc.problem}; {advice}.", code=exc.code) from exc
            raise forms.ValidationError(str(exc), code=exc.code) from exc


class MessageTemplateForm(forms.Form):
    subject = forms.CharField(max_length=200, label=_("Subject"))
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 14}), max_length=10000, label=_("Body"))


def first_error(form: forms.Form) -> str:
    """The form's errors as one line for a message."""
    return "; ".join(
        f"{form.fields[name].label or name if name in form.fields else ''}: {' '.join(str(e) for e in errors)}".lstrip(
            ": "
        )
        for name, errors in form.errors.items()
    )
