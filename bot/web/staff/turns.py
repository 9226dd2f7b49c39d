"""What one user message in the tracker says: text, intent, confidence, entities, fallback.

Shared by the summaries (list, filters, dashboard) and the transcript, so "fell back" means the
same thing everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Tuple

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
    parse = data.get("parse_data") if isinstance(data.get("parse_data"), dict) else {}
    intent_data = parse.get("intent") if isinstance(parse.get("intent"), dict) else {}
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
