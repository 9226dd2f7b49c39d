"""Store a confirmed treatment request, show the summary before that, or cancel the form.

The patient only hears "your request has been sent" after the record is committed. If the
database cannot be reached, the answers stay in the conversation and "Try again" re-runs the
save; the unique (sender, consent time) key makes a repeated save return the first reference.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from bot import settings
from bot.db.engine import session_factory
from bot.db.requests import RequestDetails, save_request
from bot.domain import treatment_request_form
from bot.i18n.conversation import conversation_language
from bot.i18n.values import display

logger = logging.getLogger(__name__)

FORM = treatment_request_form()
#: Slots cleared when a request is cancelled or consent is refused.
RESET_SLOTS = [*FORM.order, "consent_at", "change_pending", "field_failures"]
#: What the summary shows and the record stores: the patient's answers.
SUMMARY_FIELDS = list(FORM.answers)


def _blank_to_none(value: Optional[str]) -> Optional[str]:
    return value if value else None


def request_details(tracker: Tracker) -> RequestDetails:
    """The record to store, from the form's slots and the conversation."""
    return RequestDetails(
        sender_id=tracker.sender_id,
        channel=tracker.get_latest_input_channel(),
        **{name: _blank_to_none(tracker.get_slot(name)) for name in SUMMARY_FIELDS},
        consent_at=datetime.fromisoformat(tracker.get_slot("consent_at")),
        notice_version=settings.load().privacy_notice_version,
    )


class ActionAskRequestConfirmed(Action):
    """Show the summary with Send / Change / Cancel, or the list of fields to change."""

    def name(self) -> str:
        return "action_ask_request_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        if tracker.get_slot("change_pending"):
            dispatcher.utter_message(response="utter_which_field")
            return [SlotSet("change_pending", False)]
        language = conversation_language(tracker)
        values = {name: display(tracker.get_slot(name), language) for name in SUMMARY_FIELDS}
        dispatcher.utter_message(response="utter_request_summary", **values)
        return []


class ActionSubmitRequest(Action):
    """Save the request after the form completes and tell the patient the reference."""

    def name(self) -> str:
        return "action_submit_request"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        if tracker.get_slot("privacy_consent") is not True:
            dispatcher.utter_message(response="utter_consent_declined")
            return [SlotSet(name, None) for name in RESET_SLOTS]
        reference = tracker.get_slot("request_reference")
        if reference:
            dispatcher.utter_message(response="utter_request_already_saved")
            return []
        if tracker.get_slot("request_confirmed") is not True:
            return []
        details = request_details(tracker)
        try:
            reference = await asyncio.to_thread(save_request, session_factory(), details)
        except SQLAlchemyError as error:
            # The exception text can contain the statement's parameters: log the type only.
            logger.warning("treatment request not saved: %s", type(error).__name__)
            dispatcher.utter_message(response="utter_request_not_saved")
            return []
        logger.info("treatment request saved: %s", reference)
        dispatcher.utter_message(response="utter_request_saved", request_reference=reference)
        return [SlotSet("request_reference", reference)]


class ActionCancelRequest(Action):
    """Stop the form, forget what it gathered, and say that nothing was stored."""

    def name(self) -> str:
        return "action_cancel_request"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        dispatcher.utter_message(response="utter_request_cancelled")
        return [ActiveLoop(None), SlotSet("requested_slot", None)] + [
            SlotSet(name, None) for name in RESET_SLOTS
        ]
