"""Sublinear TF-IDF rows and multinomial logistic-regression probabilities for one message.

scikit-learn's ``transform``/``predict_proba`` are written for batches: for one short message
their input checks, sparse diagonal products and copies of the whole coefficient matrix cost
far more than the arithmetic. These compute the same figures on the message's non-zero columns
only. Used by the intent classifier (bot/nlu/tfidf_classifier.py), the question splitter
(bot/nlu/questions.py) and the language classifier (bot/i18n/detect.py); tests compare each
with scikit-learn's own result.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Iterable, List, Mapping, Sequence, Tuple

import numpy as np
from sklearn.utils.extmath import softmax

#: (columns, weights) of one sparse row.
Row = Tuple[np.ndarray, np.ndarray]


def column_counts(
    analyse: Callable[[str], Iterable[str]], vocabulary: Mapping[str, int], text: str
) -> Dict[int, int]:
    """How often each vocabulary column occurs in ``text`` (its features outside the
    vocabulary left out), as ``CountVectorizer._count_vocab`` counts one document."""
    counter: Dict[int, int] = {}
    for feature in analyse(text):
        column = vocabulary.get(feature)
        if column is not None:
            counter[column] = counter.get(column, 0) + 1
    return counter


def sublinear_tfidf(indices: np.ndarray, counts: np.ndarray, idf: np.ndarray) -> Row:
    """``(1 + log count) * idf``, L2-normalised, as ``TfidfTransformer(sublinear_tf=True)``
    computes for one row. Explicit zeros stay zero."""
    present = counts > 0
    indices, counts = indices[present], counts[present]
    weights = (np.log(counts) + 1.0) * idf[indices]
    norm = np.sqrt(np.dot(weights, weights))
    return indices, (weights / norm if norm > 0 else weights)


def is_multinomial(clf: Any) -> bool:
    """Whether ``clf.predict_proba`` is the softmax of its scores (the case computed here)."""
    multi_class = getattr(clf, "multi_class", "auto")
    return len(clf.classes_) > 2 and clf.solver != "liblinear" and multi_class != "ovr"


def multinomial_probabilities(clf: Any, row: Row) -> np.ndarray:
    """``clf.predict_proba`` of one sparse row (``is_multinomial(clf)`` must hold)."""
    indices, weights = row
    scores = clf.coef_[:, indices] @ weights + clf.intercept_
    return softmax(scores.reshape(1, -1), copy=False)[0]


def _is_sublinear_l2(vectorizer: Any) -> bool:
    return bool(
        getattr(vectorizer, "sublinear_tf", False)
        and getattr(vectorizer, "use_idf", False)
        and getattr(vectorizer, "norm", None) == "l2"
        and not getattr(vectorizer, "binary", True)
    )


class TfidfRows:
    """Fitted ``TfidfVectorizer``s side by side (a ``FeatureUnion`` of them, or one) applied to
    one text: the same row as their ``transform``, built from the analyser and vocabulary."""

    def __init__(self, vectorizers: Sequence[Any]) -> None:
        self.supported = bool(vectorizers) and all(_is_sublinear_l2(v) for v in vectorizers)
        self.parts: List[Tuple[Callable[[str], Iterable[str]], dict, np.ndarray]] = []
        if self.supported:
            self.parts = [(v.build_analyzer(), v.vocabulary_, v.idf_) for v in vectorizers]

    @classmethod
    def of_union(cls, union: Any) -> TfidfRows:
        """The rows of a ``FeatureUnion`` without weights or dropped parts (else unsupported)."""
        parts = [part for _, part in union.transformer_list]
        if union.transformer_weights or any(not hasattr(p, "vocabulary_") for p in parts):
            parts = []
        return cls(parts)

    def row(self, text: str) -> Row:
        columns, values, width = [], [], 0
        for analyse, vocabulary, idf in self.parts:
            counter = column_counts(analyse, vocabulary, text)
            indices = np.fromiter(counter.keys(), dtype=np.int64, count=len(counter))
            counts = np.fromiter(counter.values(), dtype=np.float64, count=len(counter))
            indices, weights = sublinear_tfidf(indices, counts, idf)
            columns.append(indices + width)
            values.append(weights)
            width += len(vocabulary)
        return np.concatenate(columns), np.concatenate(values)


class OneTextClassifier:
    """``predict_proba`` of TF-IDF features and a multinomial logistic regression, one text at
    a time; the same probabilities as scikit-learn's, which is asked where the shapes differ."""

    def __init__(self, rows: TfidfRows, clf: Any, fallback: Callable[[List[str]], Any]) -> None:
        self.rows = rows
        self.clf = clf
        self.classes_ = clf.classes_
        self.fallback = fallback
        self.fast = rows.supported and is_multinomial(clf)

    def predict_proba(self, texts: List[str]) -> np.ndarray:
        if not self.fast:
            return np.asarray(self.fallback(list(texts)))
        return np.vstack([multinomial_probabilities(self.clf, self.rows.row(t)) for t in texts])
