"""A study spec back to the file's layout (export, backups), and YAML out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from .keys import DEFAULT_LANGUAGE, FORMAT
from .languages import field_value, scale_labels_value
from .specs import StudySpec


def spec_to_data(spec: StudySpec) -> dict[str, Any]:
    """The inverse of ``parse_study``: plain data in the file's layout, defaults left out. A translatable
    field is plain text when only the default language has it, else ``{en: ..., ru: ...}``."""
    lang = spec.default_language
    items = []
    for position, item in enumerate(spec.items, start=1):
        text = field_value(item.text, item.translations, "text", lang)
        entry: dict[str, Any] = {"code": item.code, "kind": item.kind, "section": item.section, "text": text}
        if item.source:
            entry["source"] = item.source
        entry["dimensions"] = list(item.dimensions)
        if item.order != position:
            entry["order"] = item.order
        if item.replaces:
            entry["replaces"] = item.replaces
        items.append(entry)
    languages: dict[str, Any] = {}
    if spec.languages != (DEFAULT_LANGUAGE,) or lang != DEFAULT_LANGUAGE:
        languages = {"languages": list(spec.languages), "default_language": lang}
    return {
        "format": FORMAT,
        "slug": spec.slug,
        **languages,
        "title": field_value(spec.title, spec.translations, "title", lang),
        "description": field_value(spec.description, spec.translations, "description", lang),
        "source": {"citation": spec.citation, "references": list(spec.references)},
        "settings": {
            "min_group_size": spec.min_group_size,
            "outside_iqr_reason": spec.outside_iqr_reason,
            "expertise_weighting": spec.expertise_weighting,
            "time_zone": spec.time_zone,
            "bootstrap_resamples": spec.bootstrap_resamples,
        },
        "consensus_rule": spec.consensus_rule,
        "stopping_rule": spec.stopping_rule,
        "dimensions": [
            {
                "key": d.key,
                "label": field_value(d.label, d.translations, "label", lang),
                "question": field_value(d.question, d.translations, "question", lang),
                "scale": {
                    "min": d.scale_min,
                    "max": d.scale_max,
                    "labels": scale_labels_value(d.labels, d.translations, lang),
                },
                "agree": list(d.agree),
                "disagree": list(d.disagree),
                **({} if d.consensus else {"consensus": False}),
            }
            for d in spec.dimensions
        ],
        "sections": [
            {"key": s.key, "title": field_value(s.title, s.translations, "title", lang)} for s in spec.sections
        ],
        "items": items,
    }


def dump_yaml(data: Mapping[str, Any]) -> str:
    return yaml.safe_dump(dict(data), sort_keys=False, allow_unicode=True, width=100)
