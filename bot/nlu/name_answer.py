"""A message that is only a person's name answers the form's question; it asks for nothing.

With German and Russian in the training data, names made of words that mean something in one
of them ("Karl Widerruf": revocation, "Lena Formular": form) were read as a withdrawal of
consent or a new request, and the form refused the name. A message of two to four capitalised
words with nothing else, no tumour or term named, whose intent is one a name is easily mistaken
for, is given the ``inform`` intent (the form's answers) instead.
"""

from __future__ import annotations

from typing import List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_NAME_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.i18n.detect import looks_like_a_name
from bot.nlu.rule_component import RuleComponent, override_intent

INFORM = "inform"
#: Intents a bare name is mistaken for. Greetings, thanks, yes/no, cancel and emergencies are
#: left alone: "Thank You", "Help Please" are not names.
MISTAKEN_FOR = frozenset(
    {
        "request_treatment", "withdraw_consent", "erase_data", "show_my_data", "human_handoff",
        "personal_case", "out_of_scope", "nlu_fallback", "ask_uncovered", "choose_item",
        "switch_language",
    }
)  # fmt: skip
MIN_WORDS, MAX_WORDS = 2, 4
OUR_ENTITIES = ("tumour", "term")


def is_bare_name(text: str) -> bool:
    return MIN_WORDS <= len(text.split()) <= MAX_WORDS and looks_like_a_name(text)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class NameAnswer(RuleComponent):
    """Gives a message that is only a name the ``inform`` intent."""

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            named = any(e.get("entity") in OUR_ENTITIES for e in message.get(ENTITIES) or [])
            if intent in MISTAKEN_FOR and not named and is_bare_name(text):
                override_intent(message, INFORM)
        return messages
