"""Privacy requests from the chat, on every channel: erasure, withdrawal, "what do you store".

- ``erase_data`` ("delete my data", "forget me") and ``withdraw_consent`` ("I withdraw my
  consent") get ``action_privacy_explain``: what would be deleted (this sender's requests, if
  any, and this conversation), with one confirmation ("Yes, delete" / "No, keep"). Said during
  the treatment-request form, the form pauses (it resumes at the same question after "No").
- ``withdraw_consent`` while a request is pending (new or contacted) is about that request: on
  confirmation the request is closed and its personal fields emptied (``withdraw_consent`` in
  ``bot.privacy.erasure``); the conversation stays unless the patient asks to delete it too.
  With no pending request, a withdrawal is an erasure (there is no request to cancel).
- ``action_privacy_confirm`` erases through ``bot.privacy.erasure.erase_person``, the same
  function as ``python -m bot erase`` and the staff console, with the tracker's sender id (the
  channels namespace it, e.g. ``rest:<id>``), writes an audit entry (actor ``patient``, the
  channel name and counts, no sender id, no personal data) and sets ``privacy_erased_at``:
  the Rasa server then stores nothing of this turn (``bot.privacy.tracker_hook``, through the
  Rasa patch ``erasure-hook``).
- ``show_my_data`` ("what do you store about me?") gets ``action_show_my_data``: this sender's
  own stored requests, field by field, and how to change or erase them.

Nothing personal is logged: only the type of a database error.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.submit_request import RESET_SLOTS
from bot import audit
from bot.domain import TREATMENT_REQUEST_FORM
from bot.i18n import locales
from bot.i18n.conversation import conversation_language
from bot.i18n.locales import DEFAULT_LANGUAGE
from bot.i18n.values import display
from bot.privacy import erasure
from bot.privacy.tracker_hook import ERASED_SLOT

logger = logging.getLogger(__name__)

FORM = TREATMENT_REQUEST_FORM
PENDING_SLOT = "privacy_pending"
PAUSED_SLOT = "privacy_paused_form"
ERASE, WITHDRAW = "erase", "withdraw"
FIELD_LABELS = {
    "request": "Request",
    "full_name": "Name",
    "email": "Email",
    "phone": "Phone",
    "country": "Country",
    "diagnosis": "Diagnosis",
    "destination": "Destination",
    "message": "Message",
}


def _intent(tracker: Tracker) -> str:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name") or ""


def _channel(tracker: Tracker) -> str:
    """The channel of the latest message ("rest", "socketio", "telegram"): the audit target."""
    channel = tracker.get_latest_input_channel()
    return channel if isinstance(channel, str) and channel else "unknown"


def _utc(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


class ActionPrivacyExplain(Action):
    """Say what an erasure (or a withdrawal) would delete, and ask once to confirm."""

    def name(self) -> str:
        return "action_privacy_explain"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        try:
            counts = await asyncio.to_thread(erasure.count_requests, tracker.sender_id)
        except SQLAlchemyError as error:
            logger.warning("privacy request not answered: %s", type(error).__name__)
            dispatcher.utter_message(response="utter_privacy_unavailable")
            return [SlotSet(PENDING_SLOT, None), ActiveLoop(None)] + _resume(tracker, paused=True)
        if _intent(tracker) == "withdraw_consent" and counts["pending"]:
            pending = WITHDRAW
            dispatcher.utter_message(response="utter_privacy_withdraw_explain")
        elif counts["all"]:
            pending = ERASE
            dispatcher.utter_message(
                response="utter_privacy_erase_explain_requests", count=counts["all"]
            )
        else:
            pending = ERASE
            dispatcher.utter_message(response="utter_privacy_erase_explain")
        # Always ends any loop (the rules say so); a paused form resumes after "No, keep".
        paused = tracker.active_loop.get("name") == FORM
        return [SlotSet(PENDING_SLOT, pending), SlotSet(PAUSED_SLOT, paused), ActiveLoop(None)]


class ActionPrivacyConfirm(Action):
    """The patient confirmed: erase (or withdraw consent) now, and say when."""

    def name(self) -> str:
        return "action_privacy_confirm"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        pending = tracker.get_slot(PENDING_SLOT)
        sender = tracker.sender_id
        try:
            if pending == ERASE:
                result = await asyncio.to_thread(erasure.erase_person, sender)
                at = erasure.utc_now()
                detail = {"requests": result.requests, "events": result.events, "by": "chat"}
                await asyncio.to_thread(
                    audit.record_if_ready,
                    audit.PATIENT,
                    audit.ERASE_PERSON,
                    _channel(tracker),
                    detail,
                )
                logger.info("patient erasure done")
                dispatcher.utter_message(response="utter_privacy_erased", time=_utc(at))
                # Rasa stores nothing of this turn and forgets the conversation (tracker_hook).
                return [SlotSet(ERASED_SLOT, at.isoformat())]
            if pending == WITHDRAW:
                references = await asyncio.to_thread(erasure.withdraw_consent, sender)
                at = erasure.utc_now()
                await asyncio.to_thread(
                    audit.record_if_ready,
                    audit.PATIENT,
                    audit.WITHDRAW_CONSENT,
                    _channel(tracker),
                    {"requests": len(references), "by": "chat"},
                )
                logger.info("patient consent withdrawn")
                dispatcher.utter_message(response="utter_privacy_withdrawn", time=_utc(at))
                return [SlotSet(name, None) for name in RESET_SLOTS + ["request_reference"]] + [
                    SlotSet(PENDING_SLOT, None),
                    SlotSet(PAUSED_SLOT, None),
                ]
        except SQLAlchemyError as error:
            logger.warning("patient erasure failed: %s", type(error).__name__)
            dispatcher.utter_message(response="utter_privacy_unavailable")
            return [SlotSet(PENDING_SLOT, None)] + _resume(tracker)
        dispatcher.utter_message(response="utter_anything_else")
        return []


def _resume(tracker: Tracker, paused: bool = False) -> List[EventType]:
    """Re-activate the form that the explanation paused (it asks its question again)."""
    if tracker.get_slot(PAUSED_SLOT) or (paused and tracker.active_loop.get("name") == FORM):
        return [SlotSet(PAUSED_SLOT, None), ActiveLoop(FORM)]
    return []


class ActionPrivacyKeep(Action):
    """The patient said "No, keep": nothing is deleted; a paused form goes on."""

    def name(self) -> str:
        return "action_privacy_keep"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        dispatcher.utter_message(response="utter_privacy_kept")
        return [SlotSet(PENDING_SLOT, None)] + _resume(tracker)


def describe(records: List[Dict[str, Any]], language: str = DEFAULT_LANGUAGE) -> str:
    """The stored requests as lines for the chat (this sender's own, never anyone else's),
    labelled and shown in the conversation's language (``field_labels`` of vocabulary.yml)."""
    labels = {**FIELD_LABELS, **(locales.vocabulary(language).get("field_labels") or {})}
    parts = []
    for record in records:
        lines = [f"{labels['request']} {record['reference']} ({record['status']}):"]
        for name in FIELD_LABELS:
            if name != "request":
                lines.append(f"- {labels[name]}: {display(record.get(name), language)}")
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


class ActionShowMyData(Action):
    """Show what is stored about this sender: their own requests, with how to change or erase."""

    def name(self) -> str:
        return "action_show_my_data"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        try:
            records = await asyncio.to_thread(erasure.stored_requests, tracker.sender_id)
        except SQLAlchemyError as error:
            logger.warning("stored data not shown: %s", type(error).__name__)
            dispatcher.utter_message(response="utter_privacy_unavailable")
            return []
        if records:
            dispatcher.utter_message(
                response="utter_my_data", details=describe(records, conversation_language(tracker))
            )
        else:
            dispatcher.utter_message(response="utter_my_data_none")
        return []
