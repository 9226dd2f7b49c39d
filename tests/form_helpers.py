"""Build rasa_sdk trackers for action tests and run actions on them (a small form test helper)."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.settings import ROOT

DOMAIN: Dict[str, Any] = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
ALL_SLOTS = list(DOMAIN["slots"]) + ["requested_slot"]
#: Every form field answered, in the form's order, up to the final confirmation.
FILLED: Dict[str, Any] = {
    "privacy_consent": True,
    "consent_at": "2026-11-24T10:00:00+00:00",
    "full_name": "Anna Kowalska",
    "email": "anna@example.com",
    "phone": "+48 601 234 567",
    "country": "Poland",
    "diagnosis": "Paraganglioma",
    "destination": "Germany",
    "message": "",
}


def tracker(
    text: str = "",
    intent: Optional[str] = None,
    confidence: float = 0.9,
    entities: Optional[List[dict]] = None,
    slots: Optional[Dict[str, Any]] = None,
    requested_slot: Optional[str] = None,
    sender_id: str = "test-sender",
    channel: str = "rest",
    active_loop: Optional[str] = "treatment_request_form",
    parse: Optional[Dict[str, Any]] = None,
) -> Tracker:
    """A tracker whose latest user message is ``text`` with the given NLU result and slots.

    ``parse`` adds keys to the parse data (``questions``, ``framing``, ``intent_ranking``).
    """
    values = {name: None for name in ALL_SLOTS}
    values.update(slots or {})
    values["requested_slot"] = requested_slot
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "entities": entities or [],
        "intent_ranking": [{"name": intent, "confidence": confidence}],
        **(parse or {}),
    }
    events = [{"event": "user", "text": text, "parse_data": latest, "input_channel": channel}]
    return Tracker(
        sender_id=sender_id,
        slots=values,
        latest_message=latest,
        events=events,
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


async def run(action: Action, tr: Tracker) -> Tuple[List[dict], List[str]]:
    """Run ``action``; return (events as dicts, names of the responses it sent)."""
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tr, DOMAIN)
    return list(events), [m.get("response") for m in dispatcher.messages]


def slot_values(events: List[dict]) -> Dict[str, Any]:
    """The slots an action set, in order (later wins)."""
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def entity(name: str, value: str) -> dict:
    return {"entity": name, "value": value, "start": 0, "end": 1}
