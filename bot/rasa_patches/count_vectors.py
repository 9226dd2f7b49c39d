"""Count one message's tokens without scikit-learn's batch machinery.

For every message Rasa's ``CountVectorsFeaturizer`` calls ``CountVectorizer.transform`` twice
per featurizer (the tokens, then the joined sentence) and converts each CSR result to COO; for
one short message the checks, arrays and conversions cost several times the counting (a third
of the NLU's time in a profile of the three-language model). The patched ``_create_features``
counts with the vectorizer's own analyser and vocabulary and builds the COO matrices directly:
the same shape, dtype, sorted columns and values (``CountVectorizer._count_vocab``, then
``sort_indices`` and ``tocoo`` as Rasa does). Batches (training) and vectorizers with a binary
or unfitted vocabulary go through Rasa's code unchanged.
"""

from __future__ import annotations

import weakref
from typing import Any, Callable, Iterable, List, Optional, Tuple

import numpy as np
from scipy.sparse import coo_matrix

from bot.nlu.sparse_scoring import column_counts
from bot.rasa_patches.registry import Patching

#: Each vectorizer's analyser, built once (``build_analyzer`` makes a new closure per call).
_ANALYSERS: weakref.WeakKeyDictionary[Any, Callable[[str], Iterable[str]]] = (
    weakref.WeakKeyDictionary()
)


def analyser(vectorizer: Any) -> Callable[[str], Iterable[str]]:
    """``vectorizer.build_analyzer()``, remembered for as long as the vectorizer lives."""
    analyse = _ANALYSERS.get(vectorizer)
    if analyse is None:
        analyse = _ANALYSERS[vectorizer] = vectorizer.build_analyzer()
    return analyse


def counts(vectorizer: Any, documents: List[str]) -> coo_matrix:
    """``vectorizer.transform(documents)`` as a COO matrix with sorted columns per row."""
    analyse = analyser(vectorizer)
    vocabulary = vectorizer.vocabulary_
    rows: List[int] = []
    columns: List[int] = []
    values: List[int] = []
    for row, document in enumerate(documents):
        counter = column_counts(analyse, vocabulary, document)
        for column in sorted(counter):
            rows.append(row)
            columns.append(column)
            values.append(counter[column])
    return coo_matrix(
        (
            np.asarray(values, dtype=vectorizer.dtype),
            (np.asarray(rows, dtype=np.int32), np.asarray(columns, dtype=np.int32)),
        ),
        shape=(len(documents), len(vocabulary)),
        dtype=vectorizer.dtype,
    )


def install(patching: Patching) -> None:
    from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES
    from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
        CountVectorsFeaturizer,
    )

    create_features = CountVectorsFeaturizer._create_features

    def create_features_counted(
        self: Any, attribute: str, all_tokens: List[List[str]]
    ) -> Tuple[List[Optional[Any]], List[Optional[Any]]]:
        vectorizer = (self.vectorizers or {}).get(attribute)
        if (
            len(all_tokens) != 1
            or not all_tokens[0]
            or not vectorizer
            or getattr(vectorizer, "binary", False)
            or not getattr(vectorizer, "vocabulary_", None)
        ):
            return create_features(self, attribute, all_tokens)
        tokens = all_tokens[0]
        sequence = counts(vectorizer, tokens)
        if attribute not in DENSE_FEATURIZABLE_ATTRIBUTES:
            return [sequence], [None]
        return [sequence], [counts(vectorizer, [" ".join(tokens)])]

    patching.replace(CountVectorsFeaturizer, "_create_features", create_features_counted)
