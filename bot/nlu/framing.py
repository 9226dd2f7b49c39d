"""Marks a message that speaks about the writer's or a relative's own case.

Personal framing is a feature of the message, not an intent: the classifier still names the
topic ("my dad has kidney problems, can he have it?" is about contraindications), and the
answer action adds one sentence that a specialist decides for this person. The result is in
the parse data as ``framing`` ("personal" or ``None``), so the action server and the staff
console see it.
"""

from __future__ import annotations

from typing import List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.content.framing_phrases import is_personal
from bot.nlu.rule_component import RuleComponent

FRAMING_KEY = "framing"
PERSONAL = "personal"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class PersonalFraming(RuleComponent):
    """Sets ``framing`` to "personal" when the message is about someone's own case."""

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            personal = not text.startswith("/") and is_personal(text)
            message.set(FRAMING_KEY, PERSONAL if personal else None, add_to_output=True)
        return messages
