"""``count-vectors`` gives each message exactly the count features Rasa's featurizer gives."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Tuple

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.rasa_patches import count_vectors
from tests.rasa_patches.helpers import patched

TRAINING = [
    ("what are the side effects", "ask_side_effects"),
    ("does it make you sick nausea", "ask_side_effects"),
    ("how much does the treatment cost", "ask_costs"),
    ("what is the price in euro", "ask_costs"),
    ("Was kostet die Behandlung", "ask_costs"),
    ("какие побочные эффекты", "ask_side_effects"),
]
#: Unseen words, repeated words, typos, other scripts, a message of one character.
MESSAGES = [
    "side side effects effects",
    "wat r the sied efects of mibg",
    "Kosten der Behandlung in Deutschland?",
    "побочные эффекты лечения",
    "x",
    "completely unrelated words here",
]
CONFIGS = [
    {},
    {"analyzer": "char_wb", "min_ngram": 2, "max_ngram": 4},
    {"analyzer": "char", "min_ngram": 1, "max_ngram": 3},
    {"min_ngram": 1, "max_ngram": 2},
]


def featurize(config: Dict[str, Any], tmp_path: Path) -> List[List[Tuple[str, Any]]]:
    """Train a featurizer with ``config`` and return each message's (type, matrix) features."""
    context = ExecutionContext(GraphSchema({}), "test")
    tmp_path.mkdir(parents=True)
    storage = LocalModelStorage(tmp_path)
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    featurizer = CountVectorsFeaturizer.create(
        {**CountVectorsFeaturizer.get_default_config(), **config},
        storage,
        Resource("counts"),
        context,
    )
    data = TrainingData([Message(data={"text": t, "intent": i}) for t, i in TRAINING])
    tokenizer.process_training_data(data)
    featurizer.train(data)
    messages = [Message(data={"text": text}) for text in MESSAGES]
    tokenizer.process(messages)
    featurizer.process(messages)
    return [[(f.type, f.features) for f in m.features] for m in messages]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.get("analyzer", "word"))
def test_the_same_features_as_rasa(config: Dict[str, Any], tmp_path: Path) -> None:
    released = featurize(config, tmp_path / "released")
    with patched("count-vectors"):
        counted = featurize(config, tmp_path / "patched")
    assert len(counted) == len(released) == len(MESSAGES)
    nonzero = 0
    for ours, rasas in zip(counted, released):
        assert [kind for kind, _ in ours] == [kind for kind, _ in rasas] == ["sequence", "sentence"]
        for (_, a), (_, b) in zip(ours, rasas):
            assert a.format == b.format == "coo"
            assert a.shape == b.shape and a.dtype == b.dtype
            np.testing.assert_array_equal(a.row, b.row)
            np.testing.assert_array_equal(a.col, b.col)
            np.testing.assert_array_equal(a.data, b.data)
            nonzero += a.nnz
    assert nonzero > 0  # the messages share vocabulary with the training data


def test_counts_match_the_vectorizer() -> None:
    from sklearn.feature_extraction.text import CountVectorizer

    vectorizer = CountVectorizer(analyzer="char_wb", ngram_range=(2, 3)).fit(
        [t for t, _ in TRAINING]
    )
    ours = count_vectors.counts(vectorizer, MESSAGES)
    theirs = vectorizer.transform(MESSAGES)
    np.testing.assert_array_equal(ours.toarray(), theirs.toarray())
    assert ours.toarray().sum() > 0
    assert count_vectors.analyser(vectorizer) is count_vectors.analyser(vectorizer)
