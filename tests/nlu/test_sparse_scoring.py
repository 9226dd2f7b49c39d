"""One-text TF-IDF rows and probabilities equal scikit-learn's for the shapes we train."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, make_pipeline

from bot.i18n.detect import LanguageScorer
from bot.nlu.sparse_scoring import OneTextClassifier, TfidfRows

TEXTS = [
    "what are the side effects",
    "how much does it cost",
    "Was kostet die Behandlung",
    "какие побочные эффекты",
    "is it painful for children",
    "wie lange dauert die Therapie",
    "сколько стоит лечение",
    "side effects of the therapy in Germany",
    "Nebenwirkungen der Therapie",
]
LABELS = ["en", "en", "de", "ru", "en", "de", "ru", "en", "de"]
UNSEEN = ["sied efects?", "Kosten in Deutschland", "эффекты", "", "zzz qqq", "MIBG MIBG MIBG"]


def union() -> FeatureUnion:
    return FeatureUnion(
        [
            ("words", TfidfVectorizer(sublinear_tf=True)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True)),
        ]
    )


def test_union_rows_equal_transform() -> None:
    features = union().fit(TEXTS)
    rows = TfidfRows.of_union(features)
    assert rows.supported
    expected = features.transform(UNSEEN).toarray()
    for text, row in zip(UNSEEN, expected):
        ours = np.zeros_like(row)
        columns, weights = rows.row(text)
        ours[columns] = weights
        np.testing.assert_allclose(ours, row, rtol=0, atol=1e-12)
    assert np.count_nonzero(expected) > 0


def test_probabilities_equal_predict_proba() -> None:
    features = union().fit(TEXTS)
    clf = LogisticRegression(C=30, max_iter=2000).fit(features.transform(TEXTS), LABELS)
    scorer = OneTextClassifier(TfidfRows.of_union(features), clf, None)  # type: ignore[arg-type]
    assert scorer.fast
    np.testing.assert_allclose(
        scorer.predict_proba(UNSEEN), clf.predict_proba(features.transform(UNSEEN)), atol=1e-12
    )


def test_language_pipeline_equal_and_other_shapes_asked_as_they_are() -> None:
    fast = make_pipeline(
        TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True),
        LogisticRegression(C=10, max_iter=1000),
    ).fit(TEXTS, LABELS)
    scorer = LanguageScorer(fast)
    assert scorer.fast and list(scorer.classes_) == ["de", "en", "ru"]
    np.testing.assert_allclose(scorer.predict_proba(UNSEEN), fast.predict_proba(UNSEEN), atol=1e-12)

    raw_tf = make_pipeline(TfidfVectorizer(), LogisticRegression()).fit(TEXTS, LABELS)
    other = LanguageScorer(raw_tf)
    assert not other.fast  # not sublinear: scikit-learn answers
    np.testing.assert_array_equal(other.predict_proba(UNSEEN), raw_tf.predict_proba(UNSEEN))


@pytest.mark.parametrize("weights", [{"words": 2.0}, None])
def test_weighted_unions_are_not_computed_here(weights: dict) -> None:
    features = union().set_params(transformer_weights=weights).fit(TEXTS)
    assert TfidfRows.of_union(features).supported is (weights is None)
