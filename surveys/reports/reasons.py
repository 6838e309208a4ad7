"""The reasons in a report: each item's rationales per round, grouped by the side they came with, and
the open answers and suggestions with what became of them.

**Sides.** A rationale comes with a rating; its side is the rating's band on that dimension, as in
:func:`surveys.stats.themes.rationale_sides`: ``agree`` inside the agree band, ``disagree`` inside
the disagree band, ``neutral`` between them, and ``cant_answer`` for a reason given with "can't
answer". A dimension that does not count toward consensus (e.g. confidence) has the same bands,
labelled high, middle and low instead.

**Anonymity** (DESIGN.md, "Subgroups"; :func:`surveys.stats.is_shown`). A rationale is shown only
where the whole panel's cell for that item, dimension and round is shown: at least the study's
``min_group_size`` valid ratings there. Elsewhere the cell's rationales are withheld, and so is
their number. A rationale is never shown with a pseudonym or a group, and within a side they are
sorted by their text, so their order says nothing about who wrote which, nor links one expert's
reasons across items. Open answers to an open question are shown for a round when at least
``min_group_size`` experts answered it there; suggestions made outside an open question, when the
round had at least that many respondents.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
from django.utils.translation import gettext, gettext_lazy, pgettext

from surveys.answer_rules import band_side
from surveys.stats import is_shown

from .source import Row

SIDES = ("agree", "neutral", "disagree", "cant_answer")
REASON_COLUMNS = ["round", "item_code", "lineage_root_code", "dimension", "side", "rationale", "language"]
COUNT_COLUMNS = ["round", "item_code", "lineage_root_code", "dimension", "n", "shown", *SIDES, "n_rationales"]
SUGGESTION_COLUMNS = ["round", "kind", "item_code", "text", "status", "outcome"]
KIND_LABELS = {  # str() in the report's language where used
    "open_answer": gettext_lazy("Answer to an open question"),
    "new_item": gettext_lazy("New item"),
    "rewording": gettext_lazy("Rewording"),
}
STATUS_LABELS = {
    "new": gettext_lazy("Not decided yet"),
    "accepted": gettext_lazy("Accepted"),
    "rejected": gettext_lazy("Set aside"),
}


@dataclass(frozen=True)
class Band:
    key: str  # the side
    label: str  # "Agree (7–9)", "Low (1–2)", "Can't answer"


def _span(low: int, high: int) -> str:
    return str(low) if low == high else f"{low}–{high}"


def bands(
    scale_min: int, scale_max: int, agree: tuple[int, int], disagree: tuple[int, int], decides: bool
) -> list[Band]:
    """The sides of a dimension in :data:`SIDES` order, labelled with their points."""
    middle = [
        p for p in range(scale_min, scale_max + 1) if not (agree[0] <= p <= agree[1] or disagree[0] <= p <= disagree[1])
    ]
    high, middle_name, low = pgettext("band", "High"), pgettext("band", "Middle"), pgettext("band", "Low")
    names = (pgettext("side", "Agree"), pgettext("side", "Neutral"), pgettext("side", "Disagree"))
    if not decides:
        names = (low, middle_name, high) if agree[0] < disagree[0] else (high, middle_name, low)  # low "agree" end
    middle_label = f"{names[1]} ({_span(middle[0], middle[-1])})" if middle else names[1]
    return [
        Band("agree", f"{names[0]} ({_span(*agree)})"),
        Band("neutral", middle_label),
        Band("disagree", f"{names[2]} ({_span(*disagree)})"),
        Band("cant_answer", pgettext("side", "Can't answer")),
    ]


def side_of(value: int | None, agree: tuple[int, int], disagree: tuple[int, int]) -> str:
    """A rationale's side from its rating: its band, or ``"cant_answer"``."""
    return "cant_answer" if value is None else band_side(value, agree, disagree)


def rationale_frames(
    answers: Sequence[tuple[int, int, int, int, int | None, str]],
    *,
    whole_n: Mapping[tuple[int, str, str], int],
    round_numbers: Mapping[int, int],
    item_codes: Mapping[int, str],
    root_codes: Mapping[int, str],
    dimensions: Mapping[int, tuple[str, tuple[int, int], tuple[int, int]]],
    lineage_order: Mapping[str, int],
    dimension_order: Mapping[str, int],
    min_group_size: int,
    languages: Mapping[tuple[int, int, int, int], str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rationales, counts): the shown rationales (:data:`REASON_COLUMNS`) and, per round × item ×
    dimension with any rationale, the cell's valid ratings ``n``, whether it is shown, and the number
    of rationales per side (None where withheld; :data:`COUNT_COLUMNS`).

    ``whole_n`` maps (round number, item code, dimension key) to the whole panel's valid ratings
    there; ``dimensions`` maps a dimension id to (key, agree band, disagree band); ``languages`` the
    language each rationale was written in, by (round id, panelist id, item id, dimension id) ("" unknown).
    """
    languages = languages or {}
    shown_rows: list[tuple[int, str, str, str, str, str, str]] = []
    counts: dict[tuple[int, str, str, str], dict[str, int]] = {}
    for round_id, panelist, item_id, dimension_id, value, rationale in answers:
        text = (rationale or "").strip()
        if not text or round_id not in round_numbers:
            continue
        key, agree, disagree = dimensions[dimension_id]
        number, code = round_numbers[round_id], item_codes[item_id]
        side = side_of(value, agree, disagree)
        cell = counts.setdefault((number, code, root_codes[item_id], key), dict.fromkeys(SIDES, 0))
        cell[side] += 1
        n = whole_n.get((number, code, key), 0)
        if bool(is_shown(n, min_group_size=min_group_size)):
            language = languages.get((round_id, panelist, item_id, dimension_id), "")
            shown_rows.append((number, code, root_codes[item_id], key, side, text, language))
    side_order = {side: i for i, side in enumerate(SIDES)}
    reasons = pd.DataFrame(shown_rows, columns=REASON_COLUMNS)
    if len(reasons):
        reasons = reasons.assign(
            _l=reasons["lineage_root_code"].map(lineage_order).fillna(len(lineage_order)),
            _d=reasons["dimension"].map(dimension_order).fillna(len(dimension_order)),
            _s=reasons["side"].map(side_order),
            _t=reasons["rationale"].str.casefold(),
        )
        reasons = reasons.sort_values(["_l", "_d", "round", "_s", "_t", "rationale"], kind="stable")
        reasons = reasons[REASON_COLUMNS].reset_index(drop=True)
    records = []
    for (number, code, root, key), sides in counts.items():
        n = whole_n.get((number, code, key), 0)
        shown = bool(is_shown(n, min_group_size=min_group_size))
        records.append(
            {
                "round": number,
                "item_code": code,
                "lineage_root_code": root,
                "dimension": key,
                "n": n if shown else None,
                "shown": shown,
                **{side: (sides[side] if shown else None) for side in SIDES},
                "n_rationales": sum(sides.values()) if shown else None,
            }
        )
    frame = pd.DataFrame(records, columns=COUNT_COLUMNS)
    if len(frame):
        frame = (
            frame.assign(
                _l=frame["lineage_root_code"].map(lineage_order).fillna(len(lineage_order)),
                _d=frame["dimension"].map(dimension_order).fillna(len(dimension_order)),
            )
            .sort_values(["_l", "_d", "round"], kind="stable")[COUNT_COLUMNS]
            .reset_index(drop=True)
        )
    return reasons, frame


def suggestions_frame(
    suggestions: Sequence[Row],
    *,
    round_numbers: Mapping[int, int],
    item_codes: Mapping[int, str],
    first_asked: Mapping[int, int],
    respondents: Mapping[int, int],
    min_group_size: int,
    note: str,
) -> pd.DataFrame:
    """Open answers and suggestions with what became of them (:data:`SUGGESTION_COLUMNS`).

    ``first_asked`` maps an item id to the first round it was asked in; ``respondents`` a round
    number to its submitted ballots. A withheld group of open answers (fewer than
    ``min_group_size`` answers to one open question in one round) is one row whose text is ``note``.
    """
    answers: dict[tuple[int | None, int], list[Row]] = {}
    rows = []
    for s in suggestions:
        number = round_numbers.get(s["round_id"]) if s["round_id"] is not None else None
        if s["prompt_item_id"] is not None:
            answers.setdefault((number, s["prompt_item_id"]), []).append(s)
            continue
        if number is not None and not is_shown(respondents.get(number, 0), min_group_size=min_group_size):
            continue
        rows.append(_suggestion_row(s, number, item_codes, first_asked))
    for (number, prompt), group in answers.items():
        if not is_shown(len(group), min_group_size=min_group_size):
            rows.append(
                {
                    "round": number,
                    "kind": str(KIND_LABELS["open_answer"]),
                    "item_code": item_codes.get(prompt, ""),
                    "text": note,
                    "status": "",
                    "outcome": "",
                }
            )
            continue
        for s in group:
            row = _suggestion_row(s, number, item_codes, first_asked)
            row.update(kind=str(KIND_LABELS["open_answer"]), item_code=item_codes.get(prompt, ""))
            rows.append(row)
    frame = pd.DataFrame(rows, columns=SUGGESTION_COLUMNS)
    if len(frame):
        frame = frame.assign(_r=frame["round"].fillna(0), _t=frame["text"].str.casefold())
        frame = frame.sort_values(["_r", "kind", "item_code", "_t"], kind="stable")[SUGGESTION_COLUMNS]
    return frame.reset_index(drop=True)


def _suggestion_row(s: Row, number: int | None, item_codes: Mapping[int, str], first_asked: Mapping[int, int]) -> dict:  # type: ignore[type-arg]
    target = item_codes.get(s["target_item_id"], "") if s["target_item_id"] is not None else ""
    return {
        "round": number,
        "kind": str(KIND_LABELS.get(s["kind"], s["kind"])),
        "item_code": target,
        "text": (s["text"] or "").strip(),
        "status": str(STATUS_LABELS.get(s["status"], s["status"])),
        "outcome": outcome(s, item_codes, first_asked),
    }


def outcome(s: Row, item_codes: Mapping[int, str], first_asked: Mapping[int, int]) -> str:
    """What became of a suggestion, in words."""
    if s["status"] == "rejected":
        return gettext("set aside by the facilitators")
    if s["status"] != "accepted":
        return gettext("not decided yet")
    created = s["created_item_id"]
    if created is None or created not in item_codes:
        return gettext("accepted")
    values = {"code": item_codes[created], "round": first_asked.get(created)}
    if s["kind"] == "rewording":
        if created in first_asked:
            return gettext("became the new wording %(code)s, asked from round %(round)s") % values
        return gettext("became the new wording %(code)s, not asked in an aggregated round yet") % values
    if created in first_asked:
        return gettext("became item %(code)s, asked from round %(round)s") % values
    return gettext("became item %(code)s, not asked in an aggregated round yet") % values
