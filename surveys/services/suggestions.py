"""Panelists' suggestions turned into items of the next round, or set aside.

A suggested new item becomes an ``Item`` whose code, kind, section and dimensions the facilitator
chooses (the text may be edited on the way); a suggested rewording rewords its target item in the
draft round through ``item_reword``, so the lineage is kept. Either way the suggestion records the
item it became, and who suggested it is never shown with it.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext

from surveys.errors import DomainError
from surveys.models import Dimension, Item, Round, RoundItem, Section, Suggestion
from surveys.services.audit import audit_record
from surveys.services.round_items import check_code, item_reword, round_item_append


def _locked_new(suggestion: Suggestion, round_: Round) -> tuple[Suggestion, Round]:
    locked = Suggestion.objects.select_for_update().get(pk=suggestion.pk)
    if locked.status != Suggestion.Status.NEW:
        already = {"status": str(locked.get_status_display()).lower()}
        raise DomainError(gettext("This suggestion was %(status)s already.") % already)
    round_ = Round.objects.select_for_update(of=("self",)).select_related("study").get(pk=round_.pk)
    if round_.study_id != locked.study_id:
        raise DomainError(gettext("This suggestion belongs to another study."))
    if round_.status != Round.Status.DRAFT:
        state = {"n": round_.number, "status": str(round_.get_status_display()).lower()}
        raise DomainError(gettext("Round %(n)d is %(status)s; suggestions can be added only before it opens.") % state)
    return locked, round_


def _new_item(
    round_: Round, *, code: str, kind: str, section: Section | None, dimensions: Sequence[Dimension], text: str
) -> Item:
    code = code.strip()
    if not code:
        raise DomainError(gettext("Give the new item a code, e.g. C9."))
    check_code(code)
    if Item.objects.filter(study_id=round_.study_id, code=code).exists():
        raise DomainError(gettext("The code %(code)s is taken in this study.") % {"code": code})
    if kind not in Item.Kind.values:
        kinds = {"kind": kind, "kinds": ", ".join(Item.Kind.values)}
        raise DomainError(gettext("'%(kind)s' is not a kind of item; choose from %(kinds)s.") % kinds)
    if kind == Item.Kind.OPEN and round_.number > 1:
        raise DomainError(gettext("Open questions are asked in round 1 only; choose another kind."))
    if section is None or section.study_id != round_.study_id:
        raise DomainError(gettext("Choose a section of this study for the new item."))
    if any(d.study_id != round_.study_id for d in dimensions):
        raise DomainError(gettext("Choose dimensions of this study for the new item."))
    if kind != Item.Kind.OPEN and not dimensions:
        raise DomainError(gettext("Choose at least one dimension to rate the new item on."))
    order = (Item.objects.filter(study_id=round_.study_id).aggregate(last=Max("order"))["last"] or 0) + 1
    item = Item.objects.create(study_id=round_.study_id, code=code, kind=kind, section=section, text=text, order=order)
    item.dimensions.set(dimensions)
    round_item_append(round_, item)
    return item


@transaction.atomic
def suggestion_accept(
    *,
    suggestion: Suggestion,
    round: Round,
    code: str = "",
    kind: str = "",
    section: Section | None = None,
    dimensions: Sequence[Dimension] = (),
    text: str = "",
    actor: AbstractBaseUser | None = None,
    actor_label: str = "system",
) -> Item:
    """Turn a suggestion into an item of the draft ``round`` and mark it accepted.

    A rewording whose target item is in the round rewords it (``code`` optional); anything else
    becomes a new item with the given ``code``, ``kind``, ``section`` and ``dimensions``.
    ``text`` replaces the suggested wording when given.
    """
    suggestion, round_ = _locked_new(suggestion, round)
    text = (text or suggestion.text).strip()
    if not text:
        raise DomainError(gettext("The item's text is empty."))
    target = suggestion.target_item
    in_round = target is not None and RoundItem.objects.filter(round=round_, item=target).exists()
    if suggestion.kind == Suggestion.Kind.REWORDING and target is not None and in_round:
        item = item_reword(
            round=round_, item=target, text=text, code=code or None, actor=actor, actor_label=actor_label
        )
    else:
        item = _new_item(round_, code=code, kind=kind, section=section, dimensions=dimensions, text=text)
    suggestion.status = Suggestion.Status.ACCEPTED
    suggestion.created_item = item
    suggestion.save(update_fields=["status", "created_item"])
    audit_record(
        study=round_.study,
        action="suggestion.accepted",
        actor=actor,
        actor_label=actor_label,
        round=round_,
        item=item,
        suggestion=suggestion.pk,
    )
    return item


@transaction.atomic
def suggestion_reject(
    *, suggestion: Suggestion, actor: AbstractBaseUser | None = None, actor_label: str = "system"
) -> Suggestion:
    """Set a suggestion aside (it stays on record)."""
    locked = Suggestion.objects.select_for_update(of=("self",)).select_related("study").get(pk=suggestion.pk)
    if locked.status != Suggestion.Status.NEW:
        already = {"status": str(locked.get_status_display()).lower()}
        raise DomainError(gettext("This suggestion was %(status)s already.") % already)
    locked.status = Suggestion.Status.REJECTED
    locked.save(update_fields=["status"])
    audit_record(
        study=locked.study, action="suggestion.rejected", actor=actor, actor_label=actor_label, suggestion=locked.pk
    )
    return locked
