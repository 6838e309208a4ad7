"""The questionnaire page's view of a ballot: stored answers, or a refused post's values, per field.

Built from :class:`.expert.QuestionnaireData` without further queries.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from surveys.answer_fields import CANT_ANSWER, field_name, open_field_name, rationale_field_name
from surveys.answer_rules import is_outside_band, item_is_answered
from surveys.content_language import Localized, localized, localized_scale_label
from surveys.models import Ballot, Dimension, Item, Rating, Round, RoundItem, Section

from .expert import QuestionnaireData
from .feedback import Feedback, Rationale, SideTheme


@dataclass
class ChoiceView:
    value: str
    text: str
    label: str
    input_id: str
    is_checked: bool
    is_in_band: bool = False  # inside the panel's interquartile range
    is_median: bool = False
    is_outside: bool = False  # choosing it asks for a reason (outside the band that asks one)
    is_label_fallback: bool = False  # the label is the default language's: no translation yet


@dataclass
class CellView:
    """One dimension of one item: a fieldset of radio buttons."""

    dimension: Dimension
    name: str
    choices: list[ChoiceView]
    cant_answer: ChoiceView
    value: str
    feedback: Feedback | None
    band: tuple[float, float] | None  # the previous [q1, q3] that asks for a reason
    error: str = ""
    label: Localized | None = None  # the dimension's label in the expert's language (or the fallback)
    prompt: Localized | None = None  # its question, else its label, in the expert's language

    @property
    def is_outside(self) -> bool:
        return is_outside_band(_point(self.value), self.band)

    @property
    def is_rated(self) -> bool:
        return self.value != ""  # a point or can't answer; empty is not answered yet


@dataclass
class ItemView:
    round_item: RoundItem
    item: Item
    cells: list[CellView]
    rationale_name: str
    rationale: str
    rationale_error: str
    open_name: str
    open_text: str
    open_error: str
    others: list[Rationale]  # the other experts' rationales, anonymised; the reader's language first
    other_themes: list[SideTheme] = field(default_factory=list)  # the themes of the other side's reasons
    text: Localized | None = None  # the item's text in the expert's language (``is_fallback`` if not translated)

    @property
    def is_answered(self) -> bool:
        return item_is_answered(
            is_open=self.item.is_open,
            open_answer=self.open_text,
            n_dimensions=len(self.cells),
            n_rated=sum(1 for c in self.cells if c.is_rated),
        )

    @property
    def answered_by(self) -> str:
        """The fields that must each hold a value for the item to count as answered (space-separated,
        for the page's ``data-answered-by``): its answer, or each dimension's rating."""
        return self.open_name if self.item.is_open else " ".join(c.name for c in self.cells)

    @property
    def asks_reason(self) -> bool:
        return any(c.band is not None for c in self.cells)

    @property
    def is_outside(self) -> bool:
        return any(c.is_outside for c in self.cells)

    @property
    def has_feedback(self) -> bool:
        return any(c.feedback is not None for c in self.cells)


@dataclass
class SectionView:
    section: Section
    items: list[ItemView]
    title: Localized | None = None  # the section's title in the expert's language

    @property
    def answered(self) -> int:
        return sum(1 for i in self.items if i.is_answered)


@dataclass
class QuestionnaireView:
    data: QuestionnaireData
    sections: list[SectionView]
    errors: dict[str, str]
    # The expert pressed Submit with items unanswered: the page asks them to confirm (or answer first).
    is_confirming_submit: bool = False

    @property
    def answered(self) -> int:
        return sum(s.answered for s in self.sections)

    @property
    def unanswered(self) -> list[ItemView]:
        """The items still unanswered, in page order (what a submission would leave out)."""
        return [i for s in self.sections for i in s.items if not i.is_answered]

    @property
    def total(self) -> int:
        return sum(len(s.items) for s in self.sections)

    @property
    def is_closed(self) -> bool:
        return self.data.round.status != Round.Status.OPEN

    @property
    def is_submitted(self) -> bool:
        return self.data.ballot.status == Ballot.Status.SUBMITTED

    @property
    def is_editable(self) -> bool:
        return not self.is_closed and not self.is_submitted

    @property
    def is_reason_required(self) -> bool:
        return self.data.round.study.is_reason_required

    @property
    def is_reason_asked(self) -> bool:
        return self.data.round.study.is_reason_asked


def _point(value: str) -> int | None:
    """The point a form value names, or None (not answered, can't answer, or unreadable)."""
    return int(value) if value.lstrip("-").isdigit() else None


def _stored_value(rating: Rating | None) -> str:
    if rating is None:
        return ""
    return CANT_ANSWER if rating.value is None else str(rating.value)


def _cell(
    round_item: RoundItem,
    dimension: Dimension,
    data: QuestionnaireData,
    posted: Mapping[str, str] | None,
    errors: Mapping[str, str],
) -> CellView:
    name = field_name(round_item.pk, dimension.key)
    value = _stored_value(data.ratings.get((round_item.pk, dimension.pk)))
    if posted is not None and name in posted:
        value = posted[name].strip()
    feedback = data.feedback.cells.get((round_item.pk, dimension.pk))
    stat = feedback.statistic if feedback is not None and feedback.is_shown else None
    shown = (stat.q1, stat.q3) if stat is not None and stat.q1 is not None and stat.q3 is not None else None
    band = data.reason_bands.get((round_item.pk, dimension.pk))
    language, default = data.language, data.round.study.default_language
    labels = {point: localized_scale_label(dimension, point, language, default) for point in dimension.points}
    choices = [
        ChoiceView(
            value=str(point),
            text=str(point),
            label=labels[point].text,
            input_id=f"{name}-{point}",
            is_checked=value == str(point),
            is_in_band=shown is not None and not is_outside_band(point, shown),
            is_median=stat is not None and stat.median == point,
            is_outside=is_outside_band(point, band),
            is_label_fallback=labels[point].is_fallback,
        )
        for point in dimension.points
    ]
    cant = ChoiceView(CANT_ANSWER, "Can't answer", "", f"{name}-{CANT_ANSWER}", value == CANT_ANSWER)
    return CellView(
        dimension=dimension,
        name=name,
        choices=choices,
        cant_answer=cant,
        value=value,
        feedback=feedback,
        band=band,
        error=errors.get(name, ""),
        label=localized(dimension, "label", language, default),
        prompt=localized(dimension, "question" if dimension.question else "label", language, default),
    )


def questionnaire_view(
    data: QuestionnaireData, *, posted: Mapping[str, str] | None = None, errors: Mapping[str, str] | None = None
) -> QuestionnaireView:
    """The page's view: stored answers, or the refused post's values so nothing typed is lost."""
    errors = dict(errors or {})
    default = data.round.study.default_language
    sections: list[SectionView] = []
    for round_item in data.round_items:
        item = round_item.item
        if not sections or sections[-1].section.pk != item.section_id:
            title = localized(item.section, "title", data.language, default)
            sections.append(SectionView(section=item.section, items=[], title=title))
        cells = [_cell(round_item, d, data, posted, errors) for d in item.dimensions.all()]
        rationale_name = rationale_field_name(round_item.pk)
        # The item's one rationale: on its first rated dimension (see surveys/services/ballots.py).
        stored = [data.ratings.get((round_item.pk, d.pk)) for d in item.dimensions.all()]
        rationale = next((r.rationale for r in stored if r is not None and r.rationale), "")
        open_name = open_field_name(round_item.pk)
        open_text = data.open_answers.get(round_item.pk, "")
        if posted is not None:
            rationale = posted.get(rationale_name, rationale)
            open_text = posted.get(open_name, open_text)
        sections[-1].items.append(
            ItemView(
                round_item=round_item,
                item=item,
                cells=cells,
                rationale_name=rationale_name,
                rationale=rationale,
                rationale_error=errors.get(rationale_name, ""),
                open_name=open_name,
                open_text=open_text,
                open_error=errors.get(open_name, ""),
                others=data.feedback.rationales.get(round_item.pk, []),
                other_themes=data.feedback.themes.get(round_item.pk, []),
                text=localized(item, "text", data.language, default),
            )
        )
    return QuestionnaireView(data=data, sections=sections, errors=errors)
