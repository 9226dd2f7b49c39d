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
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from spacy.language import Language
from spacy.matcher import PhraseMatcher

from bot.nlu.rule_component import SpacyRuleComponent, override_intent

EMERGENCY_INTENT = "emergency"

#: Phrases that signal an acute emergency. Apostrophes are optional because patients on phones
#: skip them ("cant breathe").
EMERGENCY_PHRASES: List[str] = [
    "chest pain",
    "chest pains",
    "pain in my chest",
    "pain in the chest",
    "heart attack",
    "can't breathe",
    "cant breathe",
    "cannot breathe",
    "can not breathe",
    "not breathing",
    "stopped breathing",
    "trouble breathing",
    "struggling to breathe",
    "hard to breathe",
    "short of breath",
    "choking",
    "fainted",
    "fainting",
    "passed out",
    "unconscious",
    "collapsed",
    "not waking up",
    "seizure",
    "seizures",
    "convulsions",
    "severe bleeding",
    "bleeding heavily",
    "a lot of blood",
    "stroke",
    "suicidal",
    "suicide",
    "kill myself",
    "killing myself",
    "end my life",
    "ending my life",
    "take my life",
    "want to die",
    "wanna die",
    "don't want to live",
    "dont want to live",
    "do not want to live",
    "hurt myself",
    "harm myself",
    "self harm",
    "overdose",
    "overdosed",
    "too many pills",
    "turning blue",
    "lips are blue",
    "no reason to live",
    "no reason to go on living",
    "not worth living",
    "end it all",
    "want it all to end",
]


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False, model_from="SpacyNLP"
)
class EmergencyIntentOverride(SpacyRuleComponent):
    """Sets the intent to ``emergency`` (confidence 1.0) when an emergency phrase is present.

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
            if not text.startswith("/") and matcher(model.model.make_doc(text)):
                override_intent(message, EMERGENCY_INTENT)
        return messages
