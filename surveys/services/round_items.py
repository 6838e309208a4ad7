"""Edits of a draft round's items before it opens: reword (keeping the lineage), drop, add back.

A round's items are fixed once it opens, so every function here refuses a round that is not a draft.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext

from surveys.errors import DomainError
from surveys.models import Item, Round, RoundItem
from surveys.selectors.ratings import lineage_roots
from surveys.services.audit import audit_record

CODE_MAX_LENGTH = 16
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def check_code(code: str) -> None:
    """An item code is short and plain, since it appears in reports and file names (e.g. C9, R2r2)."""
    if len(code) > CODE_MAX_LENGTH or not CODE.match(code):
        raise DomainError(
            gettext("The code '%(code)s' is not usable: use letters, digits, '.', '_' or '-', at most %(max)d.")
            % {"code": code, "max": CODE_MAX_LENGTH}
        )


# Each refusal whole, so a translation can word it as its language needs.
DOING = {
    "reworded": lambda: gettext("Round %(n)d is %(status)s; items can be reworded only before it opens."),
    "dropped": lambda: gettext("Round %(n)d is %(status)s; items can be dropped only before it opens."),
    "added": lambda: gettext("Round %(n)d is %(status)s; items can be added only before it opens."),
}


def _locked_draft(round_: Round, doing: str) -> Round:
    locked = Round.objects.select_for_update(of=("self",)).select_related("study").get(pk=round_.pk)
    if locked.status != Round.Status.DRAFT:
        state = {"n": locked.number, "status": str(locked.get_status_display()).lower()}
        raise DomainError(DOING[doing]() % state)
    return locked


def round_item_append(round_: Round, item: Item) -> RoundItem:
    """Put ``item`` last in ``round_`` (the caller holds the draft round's lock)."""
    last = RoundItem.objects.filter(round=round_).aggregate(last=Max("order"))["last"] or 0
    return RoundItem.objects.create(round=round_, item=item, order=last + 1)


@transaction.atomic
def item_reword(
    *,
    round: Round,
    item: Item,
    text: str,
    code: str | None = None,
    actor: AbstractBaseUser | None = None,
    actor_label: str = "system",
    translations: Mapping[str, str] | None = None,
) -> Item:
    """Replace ``item`` in a draft round by a reworded item whose ``replaces`` keeps the lineage.

    An item that no earlier round asked (say, one added from a suggestion for this round) has no
    ratings to keep apart, so its wording is corrected in place instead of starting a new item.

    ``text`` is the default language's wording. The other languages keep their text unless
    ``translations`` (language → new text) gives theirs; ``""`` removes one, which then shows as missing
    in the completeness and the round-open check. Rewording only a translation is a rewording too.
    """
    round_ = _locked_draft(round, "reworded")
    text = text.strip()
    if not text:
        raise DomainError(gettext("The new wording of %(code)s is empty.") % {"code": item.code})
    for language in translations or {}:
        if language == round_.study.default_language or language not in round_.study.languages:
            others = [x for x in round_.study.languages if x != round_.study.default_language]
            raise DomainError(
                gettext("'%(language)s' is not a translation language of this study (its other languages: %(others)s).")
                % {"language": language, "others": ", ".join(others) or gettext("none")}
            )
    worded = reworded_translations(item, translations or {})
    round_item = RoundItem.objects.filter(round=round_, item=item).first()
    if round_item is None:
        raise DomainError(gettext("%(code)s is not in round %(n)d.") % {"code": item.code, "n": round_.number})
    code = (code or "").strip()
    if code:
        check_code(code)
    if code and code != item.code and Item.objects.filter(study_id=item.study_id, code=code).exists():
        raise DomainError(gettext("The code %(code)s is taken in this study.") % {"code": code})
    if text == item.text and code in ("", item.code) and worded == item.translations:
        raise DomainError(gettext("The new wording of %(code)s is the same as the old one.") % {"code": item.code})
    if not RoundItem.objects.filter(item=item).exclude(round=round_).exists():
        before = item.text
        item.text, item.code, item.translations = text, code or item.code, worded
        item.save(update_fields=["text", "code", "translations"])
        audit_record(
            study=round_.study,
            action="item.edited",
            actor=actor,
            actor_label=actor_label,
            round=round_,
            item=item,
            before=before,
        )
        return item
    code = code or _next_code(item)
    if code == item.code:
        raise DomainError(gettext("The reworded item needs a code other than %(code)s.") % {"code": item.code})
    new = Item.objects.create(
        study_id=item.study_id,
        code=code,
        kind=item.kind,
        section_id=item.section_id,
        text=text,
        source_ref=item.source_ref,
        order=item.order,
        replaces=item,
        translations=worded,
    )
    new.dimensions.set(item.dimensions.all())
    round_item.item = new
    round_item.save(update_fields=["item"])
    audit_record(
        study=round_.study,
        action="item.reworded",
        actor=actor,
        actor_label=actor_label,
        round=round_,
        item=new,
        replaces=item.code,
    )
    return new


def reworded_translations(item: Item, given: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """``item.translations`` with each language in ``given`` taking its new text (``""`` removes it)."""
    result = {language: dict(fields) for language, fields in (item.translations or {}).items()}
    for language, text in given.items():
        fields = result.setdefault(language, {})
        if text.strip():
            fields["text"] = text.strip()
        else:
            fields.pop("text", None)
    return {language: fields for language, fields in result.items() if fields}


def _next_code(item: Item) -> str:
    """C7 -> C7r2, C7r2 -> C7r3: a reworded item's code says which it rewords."""
    base, _, rev = item.code.partition("r")
    number = int(rev) + 1 if rev.isdigit() else 2
    taken = set(Item.objects.filter(study_id=item.study_id).values_list("code", flat=True))
    while f"{base}r{number}" in taken:
        number += 1
    return f"{base}r{number}"


@transaction.atomic
def round_item_drop(
    *, round: Round, item: Item, actor: AbstractBaseUser | None = None, actor_label: str = "system"
) -> None:
    """Take ``item`` out of a draft round (it stays in the study and can be added back)."""
    round_ = _locked_draft(round, "dropped")
    round_item = RoundItem.objects.filter(round=round_, item=item).first()
    if round_item is None:
        raise DomainError(gettext("%(code)s is not in round %(n)d.") % {"code": item.code, "n": round_.number})
    if not RoundItem.objects.filter(round=round_).exclude(pk=round_item.pk).exists():
        raise DomainError(
            gettext("%(code)s is the last item of round %(n)d; a round needs at least one item.")
            % {"code": item.code, "n": round_.number}
        )
    round_item.delete()
    audit_record(
        study=round_.study, action="item.dropped", actor=actor, actor_label=actor_label, round=round_, item=item
    )


@transaction.atomic
def round_item_add(
    *, round: Round, item: Item, actor: AbstractBaseUser | None = None, actor_label: str = "system"
) -> RoundItem:
    """Add an item of the study to a draft round, last; e.g. one that was dropped or decided.

    Refused when a wording of the same item (its lineage) is in the round already, and for open
    questions, which are asked in round 1 only.
    """
    round_ = _locked_draft(round, "added")
    if item.study_id != round_.study_id:
        raise DomainError(gettext("%(code)s belongs to another study.") % {"code": item.code})
    if item.is_open and round_.number > 1:
        raise DomainError(
            gettext("%(code)s is an open question; open questions are asked in round 1 only.") % {"code": item.code}
        )
    roots = lineage_roots(round_.study)
    present = {
        roots.get(item_id): code
        for item_id, code in RoundItem.objects.filter(round=round_).values_list("item_id", "item__code")
    }
    if roots.get(item.pk) in present:
        already = {"code": item.code, "n": round_.number, "as": present[roots.get(item.pk)]}
        raise DomainError(gettext("%(code)s is in round %(n)d already (as %(as)s).") % already)
    round_item = round_item_append(round_, item)
    audit_record(study=round_.study, action="item.added", actor=actor, actor_label=actor_label, round=round_, item=item)
    return round_item
