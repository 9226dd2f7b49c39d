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
from typing import Any, Dict, List, Optional

import numpy as np
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import csr_matrix, hstack, vstack
from sklearn.feature_extraction.text import TfidfTransformer

logger = logging.getLogger(__name__)


def sentence_blocks(message: Message) -> List[Any]:
    """The message's sentence features, sparse ones first, in the pipeline's order."""
    sentence = [
        f for f in message.features if f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE
    ]
    ordered = [f for f in sentence if f.is_sparse()] + [f for f in sentence if f.is_dense()]
    return [csr_matrix(f.features) for f in ordered]


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

    def _weighted_row(self, message: Message) -> csr_matrix:
        blocks = sentence_blocks(message)
        if self.transformers is not None:
            if len(blocks) != len(self.transformers):
                raise ValueError(
                    f"{len(blocks)} feature blocks, the classifier was trained on "
                    f"{len(self.transformers)}: retrain the model"
                )
            blocks = [t.transform(b) for t, b in zip(self.transformers, blocks)]
        return hstack(blocks, format="csr") if len(blocks) > 1 else blocks[0]

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
        return component
