"""Route emergency messages to the ``emergency`` intent, whatever the classifier thought.

A patient who writes "my dad collapsed and is not breathing" must be told to call emergency
services now, even if the message also mentions MIBG and the classifier leans to a medical
question. Recall matters more than precision here: a false alarm costs one extra sentence, a
missed emergency could cost a life. The phrases are matched on lower-cased spaCy tokens.
"""

from __future__ import annotations

from typing import List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.utils.spacy_utils import SpacyModel
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from spacy.language import Language
from spacy.matcher import PhraseMatcher

from bot.content.emergency import (
    EMERGENCY_PHRASES,
    asks_in_general,
    only_history,
    sounds_urgent,
)
from bot.content.framing_phrases import is_personal
from bot.nlu.rule_component import SpacyRuleComponent, intent_name, override_intent

EMERGENCY_INTENT = "emergency"


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False, model_from="SpacyNLP"
)
class EmergencyIntentOverride(SpacyRuleComponent):
    """Sets the intent to ``emergency`` (confidence 1.0) when an emergency phrase is present.

    A phrase the patient tells as past history ("she had anaphylaxis before") with nothing
    urgent now does not count (``only_history``). The classifier's own ``emergency`` without
    such a phrase is taken back for a general
    question about the therapy's effects that speaks of no one ("and is the throwing up
    constant?"): the next intent of the ranking answers it.

    Put it after the intent classifier and before the ``FallbackClassifier``.
    """

    @staticmethod
    def build_matcher(nlp: Language) -> PhraseMatcher:
        """A case-insensitive phrase matcher for ``EMERGENCY_PHRASES``."""
        matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        matcher.add(EMERGENCY_INTENT, [nlp.make_doc(phrase) for phrase in EMERGENCY_PHRASES])
        return matcher

    def process(self, messages: List[Message], model: SpacyModel) -> List[Message]:
        matcher = self.matcher(model)
        for message in messages:
            text = message.get(TEXT) or ""
            doc = model.model.make_doc(text)
            found = [doc[start:end].text for _, start, end in matcher(doc)]
            if not text.startswith("/") and (
                (found and not only_history(text, found)) or sounds_urgent(text)
            ):
                override_intent(message, EMERGENCY_INTENT)
            elif intent_name(message) == EMERGENCY_INTENT and (
                found or (asks_in_general(text) and not is_personal(text))
            ):
                _take_back_emergency(message)  # only history, or a general question
        return messages


def _take_back_emergency(message: Message) -> None:
    """The next intent of the ranking becomes the message's intent; emergency goes last."""
    ranking = message.get(INTENT_RANKING_KEY) or []
    rest = [r for r in ranking if r.get(INTENT_NAME_KEY) != EMERGENCY_INTENT]
    if not rest:
        return
    emergency = [r for r in ranking if r.get(INTENT_NAME_KEY) == EMERGENCY_INTENT]
    message.set(INTENT, dict(rest[0]), add_to_output=True)
    message.set(INTENT_RANKING_KEY, rest + emergency, add_to_output=True)
