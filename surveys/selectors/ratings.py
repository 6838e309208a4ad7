"""Reads for the statistics: a round's ratings as one long DataFrame, in one query."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from django.db import connections

from surveys.lineage import lineage_roots_from_parents
from surveys.models import Ballot, Dimension, Item, Panelist, Rating, Round, RoundItem, Study
from surveys.stats import Scale
from surveys.stats.participation import RoundParticipation, RoundSpan, members_from_rows, participation

RATING_COLUMNS = ["panelist", "item", "dimension", "value", "group", "weight"]


def study_scales(study: Study) -> dict[str, Scale]:
    return {d.key: dimension_scale(d) for d in study.dimensions.all()}


def dimension_scale(d: Dimension) -> Scale:
    return Scale(
        min=d.scale_min, max=d.scale_max, agree=(d.agree_low, d.agree_high), disagree=(d.disagree_low, d.disagree_high)
    )


def lineage_roots(study: Study) -> dict[int, int]:
    """Item id -> the id of the first wording in its lineage (Item.replaces followed back)."""
    return lineage_roots_from_parents(dict(Item.objects.filter(study=study).values_list("pk", "replaces_id")))


def round_ratings_frame(round_: Round, *, submitted_only: bool = True) -> pd.DataFrame:
    """Every rating of the round in one query: panelist, item (lineage root id), dimension key,
    value (NaN = can't answer), group and weight (mean self-rated expertise).

    Only submitted ballots count unless ``submitted_only`` is False: a draft is work in progress.
    The ratings are fetched with the queryset's own SQL but without per-row model conversion, into
    one float array (None becomes NaN): every column is a plain integer, so nothing needs converting.
    Panelists' group and expertise come from one small query of the panel, not per rating.
    """
    ratings = Rating.objects.filter(ballot__round=round_)
    if submitted_only:
        ratings = ratings.filter(ballot__status=Ballot.Status.SUBMITTED)
    query = ratings.values_list("ballot__panelist_id", "round_item__item_id", "dimension_id", "value")
    sql, params = query.query.get_compiler(using=query.db).as_sql()
    with connections[query.db].cursor() as cursor:
        cursor.execute(sql, params)
        matrix = np.array(cursor.fetchall(), dtype=np.float64).reshape(-1, 4)
    panel = {
        pk: (group, _mean_expertise(expertise))
        for pk, group, expertise in Panelist.objects.filter(study_id=round_.study_id).values_list(
            "pk", "group", "expertise"
        )
    }
    dimension_keys = dict(Dimension.objects.filter(study_id=round_.study_id).values_list("pk", "key"))
    panelists = pd.Series(matrix[:, 0].astype(np.int64))
    frame = pd.DataFrame(
        {
            "panelist": panelists.to_numpy(),
            "item": pd.Series(matrix[:, 1].astype(np.int64)).map(lineage_roots(round_.study)).to_numpy(np.int64),
            "dimension": pd.Categorical(pd.Series(matrix[:, 2].astype(np.int64)).map(dimension_keys)),
            "value": matrix[:, 3],
            "group": pd.Categorical(panelists.map({pk: g for pk, (g, _) in panel.items()}).fillna("")),
            "weight": panelists.map({pk: w for pk, (_, w) in panel.items()}).fillna(1.0).to_numpy(np.float64),
        }
    )
    return frame[RATING_COLUMNS]


def _mean_expertise(expertise: Mapping[str, object] | None) -> float:
    values = [float(v) for v in (expertise or {}).values() if isinstance(v, int | float)]
    return sum(values) / len(values) if values else 1.0


def round_items_by_root(round_: Round) -> dict[int, RoundItem]:
    roots = lineage_roots(round_.study)
    return {roots[ri.item_id]: ri for ri in RoundItem.objects.filter(round=round_)}


#: The panelist columns :mod:`surveys.stats.participation` reads.
MEMBER_FIELDS = ("id", "group", "status", "created_at", "revoked_at", "withdrawn_at")


def round_participation(round_: Round) -> RoundParticipation:
    """Who was invited to and submitted in ``round_``, by the one definition of
    :mod:`surveys.stats.participation` (2 queries; attrition needs the other rounds, so it is not set)."""
    members = members_from_rows(Panelist.objects.filter(study_id=round_.study_id).values(*MEMBER_FIELDS))
    ballots = Ballot.objects.filter(round=round_).values_list("round_id", "panelist_id", "status")
    span = RoundSpan(id=round_.pk, number=round_.number, status=round_.status, closed_at=round_.closed_at)
    return participation([span], members, ballots)[0]
