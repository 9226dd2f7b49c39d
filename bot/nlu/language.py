"""The ``language`` entity: the language a message is written in, when it can be told.

The entity fills the ``language`` slot (domain.yml), which picks the language of every answer
(bot/i18n/nlg.py). A message too short or too mixed to tell adds no entity, so the slot keeps
the conversation's language; a switch request ("auf Deutsch") always adds one. The decision is
bot/i18n/detect.py; this component trains its character n-gram classifier with the model.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any, Dict, List, Optional

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_NAME_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.i18n import detect
from bot.nlu.rule_component import StoredComponent

ENTITY_NAME = "language"
#: The message property other components read ("de"), absent when undecided.
MESSAGE_KEY = "language"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=True)
class LanguageDetector(StoredComponent, EntityExtractorMixin):
    """Adds a ``language`` entity to messages whose language is clear."""

    FILE_NAME = "language.pkl"

    def use(self, model: Optional[Any]) -> None:
        self.classifier = None if model is None else detect.LanguageScorer(model)
        detect.serve(self.classifier)

    @staticmethod
    def write(path: Path, model: Any) -> None:
        path.write_bytes(pickle.dumps(model))

    @staticmethod
    def read(path: Path) -> Any:
        # Our own model file inside our own model archive, written by ``write`` above.
        return pickle.loads(path.read_bytes())  # noqa: S301

    def train(self, training_data: TrainingData) -> Resource:
        texts, labels = detect.labelled_examples()
        if len(set(labels)) < 2:
            return self.store(None)
        return self.store(detect.train_classifier(texts, labels))

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            code = detect.detect(text, self.classifier, intent)
            if not code:
                continue
            message.set(MESSAGE_KEY, code, add_to_output=True)
            entity: Dict[str, Any] = {
                "entity": ENTITY_NAME,
                "start": 0,
                "end": len(text),
                "value": code,
                "extractor": self.__class__.__name__,
            }
            message.set(ENTITIES, [*(message.get(ENTITIES) or []), entity], add_to_output=True)
        return messages
