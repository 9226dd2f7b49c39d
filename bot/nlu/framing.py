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
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_NAME_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.content.framing_phrases import is_personal
from bot.nlu.rule_component import RuleComponent

FRAMING_KEY = "framing"
PERSONAL = "personal"
PERSONAL_CASE = "personal_case"
#: From this confidence on a personal case stays one ("is it right for me?" is 1.0).
SURE_PERSONAL = 0.8
#: A topic this likely makes an unsure personal case a question on it ...
MIN_TOPIC = 0.25
#: ... or this likely when the message names a tumour ("my daughter has neuroblastoma ... what
#: chance it shrinks it?": personal_case 0.69, ask_tumour 0.13).
MIN_NAMED = 0.1


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class PersonalFraming(RuleComponent):
    """Sets ``framing`` to "personal" when the message is about someone's own case."""

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            personal = not text.startswith("/") and is_personal(text)
            message.set(FRAMING_KEY, PERSONAL if personal else None, add_to_output=True)
            _to_the_topic(message)
        return messages


def _to_the_topic(message: Message) -> None:
    """A personal case the classifier was unsure of, with a topic next in its ranking ("i have
    diabetes, is it a problem for mibg?": personal_case 0.35, contraindications 0.31) or a tumour
    named, is a question on that topic: the framing, not the intent, says it is personal.

    The topic takes the personal case's confidence as well, so the answer action reads it as
    the question it is, and adds the personal note.
    """
    intent = message.get(INTENT) or {}
    confidence = float(intent.get("confidence") or 0.0)
    if intent.get(INTENT_NAME_KEY) != PERSONAL_CASE or confidence >= SURE_PERSONAL:
        return
    ranking = message.get("intent_ranking") or []
    named = any(e.get("entity") == "tumour" for e in message.get(ENTITIES) or [])
    # without a tumour named, "ask_tumour" is only the tumour picker
    unfit = {"ask_help"} | (set() if named else {"ask_tumour"})
    topic = next(
        (r for r in ranking if str(r.get("name")).startswith("ask_") and r["name"] not in unfit),
        None,
    )
    least = MIN_NAMED if named else MIN_TOPIC
    if topic is None or float(topic.get("confidence") or 0.0) < least:
        return
    chosen = {
        INTENT_NAME_KEY: topic["name"],
        "confidence": min(1.0, confidence + topic["confidence"]),
    }
    message.set(INTENT, chosen, add_to_output=True)
    message.set(
        "intent_ranking",
        [chosen] + [r for r in ranking if r.get("name") != topic["name"]],
        add_to_output=True,
    )
