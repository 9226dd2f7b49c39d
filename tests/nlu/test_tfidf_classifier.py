"""The TF-IDF logistic-regression intent classifier trains, persists, loads and predicts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import coo_matrix, hstack
from sklearn.preprocessing import normalize

from bot.nlu.tfidf_classifier import TfidfLogisticRegressionClassifier

VOCAB = ["side", "effects", "cost", "price", "hello", "hi"]
EXAMPLES = [
    ("side effects", "ask_side_effects"),
    ("effects side side", "ask_side_effects"),
    ("cost price", "ask_costs"),
    ("price price cost", "ask_costs"),
    ("hello hi", "greet"),
    ("hi hi", "greet"),
]


def message(text: str, intent: str | None = None) -> Message:
    data = {"text": text}
    if intent:
        data["intent"] = intent
    msg = Message(data=data)
    words = text.split()
    counts = [words.count(w) for w in VOCAB]
    chars = [text.count(c) for c in "aeiou"]
    msg.add_features(Features(coo_matrix([counts]), "sentence", "text", "words"))
    msg.add_features(Features(coo_matrix([chars]), "sentence", "text", "chars"))
    return msg


@pytest.fixture()
def storage(tmp_path: Path) -> LocalModelStorage:
    return LocalModelStorage(tmp_path)


def test_train_persist_load_predict(storage: LocalModelStorage) -> None:
    resource = Resource("classifier")
    context = ExecutionContext(GraphSchema({}), "test")
    config = {**TfidfLogisticRegressionClassifier.get_default_config(), "C": 30.0}
    trained = TfidfLogisticRegressionClassifier.create(config, storage, resource, context)
    trained.train(TrainingData([message(t, i) for t, i in EXAMPLES]))
    assert trained.clf.get_params()["C"] == 30.0
    assert len(trained.transformers) == 2  # one per featurizer block

    loaded = TfidfLogisticRegressionClassifier.load(config, storage, resource, context)
    assert loaded.transformers is not None
    for a, b in zip(trained.transformers, loaded.transformers):
        np.testing.assert_array_equal(a.idf_, b.idf_)

    for text, intent in [("what side effects", "ask_side_effects"), ("the price", "ask_costs")]:
        (fresh,), (again,) = trained.process([message(text)]), loaded.process([message(text)])
        assert fresh.get("intent")["name"] == again.get("intent")["name"] == intent
        assert fresh.get("intent")["confidence"] == again.get("intent")["confidence"]

    # The rows are sublinear TF-IDF per block, each block L2-normalised.
    msg = message("side side effects")
    blocks = [
        normalize(coo_matrix(np.where(b > 0, 1 + np.log(np.maximum(b, 1)), 0) * t.idf_))
        for b, t in (
            (np.array([[2, 1, 0, 0, 0, 0]], dtype=float), trained.transformers[0]),
            (
                np.array([["side side effects".count(c) for c in "aeiou"]], dtype=float),
                trained.transformers[1],
            ),
        )
    ]
    expected = hstack(blocks).toarray()
    np.testing.assert_allclose(trained._create_X([msg]).toarray(), expected)
    # ... which is what scikit-learn's TfidfTransformer computes, block by block.
    by_sklearn = hstack(
        [t.transform(f.features) for t, f in zip(trained.transformers, msg.features)]
    ).toarray()
    np.testing.assert_allclose(trained._create_X([msg]).toarray(), by_sklearn)

    # Probabilities from the row's non-zeros equal scikit-learn's predict_proba.
    rows = [message(t) for t in ("side price", "hello effects", "cost", "hi hi hi")]
    X = trained._create_X(rows)
    assert X.shape[0] == 4
    np.testing.assert_allclose(trained._probabilities(X), trained.clf.predict_proba(X), rtol=1e-12)


def test_untrained_component_loads_as_untrained(storage: LocalModelStorage) -> None:
    context = ExecutionContext(GraphSchema({}), "test")
    config = TfidfLogisticRegressionClassifier.get_default_config()
    component = TfidfLogisticRegressionClassifier.load(
        config, storage, Resource("missing"), context
    )
    assert component.transformers is None
