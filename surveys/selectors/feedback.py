"""Controlled feedback: what the panel said before, as an expert may see it.

From round 2 on, the previous round's whole-panel statistics of each item's lineage; in live mode the
round's own running statistics. A statistic with fewer than ``min_group_size`` valid ratings is
withheld (``surveys.stats.is_shown``), and others' rationales are text only. Fixed query counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from surveys.answer_rules import band_side
from surveys.content_language import base_language
from surveys.models import Ballot, Dimension, ItemStatistic, ItemThemes, Panelist, Rating, Round, RoundItem
from surveys.stats import is_shown

from .ratings import lineage_roots


def previous_round(round_: Round) -> Round | None:
    """The latest earlier round that has closed: its statistics are what the panel said before."""
    return (
        Round.objects.filter(
            study_id=round_.study_id,
            number__lt=round_.number,
            status__in=[Round.Status.CLOSED, Round.Status.AGGREGATED],
        )
        .order_by("-number")
        .first()
    )


def lineage_map(round_: Round, earlier: Round) -> dict[int, int]:
    """This round's item id -> the earlier round's round item of the same lineage (``Item.replaces``)."""
    roots = lineage_roots(round_.study)
    earlier_by_root = {
        roots[item_id]: pk for pk, item_id in RoundItem.objects.filter(round=earlier).values_list("pk", "item_id")
    }
    return {item_id: earlier_by_root[root] for item_id, root in roots.items() if root in earlier_by_root}


@dataclass
class Feedback:
    """What the panel said about one item on one dimension, as shown to an expert."""

    statistic: ItemStatistic
    round_number: int
    is_live: bool
    is_shown: bool  # at least min_group_size valid ratings; otherwise nothing but that fact is shown
    own_previous: int | None = None
    has_own_previous: bool = False

    @property
    def distribution(self) -> list[tuple[int, int]]:
        d = self.statistic.dimension
        counts = self.statistic.distribution or {}
        return [(point, int(counts.get(str(point), 0))) for point in range(d.scale_min, d.scale_max + 1)]


@dataclass(frozen=True)
class Rationale:
    """Another expert's reason, as written (never machine-translated), with the language it was written
    in (empty when not recorded). Prints as its text."""

    text: str
    language: str = ""
    is_readers_language: bool = False

    def __str__(self) -> str:
        return self.text


@dataclass
class PanelFeedback:
    """Feedback for a whole round, keyed by this round's round item id."""

    round_number: int | None = None
    is_live: bool = False
    cells: dict[tuple[int, int], Feedback] = field(default_factory=dict)  # (round item id, dimension id)
    rationales: dict[int, list[Rationale]] = field(default_factory=dict)  # the reader's language first
    hidden_live: bool = False  # live mode, but too few answers so far
    # The argument themes of the other side's reasons (SideTheme), by this round's round item id: only
    # on items with a shown cell, and only themes with at least min_group_size reasons from that side.
    themes: dict[int, list[SideTheme]] = field(default_factory=dict)


@dataclass(frozen=True)
class SideTheme:
    """One theme of the reasons given by the side opposite the expert's previous rating (both sides
    when that rating was neutral, "can't answer" or missing): its label and how many reasons."""

    label: str
    size: int
    sides: tuple[str, ...]

    @property
    def who(self) -> str:
        """Who gave these reasons, for the page's heading: those who agreed, disagreed, or either."""
        if self.sides == ("agree",):
            return "those who agreed"
        if self.sides == ("disagree",):
            return "those who disagreed"
        return "those who agreed or disagreed"


def _side(value: int | None, dimension: Dimension) -> str:
    """The band of ``value`` on ``dimension``: agree, disagree or neutral (also for no rating)."""
    if value is None:
        return "neutral"
    agree, disagree = (dimension.agree_low, dimension.agree_high), (dimension.disagree_low, dimension.disagree_high)
    return band_side(value, agree, disagree)


def _other_side_themes(stat: ItemStatistic, own: int | None, minimum: int) -> list[SideTheme]:
    """The themes of ``stat``'s round item (read with it) counted on the side(s) opposite ``own``;
    a theme with fewer than ``minimum`` reasons from there is withheld (surveys.stats.is_shown)."""
    try:
        themes = stat.round_item.themes.themes
    except ItemThemes.DoesNotExist:
        return []
    sides = {"agree": ("disagree",), "disagree": ("agree",)}.get(_side(own, stat.dimension), ("agree", "disagree"))
    shown = []
    for theme in themes:
        size = sum(int((theme.get("by_side") or {}).get(side, 0)) for side in sides)
        if bool(is_shown(size, min_group_size=minimum)):
            shown.append(SideTheme(label=str(theme.get("label", "")), size=size, sides=sides))
    return sorted(shown, key=lambda t: -t.size)


def _lineage_ids(round_: Round, earlier: Round, current: dict[int, int]) -> dict[int, int]:
    """This round's round item id -> the earlier round's round item id of the same lineage."""
    lineage = lineage_map(round_, earlier)
    return {pk: lineage[item_id] for pk, item_id in current.items() if item_id in lineage}


def _statistics(source: Round, source_ids: dict[int, int]) -> dict[int, list[ItemStatistic]]:
    rows = ItemStatistic.objects.filter(round=source, group="", round_item_id__in=set(source_ids.values()))
    by_round_item: dict[int, list[ItemStatistic]] = {}
    for stat in rows.select_related("dimension", "round_item__themes").order_by("dimension__order"):
        by_round_item.setdefault(stat.round_item_id, []).append(stat)
    return by_round_item


def _own_previous(earlier: Round, panelist: Panelist, ids: dict[int, int]) -> dict[tuple[int, int], int | None]:
    """The panelist's submitted ratings of the earlier round, keyed by this round's (round item, dimension)."""
    mine = Rating.objects.filter(
        ballot__round=earlier, ballot__panelist=panelist, ballot__status=Ballot.Status.SUBMITTED
    ).values_list("round_item_id", "dimension_id", "value")
    by_source: dict[int, dict[int, int | None]] = {}
    for round_item_id, dimension_id, value in mine:
        by_source.setdefault(round_item_id, {})[dimension_id] = value
    return {(pk, dim): value for pk, src in ids.items() for dim, value in by_source.get(src, {}).items()}


def _others_rationales(source: Round, panelist: Panelist, language: str) -> dict[int, list[Rationale]]:
    """Submitted rationales of everyone but ``panelist``: text and language only. Those in the reader's
    ``language`` come first, then the others by language; each group sorted by text, so order tells
    nothing of who."""
    rows = (
        Rating.objects.filter(ballot__round=source, ballot__status=Ballot.Status.SUBMITTED)
        .exclude(ballot__panelist=panelist)
        .exclude(rationale="")
        .values_list("round_item_id", "ballot_id", "rationale", "language")
    )
    seen: dict[int, set[tuple[int, str, str]]] = {}
    for round_item_id, ballot_id, text, written_in in rows:
        if text.strip():
            seen.setdefault(round_item_id, set()).add((ballot_id, text.strip(), written_in))
    reader = base_language(language) if language else ""

    def ordered(entries: set[tuple[int, str, str]]) -> list[Rationale]:
        found = [Rationale(t, code, bool(reader) and base_language(code) == reader) for _, t, code in entries]
        return sorted(found, key=lambda r: (not r.is_readers_language, r.language, r.text.casefold()))

    return {ri: ordered(entries) for ri, entries in seen.items()}


def panel_feedback(round_: Round, panelist: Panelist, language: str = "") -> PanelFeedback:
    """Controlled feedback for ``round_``: the previous round's whole-panel statistics of each item's
    lineage (from round 2 on), or in live mode the round's own running statistics. Either way a
    statistic with fewer than ``min_group_size`` valid ratings is withheld. Fixed query count.
    ``language``: the reader's; others' rationales in it are listed first (default: the panelist's)."""
    earlier = previous_round(round_)
    live = round_.is_live_feedback and round_.status == Round.Status.OPEN
    source = round_ if live else earlier
    if source is None:
        return PanelFeedback()
    current = dict(RoundItem.objects.filter(round=round_).values_list("pk", "item_id"))
    earlier_ids = _lineage_ids(round_, earlier, current) if earlier is not None else {}
    source_ids = {pk: pk for pk in current} if live else earlier_ids
    own = _own_previous(earlier, panelist, earlier_ids) if earlier is not None else {}
    stats = _statistics(source, source_ids)
    minimum = round_.study.min_group_size
    result = PanelFeedback(round_number=source.number, is_live=live)
    shown_items: set[int] = set()
    for pk, src in source_ids.items():
        for stat in stats.get(src, []):
            cell = (pk, stat.dimension_id)
            shown = bool(is_shown(stat.n, min_group_size=minimum))
            result.cells[cell] = Feedback(
                statistic=stat,
                round_number=source.number,
                is_live=live,
                is_shown=shown,
                own_previous=own.get(cell),
                has_own_previous=cell in own,
            )
            if shown:
                shown_items.add(pk)
                if pk not in result.themes and stat.dimension.is_consensus_dimension:  # the first such dimension
                    result.themes[pk] = _other_side_themes(stat, own.get(cell), minimum)
    reader = language or panelist.language or round_.study.default_language
    rationales = _others_rationales(source, panelist, reader) if shown_items else {}
    result.rationales = {
        pk: rationales[src] for pk, src in source_ids.items() if pk in shown_items and src in rationales
    }
    result.hidden_live = live and not shown_items
    return result


def reason_bands_compute(round_: Round) -> dict[str, dict[str, list[float]]]:
    """The bands ``Round.reason_bands`` stores: per round item and dimension of ``round_``, the previous
    round's whole-panel ``[q1, q3, n]`` of the item's lineage. Five queries, run once per round.

    ``n`` is kept so that the anonymity rule (``min_group_size``) is applied when the bands are read,
    with the study's setting of that moment, as the feedback itself is.
    """
    earlier = previous_round(round_)
    if earlier is None:
        return {}
    current = dict(RoundItem.objects.filter(round=round_).values_list("pk", "item_id"))
    by_source: dict[int, list[int]] = {}
    for pk, src in _lineage_ids(round_, earlier, current).items():
        by_source.setdefault(src, []).append(pk)
    rows = ItemStatistic.objects.filter(
        round=earlier, group="", round_item_id__in=by_source, q1__isnull=False, q3__isnull=False
    ).values_list("round_item_id", "dimension_id", "q1", "q3", "n")
    bands: dict[str, dict[str, list[float]]] = {}
    for src, dim, q1, q3, n in rows:
        if q1 is None or q3 is None:  # filtered out above; says so to the type checker
            continue
        for pk in by_source[src]:
            bands.setdefault(str(pk), {})[str(dim)] = [q1, q3, n]
    return bands


def previous_iqr(round_: Round) -> dict[tuple[int, int], tuple[float, float]]:
    """(round item id, dimension id) -> the previous round's [q1, q3] the expert was shown.

    Read from the round row (``Round.reason_bands``, stored once per round), so it costs no query
    beyond the round's study when that is not loaded yet; computed here only for a round whose bands
    were never stored. Only whole-panel statistics with at least ``min_group_size`` valid ratings
    count (``surveys.stats.is_shown``): an IQR that was never shown cannot ask for a reason.
    """
    stored = round_.reason_bands if round_.reason_bands is not None else reason_bands_compute(round_)
    minimum = round_.study.min_group_size
    return {
        (int(pk), int(dim)): (q1, q3)
        for pk, dims in stored.items()
        for dim, (q1, q3, n) in dims.items()
        if bool(is_shown(n, min_group_size=minimum))
    }
