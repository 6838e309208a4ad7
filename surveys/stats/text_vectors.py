"""Text as vectors for :mod:`.themes`: token counts shared by all items, each item's TF-IDF rows, the silhouette.

Counting the tokens of every rationale once and then weighting each item's rows on their own gives
exactly what a scikit-learn ``TfidfVectorizer`` fitted on that item alone would (same tokens,
``sublinear_tf=True``, smooth idf, L2 norm, ``max_df``), at a fraction of the cost of fitting one
vectorizer per item.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer

MAX_DF = 0.5
WORD_PATTERN = r"(?u)\b[^\W\d_]{3,}\b"
LETTERS = re.compile(r"[^\W\d_]+")


def _letters(text: str) -> str:
    """The text's runs of letters, lower-cased, one space apart: punctuation and digits are not content,
    and "Taliban;" must give the n-grams of "taliban"."""
    return " ".join(LETTERS.findall(text.lower()))


#: Character n-grams within words of the letters-only text, and words of three or more letters.
CHAR_COUNTER = {"analyzer": "char_wb", "ngram_range": (3, 5), "preprocessor": _letters}
WORD_COUNTER = {"analyzer": "word", "token_pattern": WORD_PATTERN, "lowercase": True}


def token_counts(options: Mapping[str, Any], texts: Sequence[str]) -> tuple[Any, np.ndarray] | None:
    """The (texts, features) sparse count matrix of ``texts`` (CSR) and the features, sorted; None
    when the texts have no feature at all."""
    try:
        vectorizer = CountVectorizer(**options)
        counts = vectorizer.fit_transform(list(texts)).tocsr()
    except ValueError:  # "empty vocabulary"
        return None
    return counts, vectorizer.get_feature_names_out()


def tfidf_rows(counts: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """Unit-length TF-IDF rows of a sparse (CSR) count matrix, dense, as scikit-learn's
    ``TfidfVectorizer(sublinear_tf=True)`` fitted on these rows alone: ``tf = 1 + ln(count)``,
    ``idf = ln((1 + n)/(1 + df)) + 1``, L2 norm, keeping the features used by at least one and at
    most :data:`MAX_DF` of the rows (all of them when that would keep none, or when
    ``n · MAX_DF < 1``). With the columns of the features kept; None when the rows have no feature."""
    n = counts.shape[0]
    columns, feature = np.unique(counts.indices, return_inverse=True)
    df = np.bincount(feature, minlength=len(columns))  # rows using each feature (one entry per row and feature)
    chosen = df <= MAX_DF * n if n * MAX_DF >= 1 else np.ones(len(columns), dtype=bool)
    if not chosen.any():
        chosen = np.ones(len(columns), dtype=bool)
    if not len(columns):
        return None
    position = np.cumsum(chosen) - 1
    row = np.repeat(np.arange(n), np.diff(counts.indptr))
    keep = chosen[feature]
    dense = np.zeros((n, int(chosen.sum())))
    idf = np.log((1 + n) / (1 + df[feature[keep]])) + 1
    dense[row[keep], position[feature[keep]]] = (1.0 + np.log(counts.data[keep])) * idf
    norms = np.linalg.norm(dense, axis=1, keepdims=True)
    return dense / np.where(norms > 0, norms, 1.0), columns[chosen]


def silhouette(distance: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette (Rousseeuw 1987) of a precomputed distance matrix, as scikit-learn's
    ``silhouette_score(metric="precomputed")``: ``s = (b − a) / max(a, b)`` with ``a`` the mean
    distance to the rest of one's own cluster and ``b`` the least mean distance to another cluster;
    0 for a member of a one-member cluster."""
    sizes = np.bincount(labels)
    totals = distance @ np.eye(len(sizes))[labels]  # (texts, clusters): summed distance to each cluster
    own = totals[np.arange(len(labels)), labels]
    with np.errstate(divide="ignore", invalid="ignore"):
        a = own / (sizes[labels] - 1)
        others = totals / sizes
        others[np.arange(len(labels)), labels] = np.inf
        b = others.min(axis=1)
        s = (b - a) / np.maximum(a, b)
    return float(np.nan_to_num(s).mean())
