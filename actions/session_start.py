"""Start each conversation with the one-line disclaimer (general information, not advice)."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.i18n.conversation import LANGUAGE_SLOT, conversation_language


class ActionSessionStart(Action):
    """Rasa runs this once per conversation session, before the first reply.

    Slots are not carried over (``carry_over_slots_to_new_session: false``): a new session
    starts without anyone's personal details. The language is the one the first message or its
    channel names (bot/i18n/hint.py, through the Rasa patch ``language-hint``), kept in the
    ``language`` slot for the replies after it.
    """

    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        dispatcher.utter_message(response="utter_disclaimer")
        language = conversation_language(tracker)
        return [SessionStarted(), SlotSet(LANGUAGE_SLOT, language), ActionExecuted("action_listen")]
