"""A question is not a yes: "which drugs exactly" after "Would you like us to arrange that?".

The intent classifier reads short questions as ``affirm`` or ``deny`` (they are short, like a
yes). After an offer that takes a yes, that starts the request form instead of answering. A
message that begins with a question word and holds no word of yes or no loses its ``affirm``
or ``deny``: the rest of the ranking stands, and the ``FallbackClassifier`` after this component
decides from it as usual. "ok?" and "why not?" keep theirs: they answer the offer.

The same goes for ``cancel`` and ``skip``, read from words like "stop": "when i stop them"
after the medicines to stop is a question about the preparation, not a wish to stop. "how do
I stop this" keeps its ``cancel``.
"""

from __future__ import annotations

import re
from typing import List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.i18n import locales
from bot.nlu.rule_component import RuleComponent

YES_OR_NO_INTENTS = frozenset({"affirm", "deny", "cancel", "skip"})
#: "how do I stop this", "how can i cancel": a question that asks to stop keeps ``cancel``.
ASKS_TO_STOP = re.compile(
    r"^\W*how\s+(?:do|can|could)\s+i\s+(?:stop|cancel|quit|end|skip|leave)\b", re.IGNORECASE
)
_ENGLISH_QUESTION_WORDS = ["what", "whats", "which", "how", "why", "when", "where", "who"]
#: A question word first (bot/locales/*/vocabulary.yml ``question_words`` for our other languages).
QUESTION_START = re.compile(
    rf"^\W*(?:{locales.alternation(_ENGLISH_QUESTION_WORDS + locales.phrases('question_words'))})"
    r"(?!\w)",
    re.IGNORECASE,
)
_YES_OR_NO_WORDS = ["yes", "yeah", "yep", "ok", "okay", "sure", "no", "not", "nope", "agree"]
#: Any word of yes or no ("what if I say no?" is about the offer itself).
YES_OR_NO = re.compile(
    rf"(?<!\w)(?:{locales.alternation(_YES_OR_NO_WORDS + locales.phrases('yes_no_words'))})"
    r"(?!\w)",
    re.IGNORECASE,
)


def is_a_question_not_an_answer(text: str) -> bool:
    """Does ``text`` start with a question word and say neither yes nor no?"""
    return (
        bool(QUESTION_START.search(text))
        and not YES_OR_NO.search(text)
        and not ASKS_TO_STOP.search(text)
    )


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class QuestionIsNotAYes(RuleComponent):
    """Drops ``affirm``/``deny`` from a question's ranking. Put it before FallbackClassifier."""

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = message.get(INTENT) or {}
            text = message.get(TEXT) or ""
            if intent.get(INTENT_NAME_KEY) not in YES_OR_NO_INTENTS or text.startswith("/"):
                continue
            if not is_a_question_not_an_answer(text):
                continue
            ranking = [
                entry
                for entry in message.get(INTENT_RANKING_KEY) or []
                if entry.get(INTENT_NAME_KEY) not in YES_OR_NO_INTENTS
            ]
            if not ranking:
                continue
            message.set(INTENT, dict(ranking[0]), add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages
