"""What one user message in the tracker says: text, intent, confidence, entities, fallback;
and which replies never reached the patient.

Shared by the summaries (list, filters, dashboard) and the transcript, so "fell back" means the
same thing everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Dict, FrozenSet, Iterable, List, Tuple

from bot.web.staff.config import FALLBACK_INTENTS
from bot.web.staff.tracker import Event


@dataclass(frozen=True)
class UserTurn:
    text: str
    intent: str | None
    confidence: float | None
    #: (entity, value) pairs as the NLU found them.
    entities: List[Tuple[str, str]]
    channel: str | None
    #: Fallback intent, out of scope, or a confidence below the FallbackClassifier threshold.
    fallback: bool


def read_user_turn(event: Event, threshold: float) -> UserTurn:
    """Interpret a ``user`` event; tolerant of missing or odd fields in old events."""
    data = event.data
    parse = data.get("parse_data")
    parse = parse if isinstance(parse, dict) else {}
    intent_data = parse.get("intent")
    intent_data = intent_data if isinstance(intent_data, dict) else {}
    intent = event.intent_name or intent_data.get("name")
    confidence = intent_data.get("confidence")
    confidence = float(confidence) if isinstance(confidence, (int, float)) else None
    entities = [
        (str(item.get("entity", "")), str(item.get("value", "")))
        for item in parse.get("entities") or []
        if isinstance(item, dict)
    ]
    fallback = intent in FALLBACK_INTENTS or (confidence is not None and confidence < threshold)
    text = data.get("text")
    channel = data.get("input_channel")
    return UserTurn(
        text=text if isinstance(text, str) else "",
        intent=intent,
        confidence=confidence,
        entities=entities,
        channel=channel if isinstance(channel, str) and channel else None,
        fallback=fallback,
    )


#: ``type_name`` and ``data.delivery`` of the record ``bot/channels/delivery.py`` appends when a
#: Telegram or Messenger reply could not be sent (Rasa's ``AgentUttered``: no effect on the
#: dialogue).
DELIVERY_EVENT = "agent"
DELIVERY_FAILED = "failed"


@dataclass(frozen=True)
class DeliveryFailure:
    """Replies of one turn that the messenger platform did not take, as the transcript shows it."""

    at: datetime
    channel: str | None
    #: Safe to show: an HTTP status (and the platform's error code) or an error type.
    reason: str
    attempts: int
    replies: int
    undelivered: int
    #: Timestamps of the ``bot`` events that were not delivered.
    stamps: FrozenSet[float] = field(default_factory=frozenset)
    kind: str = "undelivered"

    def as_json(self) -> Dict[str, Any]:
        return {
            "channel": self.channel,
            "reason": self.reason,
            "attempts": self.attempts,
            "replies": self.replies,
            "undelivered": self.undelivered,
        }


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def read_delivery_failure(event: Event, at: datetime) -> DeliveryFailure | None:
    """The delivery-failure record in ``event``, or ``None`` for any other event."""
    if event.type_name != DELIVERY_EVENT:
        return None
    data = event.data.get("data")
    if not isinstance(data, dict) or data.get("delivery") != DELIVERY_FAILED:
        return None
    stamps = data.get("undelivered")
    stamps = [s for s in stamps if isinstance(s, (int, float))] if isinstance(stamps, list) else []
    replies = _int(data.get("replies"))
    channel, reason = data.get("channel"), data.get("reason")
    return DeliveryFailure(
        at=at,
        channel=channel if isinstance(channel, str) and channel else None,
        reason=reason if isinstance(reason, str) and reason else "unknown error",
        attempts=_int(data.get("attempts")),
        replies=replies,
        undelivered=replies - _int(data.get("delivered")) if replies else len(stamps),
        stamps=frozenset(float(s) for s in stamps),
    )


def undelivered_stamps(events: Iterable[Event]) -> FrozenSet[float]:
    """Timestamps of every ``bot`` event that a delivery-failure record names."""
    found: set = set()
    for event in events:
        failure = read_delivery_failure(event, datetime.min)
        if failure is not None:
            found |= failure.stamps
    return frozenset(found)
