"""Rasa's logistic-regression intent classifier on TF-IDF weighted sentence features.

Rasa's ``LogisticRegressionClassifier`` feeds raw counts to scikit-learn with the default
regularisation (C = 1). On our training data, 5-fold cross-validation (docs/performance.md)
gave intent macro-F1 0.808 for that and 0.824 for sublinear TF-IDF per featurizer (each
block L2-normalised) with C = 30; the held-out split was not used to choose. Everything else
(class weights, solver, ranking, the skops model file) is Rasa's.

Each count featurizer's sentence features are one block; a ``TfidfTransformer`` per block is
fitted in training and stored beside the classifier (``idf.npz``). Rows are built straight in
CSR form: scipy's block stacking was most of the classifier's time for one message.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.utils.tensorflow.constants import RANKING_LENGTH
from scipy.sparse import csr_matrix, hstack, issparse, vstack
from sklearn.feature_extraction.text import TfidfTransformer

from bot.nlu.sparse_scoring import is_multinomial, multinomial_probabilities, sublinear_tfidf

logger = logging.getLogger(__name__)


def sentence_features(message: Message) -> List[Any]:
    """The message's sentence feature matrices, sparse ones first, in the pipeline's order."""
    sentence = [
        f for f in message.features if f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE
    ]
    ordered = [f for f in sentence if f.is_sparse()] + [f for f in sentence if f.is_dense()]
    return [f.features for f in ordered]


def sentence_blocks(message: Message) -> List[Any]:
    """The same as CSR matrices (for fitting the transformers)."""
    return [csr_matrix(matrix) for matrix in sentence_features(message)]


def _coordinates(matrix: Any) -> Tuple[np.ndarray, np.ndarray, int]:
    """(columns, values, width) of a one-row sparse or dense matrix, without scipy copies."""
    if matrix.shape[0] != 1:
        raise ValueError("sentence features must have one row")
    if issparse(matrix):
        coo = matrix if matrix.format == "coo" else matrix.tocoo()
        return coo.col.astype(np.int64), coo.data.astype(np.float64), matrix.shape[1]
    row = np.asarray(matrix, dtype=np.float64).reshape(-1)
    return np.arange(row.size, dtype=np.int64), row, row.size


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class TfidfLogisticRegressionClassifier(LogisticRegressionClassifier):
    """Logistic regression on sublinear TF-IDF sentence features (one transformer per block)."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {**LogisticRegressionClassifier.get_default_config(), "C": 30.0}

    def __init__(
        self,
        config: Dict[str, Any],
        name: str,
        model_storage: ModelStorage,
        resource: Resource,
    ) -> None:
        super().__init__(config, name, model_storage, resource)
        self.clf.set_params(C=float(self.config["C"]))
        self.transformers: Optional[List[TfidfTransformer]] = None
        #: Each transformer's idf vector (its ``idf_`` property sums a sparse diagonal per read).
        self.idfs: List[np.ndarray] = []

    def _weighted_row(self, message: Message) -> csr_matrix:
        """One message's row: each block's counts as sublinear TF-IDF, L2-normalised.

        Done on the coordinates with numpy (what ``TfidfTransformer.transform`` computes, without
        its input checks and sparse diagonal products, which cost more than the arithmetic).
        """
        if self.transformers is None:
            blocks = sentence_blocks(message)
            return hstack(blocks, format="csr") if len(blocks) > 1 else blocks[0]
        matrices = sentence_features(message)
        if len(matrices) != len(self.transformers):
            raise ValueError(
                f"{len(matrices)} feature blocks, the classifier was trained on "
                f"{len(self.transformers)}: retrain the model"
            )
        columns, values, width = [], [], 0
        for matrix, idf in zip(matrices, self.idfs):
            indices, counts, block_width = _coordinates(matrix)
            indices, weights = sublinear_tfidf(indices, counts, idf)
            columns.append(indices + width)
            values.append(weights)
            width += block_width
        data = np.concatenate(values)
        return csr_matrix((data, np.concatenate(columns), [0, data.size]), shape=(1, width))

    def _probabilities(self, X: csr_matrix) -> np.ndarray:
        """``clf.predict_proba(X)``, with the products taken over the row's non-zeros only.

        scikit-learn multiplies by the transposed coefficient matrix (31 x ~20,000), copying
        it for every message; gathering the columns the row uses gives the same scores.
        """
        clf = self.clf
        if not is_multinomial(clf):
            return clf.predict_proba(X)
        X = X.tocsr()
        return np.vstack(
            [
                multinomial_probabilities(
                    clf,
                    (
                        X.indices[X.indptr[row] : X.indptr[row + 1]],
                        X.data[X.indptr[row] : X.indptr[row + 1]],
                    ),
                )
                for row in range(X.shape[0])
            ]
        )

    def process(self, messages: List[Message]) -> List[Message]:
        """As Rasa's classifier: intent and ranking from the probabilities."""
        probabilities = self._probabilities(self._create_X(messages))
        for message, row in zip(messages, probabilities):
            ranking = sorted(
                (
                    {"name": name, "confidence": value}
                    for name, value in zip(self.clf.classes_, row)
                ),
                key=lambda entry: -entry["confidence"],
            )
            message.set("intent", ranking[0], add_to_output=True)
            if self.config[RANKING_LENGTH] > 0:
                ranking = ranking[: self.config[RANKING_LENGTH]]
            message.set("intent_ranking", ranking, add_to_output=True)
        return messages

    def _create_X(self, messages: List[Message]) -> csr_matrix:
        rows = [self._weighted_row(message) for message in messages]
        return rows[0] if len(rows) == 1 else vstack(rows, format="csr")

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get("intent") and e.get("text")]
        if not examples:
            return super().train(training_data)
        per_message = [sentence_blocks(e) for e in examples]
        columns = list(zip(*per_message))  # one tuple of rows per block
        self.transformers = [
            TfidfTransformer(sublinear_tf=True).fit(vstack(block, format="csr"))
            for block in columns
        ]
        self.idfs = [transformer.idf_ for transformer in self.transformers]
        X = self._create_X(examples)
        self.clf.fit(X, [e.get("intent") for e in examples])
        self.persist()
        return self._resource

    def persist(self) -> None:
        super().persist()
        if self.transformers is None:
            return
        with self._model_storage.write_to(self._resource) as model_dir:
            np.savez(model_dir / "idf.npz", *[t.idf_ for t in self.transformers])

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> TfidfLogisticRegressionClassifier:
        component = super().load(config, model_storage, resource, execution_context, **kwargs)
        try:
            with (
                model_storage.read_from(resource) as model_dir,
                np.load(model_dir / "idf.npz") as stored,
            ):
                idfs = [stored[f"arr_{i}"] for i in range(len(stored.files))]
        except (ValueError, OSError):
            logger.debug("No TF-IDF weights for %s; it is untrained", resource.name)
            return component
        transformers = []
        for idf in idfs:
            transformer = TfidfTransformer(sublinear_tf=True)
            transformer.idf_ = idf
            transformers.append(transformer)
        component.transformers = transformers
        component.idfs = idfs
        return component
