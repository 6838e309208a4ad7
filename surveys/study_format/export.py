"""A study spec back to the file's layout (export, backups), and YAML out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from .keys import FORMAT
from .specs import StudySpec


def spec_to_data(spec: StudySpec) -> dict[str, Any]:
    """The inverse of ``parse_study``: plain data in the file's layout, defaults left out."""
    items = []
    for position, item in enumerate(spec.items, start=1):
        entry: dict[str, Any] = {"code": item.code, "kind": item.kind, "section": item.section, "text": item.text}
        if item.source:
            entry["source"] = item.source
        entry["dimensions"] = list(item.dimensions)
        if item.order != position:
            entry["order"] = item.order
        if item.replaces:
            entry["replaces"] = item.replaces
        items.append(entry)
    return {
        "format": FORMAT,
        "slug": spec.slug,
        "title": spec.title,
        "description": spec.description,
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
                "label": d.label,
                "question": d.question,
                "scale": {"min": d.scale_min, "max": d.scale_max, "labels": dict(d.labels)},
                "agree": list(d.agree),
                "disagree": list(d.disagree),
                **({} if d.consensus else {"consensus": False}),
            }
            for d in spec.dimensions
        ],
        "sections": [{"key": s.key, "title": s.title} for s in spec.sections],
        "items": items,
    }


def dump_yaml(data: Mapping[str, Any]) -> str:
    return yaml.safe_dump(dict(data), sort_keys=False, allow_unicode=True, width=100)
