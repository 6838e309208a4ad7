"""The expert's short expertise profile: background, years of experience, self-rated expertise per section.

The group is not here: the facilitator assigns it, and the page shows it read-only.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from surveys.models import Panelist, Section
from surveys.services.experts import BACKGROUND_MAX_LENGTH, EXPERTISE_SCALE, YEARS_MAX


def expertise_field(section_key: str) -> str:
    return f"expertise-{section_key}"


class ProfileForm(forms.Form):
    background = forms.CharField(
        label=gettext_lazy("Your background"),
        required=False,
        max_length=BACKGROUND_MAX_LENGTH,
        widget=forms.Textarea,
        help_text=gettext_lazy(
            "In your own words, if you like: your field, role or region. The facilitator sees it; no result uses it."
        ),
    )
    years_experience = forms.IntegerField(
        label=gettext_lazy("Years of experience in this field"), required=False, min_value=0, max_value=YEARS_MAX
    )

    def __init__(self, *args: object, sections: list[Section], panelist: Panelist, **kwargs: object) -> None:
        kwargs.setdefault(
            "initial",
            {
                "background": panelist.background,
                "years_experience": panelist.years_experience,
                **{expertise_field(k): v for k, v in (panelist.expertise or {}).items()},
            },
        )
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        low, high = EXPERTISE_SCALE
        self.sections = sections
        for section in sections:
            self.fields[expertise_field(section.key)] = forms.TypedChoiceField(
                label=section.title,
                required=False,
                coerce=int,
                empty_value=None,
                choices=[(v, str(v)) for v in range(low, high + 1)],
                widget=forms.RadioSelect,
            )

    def expertise_rows(self) -> list[forms.BoundField]:
        return [self[expertise_field(s.key)] for s in self.sections]

    def expertise(self) -> dict[str, int | None]:
        return {s.key: self.cleaned_data.get(expertise_field(s.key)) for s in self.sections}
