"""Minimal transcripts: once a request is stored or cancelled, the conversation keeps no copy of
the form's personal answers.

The request record holds them (staff see it in the request view); the tracker's events would
otherwise keep a second copy for as long as the conversation lives. When a turn stores a
request (``action_submit_request`` sets ``request_reference``) or cancels the form
(``action_cancel_request``), :func:`minimise` rewrites, before Rasa saves the turn:

- every user message sent while the form was asking for one of :data:`PLACEHOLDERS`'s slots
  (``requested_slot``, with the form active): its text becomes the placeholder and its
  entities are dropped (the intent stays). A question asked at such a step is replaced too:
  the rule errs on the side of privacy;
- every ``SlotSet`` of those slots with a value: the value becomes the placeholder; so does a
  slot set from such an answer by an entity mapping (``tumour`` from the diagnosis);
- bot messages sent while the form was active, and in the turn that ended it (the summary
  repeats the answers, error messages may): each answer found above is replaced there;

in the events of the turn (the tracker in memory) and in the rows already stored (Rasa's table
``events``, column ``data``), then drops the conversation from the tracker cache so nothing
rebuilds the old values, and scrubs the console's summary row (search text, fallback texts).
Country and destination are not replaced (the request keeps the country for statistics).
"""

from __future__ import annotations

import json
import logging
from typing import Any, Dict, List, Optional, Reversible

from sqlalchemy import bindparam, inspect, select, update

from bot.db import tracker_events

logger = logging.getLogger(__name__)

FORM = "treatment_request_form"
PLACEHOLDERS: Dict[str, str] = {
    "full_name": "[name]",
    "email": "[email]",
    "phone": "[phone]",
    "message": "[message]",
    "diagnosis": "[diagnosis]",
}
SUBMIT = "action_submit_request"
CANCEL = "action_cancel_request"
#: Shorter answers are not searched for in bot texts (they would match ordinary words).
MIN_VALUE_CHARS = 3


def closes_form(events: Reversible[Any]) -> bool:
    """Whether the latest turn (events after the last user message) stored or cancelled.

    Runs on every save: it reads only the events of the latest turn, from the end. A cancel
    counts when it ended the form (``ActiveLoop(None)`` after it): while the action server is
    down the Rasa server answers for the action and the form goes on (bot/supervision/fallback.py).
    """
    from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet, UserUttered

    loop_ended = False
    for event in reversed(events):
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, ActiveLoop) and event.name is None:
            loop_ended = True
        if isinstance(event, ActionExecuted) and event.action_name == CANCEL and loop_ended:
            return True
        if isinstance(event, SlotSet) and event.key == "request_reference" and event.value:
            return True
    return False


class _Point:
    """Where an event stands in the form: the slot asked, the answer of this turn."""

    def __init__(self, asked: Optional[str], form_text: bool, answer: Optional[tuple]) -> None:
        self.asked = asked
        self.form_text = form_text
        #: (the text of this turn's user message, its placeholder) if it answered a personal step
        self.answer = answer


def _walk(events: List[Dict[str, Any]]):
    """Yield (index, event, :class:`_Point`) for each event."""
    requested: Optional[str] = None
    active = False
    form_turn = False
    answer: Optional[tuple] = None
    for index, event in enumerate(events):
        kind = event.get("event")
        if kind in ("session_started", "restart"):
            requested, active, form_turn, answer = None, False, False, None
        elif kind == "active_loop":
            active = event.get("name") == FORM
            form_turn = form_turn or active
        elif kind == "slot" and event.get("name") == "requested_slot":
            requested = event.get("value")
        elif kind == "user":
            form_turn = active
            asked = requested if active else None
            said = event.get("text")
            answer = (said, PLACEHOLDERS[asked]) if asked in PLACEHOLDERS and said else None
        yield index, event, _Point(requested if active else None, active or form_turn, answer)


def _derived(event: Dict[str, Any], point: _Point) -> Optional[str]:
    """The placeholder for another slot set from a personal answer (e.g. ``tumour`` from the
    diagnosis, by Rasa's entity mapping): its value is part of that answer's text."""
    name, value = event.get("name"), event.get("value")
    if point.answer is None or name in PLACEHOLDERS or name == "requested_slot":
        return None
    if not isinstance(value, str) or not value.strip() or value in PLACEHOLDERS.values():
        return None
    said, placeholder = point.answer
    return placeholder if value.strip().lower() in str(said).lower() else None


def form_values(events: List[Dict[str, Any]]) -> Dict[str, str]:
    """The personal answers in ``events`` (texts of the asked steps, the slots' values), each
    with its placeholder."""
    found: Dict[str, str] = {}
    placeholders = set(PLACEHOLDERS.values())
    for _, event, point in _walk(events):
        kind, asked = event.get("event"), point.asked
        if kind == "slot" and (derived := _derived(event, point)):
            found.setdefault(event["value"].strip(), derived)
        if kind == "user" and asked in PLACEHOLDERS:
            said = event.get("text")
            if isinstance(said, str) and said.strip() and said not in placeholders:
                found[said.strip()] = PLACEHOLDERS[asked]
        elif kind == "slot" and event.get("name") in PLACEHOLDERS:
            value = event.get("value")
            if value is not None and str(value) not in placeholders and str(value).strip():
                found.setdefault(str(value).strip(), PLACEHOLDERS[event["name"]])
    return found


def _replace_values(value: Any, values: List[tuple]) -> Any:
    """``value`` with each (old, placeholder) of ``values`` replaced, in every string inside."""
    if isinstance(value, str):
        for old, placeholder in values:
            value = value.replace(old, placeholder)
        return value
    if isinstance(value, list):
        return [_replace_values(item, values) for item in value]
    if isinstance(value, dict):
        return {key: _replace_values(item, values) for key, item in value.items()}
    return value


def _searchable(values: Dict[str, str], lower: bool = False) -> List[tuple]:
    """(answer, placeholder) pairs worth searching for, longest first."""
    pairs = {(v.lower() if lower else v, p) for v, p in values.items() if len(v) >= MIN_VALUE_CHARS}
    return sorted(pairs, key=lambda pair: len(pair[0]), reverse=True)


def redact(events: List[Dict[str, Any]], values: Dict[str, str]) -> List[Optional[Dict[str, Any]]]:
    """A rewritten copy of each event that holds personal answers (None: unchanged)."""
    searchable = _searchable(values)
    result: List[Optional[Dict[str, Any]]] = []
    for _, event, point in _walk(events):
        kind, asked = event.get("event"), point.asked
        new = None
        if kind == "slot" and _derived(event, point):
            new = dict(event, value=_derived(event, point))
        elif kind == "user" and asked in PLACEHOLDERS:
            placeholder = PLACEHOLDERS[asked]
            if event.get("text") != placeholder or (event.get("parse_data") or {}).get("entities"):
                new = json.loads(json.dumps(event))
                new["text"] = placeholder
                parse = new.get("parse_data")
                if isinstance(parse, dict):
                    parse["text"] = placeholder
                    parse["entities"] = []
                if "entities" in new:
                    new["entities"] = []
        elif kind == "slot" and event.get("name") in PLACEHOLDERS:
            placeholder = PLACEHOLDERS[event["name"]]
            if event.get("value") is not None and event.get("value") != placeholder:
                new = dict(event, value=placeholder)
        elif kind == "bot" and point.form_text and searchable:
            changed = _replace_values(event, searchable)
            if changed != event:
                new = changed
        result.append(new)
    return result


def _innermost(store: Any) -> Any:
    from bot.privacy.tracker_hook import _innermost as innermost

    return innermost(store)


def minimise(store: Any, tracker: Any) -> Dict[str, str]:
    """Rewrite the form's answers in ``tracker`` (in place) and in ``store``'s stored rows."""
    from rasa.shared.core.events import Event

    memory = [event.as_dict() for event in tracker.events]
    inner = _innermost(store)
    engine = getattr(inner, "engine", None)
    values = form_values(memory)
    rows: List[Any] = []
    with engine.begin() if engine is not None else _nothing() as connection:
        if connection is not None and tracker_events.exists(connection):
            table = tracker_events.events
            rows = list(
                connection.execute(
                    select(table.c.id, table.c.data)
                    .where(table.c.sender_id == tracker.sender_id)
                    .order_by(table.c.id)
                )
            )
            stored = [json.loads(row.data) for row in rows]
            values = {**form_values(stored), **values}
            changed = [
                {"row_id": row.id, "new_data": json.dumps(new)}
                for row, new in zip(rows, redact(stored, values))
                if new is not None
            ]
            if changed:  # one statement for all rows (executemany), not one per row
                connection.execute(
                    update(table)
                    .where(table.c.id == bindparam("row_id"))
                    .values(data=bindparam("new_data")),
                    changed,
                )
    for index, new in enumerate(redact(memory, values)):
        if new is not None:
            tracker.events[index] = Event.from_parameters(new)
    for name, placeholder in PLACEHOLDERS.items():
        slot = tracker.slots.get(name)
        if slot is not None and slot.value is not None:
            slot.value = placeholder
    cache = inner.__dict__.get("_mibg_session_cache") if hasattr(inner, "__dict__") else None
    if cache is not None:
        cache.drop(tracker.sender_id)
    scrub_summary(tracker.sender_id, values)
    return values


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *_: Any) -> None:
        return None


def scrub_summary(
    sender_id: str, values: Dict[str, str], database_url: Optional[str] = None
) -> bool:
    """Replace the answers in the console's summary row of ``sender_id`` (if there is one)."""
    from bot import settings
    from bot.db.engine import session_factory
    from bot.db.staff_models import ConversationSummary
    from bot.privacy.erasure import SUMMARY_LOCK

    if not values:
        return False
    sessions = session_factory(database_url or settings.load().database_url)
    if not inspect(sessions.kw["bind"]).has_table(ConversationSummary.__tablename__):
        return False
    with SUMMARY_LOCK, sessions.begin() as session:
        summary = session.get(ConversationSummary, sender_id)
        if summary is None:
            return False
        summary.search_text = _replace_values(summary.search_text or "", _searchable(values, True))
        texts = json.loads(summary.fallback_texts or "[]")
        summary.fallback_texts = json.dumps(
            [_replace_values(t, _searchable(values)) for t in texts],
            ensure_ascii=False,
        )
    return True
