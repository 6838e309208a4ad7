"""Benchmark reading a study file: a ~2 MB flow-style file with the study files' loader and the pure-Python one.

Prints JSON with, measured in the same run (medians of ``--repeat`` runs):
- ``bytes``: the size of the generated file (just under the 2 MiB cap);
- ``study_loader_s``: ``surveys.study_yaml.load_study_yaml`` (libyaml's C parser where PyYAML has it);
- ``pure_python_s``: ``yaml.safe_load`` with the pure-Python ``SafeLoader``, as import_study used before;
- ``with_libyaml``: whether this PyYAML has the C parser;
- ``billion_laughs_refused_s``: how long the loader takes to refuse a billion-laughs file (aliases).

Usage: ``python bench/yaml_load.py [--repeat 3]``. No database is needed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from surveys.errors import StudyFileError
from surveys.study_yaml import MAX_FILE_BYTES, load_study_yaml

BILLION_LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + n)}: &{chr(98 + n)} [{', '.join([f'*{chr(97 + n)}'] * 9)}]\n" for n in range(9)
)


def flow_style_file(limit: int = MAX_FILE_BYTES - 1024) -> str:
    """A study-shaped file with every item on one flow-style line, grown to just under ``limit`` bytes."""
    head = "format: delphi-study/1\nslug: big\ntitle: Big\nitems: ["
    row = "{{code: C{n}, kind: claim, section: s, text: 'Statement {n} of a large study.', dimensions: [a, b]}}, "
    parts, size, n = [head], len(head), 0
    while size + len(row) + 2 < limit:
        n += 1
        part = row.format(n=n)
        parts.append(part)
        size += len(part)
    parts.append("]\n")
    return "".join(parts)


def _median_time(fn: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    text = flow_style_file()

    def refuse() -> None:
        try:
            load_study_yaml(BILLION_LAUGHS, "bomb.yaml")
        except StudyFileError:
            return
        raise AssertionError("the billion laughs was not refused")

    result = {
        "bytes": len(text.encode()),
        "with_libyaml": bool(yaml.__with_libyaml__),
        "study_loader_s": round(_median_time(lambda: load_study_yaml(text, "big.yaml"), args.repeat), 3),
        "pure_python_s": round(_median_time(lambda: yaml.load(text, Loader=yaml.SafeLoader), args.repeat), 3),
        "billion_laughs_refused_s": round(_median_time(refuse, args.repeat), 4),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
