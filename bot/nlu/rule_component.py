"""Plumbing shared by our Rasa components: rule-based ones, and trained ones with one model file.

Rasa 3.6 graph components need the same constructor, default config and ``create`` boilerplate;
the spaCy ones also build their ``PhraseMatcher`` once, from the vocabulary of the pipeline that
``SpacyNLP`` loaded, the first time a message arrives.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Dict, List, Optional, Type

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message
from spacy.language import Language
from spacy.matcher import PhraseMatcher

logger = logging.getLogger(__name__)


class RuleComponent(GraphComponent):
    """A component with nothing to train: config in, messages processed."""

    def __init__(self, config: Dict[str, Any]) -> None:
        self._config = config

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {}

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> RuleComponent:
        return cls(config)


class SpacyRuleComponent(RuleComponent):
    """A rule component that matches phrases with spaCy on the pipeline ``SpacyNLP`` loaded."""

    def __init__(self, config: Dict[str, Any]) -> None:
        super().__init__(config)
        self._matcher: Optional[PhraseMatcher] = None

    @classmethod
    def required_components(cls) -> List[Type]:
        return [SpacyNLP]

    @staticmethod
    def build_matcher(nlp: Language) -> PhraseMatcher:
        raise NotImplementedError

    def matcher(self, model: SpacyModel) -> PhraseMatcher:
        if self._matcher is None:
            self._matcher = self.build_matcher(model.model)
        return self._matcher


def intent_name(message: Message) -> Optional[str]:
    """The name of the intent the components before this one gave the message."""
    return (message.get(INTENT) or {}).get(INTENT_NAME_KEY)


def override_intent(message: Message, name: str) -> None:
    """Make ``name`` the message's intent with confidence 1.0, first in the ranking."""
    intent = {INTENT_NAME_KEY: name, "confidence": 1.0}
    ranking = [
        entry
        for entry in message.get(INTENT_RANKING_KEY) or []
        if entry.get(INTENT_NAME_KEY) != name
    ]
    message.set(INTENT, intent, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [intent] + ranking, add_to_output=True)


class StoredComponent(GraphComponent):
    """A trained component whose whole model is one file in the Rasa model archive.

    Subclasses name the file and say how the model is written and read; training, loading an
    untrained model (``None``) and the graph boilerplate are the same for all of them.
    """

    #: The model file's name inside the component's resource.
    FILE_NAME = "model"

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: Optional[Any] = None,
    ) -> None:
        self.config = config
        self._model_storage = model_storage
        self._resource = resource
        self.use(model)

    def use(self, model: Optional[Any]) -> None:
        """Take ``model`` (``None``: untrained) as this component's model."""
        raise NotImplementedError

    @staticmethod
    def write(path: Path, model: Any) -> None:
        raise NotImplementedError

    @staticmethod
    def read(path: Path) -> Any:
        raise NotImplementedError

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> StoredComponent:
        return cls(config, model_storage, resource)

    def store(self, model: Any) -> Resource:
        """Use ``model`` and write it to the model archive (the end of ``train``)."""
        self.use(model)
        with self._model_storage.write_to(self._resource) as model_dir:
            self.write(model_dir / self.FILE_NAME, model)
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> StoredComponent:
        try:
            with model_storage.read_from(resource) as model_dir:
                model = cls.read(model_dir / cls.FILE_NAME)
        except (ValueError, FileNotFoundError):
            logger.debug("No %s model in %s; it is untrained", cls.__name__, resource.name)
            model = None
        return cls(config, model_storage, resource, model)
