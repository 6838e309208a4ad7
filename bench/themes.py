"""Argument themes at aggregation size: 100 items × ~50 rationales each, default (TF-IDF) backend.

    python bench/themes.py [--items 100] [--per-item 50]

The rationales are the test fixture's English and Russian sentences (tests/stats/rationales.py),
each copy with about 15% of its words dropped and sampled afresh for every item, so no two items
are the same text. Prints the wall-clock time of one ``argument_themes`` call over all items; the
aggregation task computes themes once per round, so this is the cost a round's aggregation adds.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from surveys.stats.themes import argument_themes
from tests.stats.rationales import ENGLISH, RUSSIAN


def rationales(items: int, per_item: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for item in range(items):
        language = ENGLISH if item % 2 == 0 else RUSSIAN  # half the items in each language
        for index in rng.integers(0, len(language), size=per_item):
            _, side, text = language[index]
            words = text.split()
            keep = rng.random(len(words)) > 0.15
            rows.append({"item": item, "side": side, "rationale": " ".join(np.array(words)[keep]) or text})
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--per-item", type=int, default=50)
    arguments = parser.parse_args()
    frame = rationales(arguments.items, arguments.per_item)
    argument_themes(frame[frame["item"] == 0])  # warm imports and caches outside the timing
    started = time.perf_counter()
    table = argument_themes(frame)
    elapsed = time.perf_counter() - started
    print(
        f"themes: {arguments.items} items × {arguments.per_item} rationales = {len(frame)} rationales, "
        f"{len(table)} themes in {elapsed:.2f} s ({1000 * elapsed / arguments.items:.1f} ms per item)"
    )


if __name__ == "__main__":
    main()
