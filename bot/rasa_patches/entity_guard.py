"""The NLU boundary for typed input: entity values that are not short strings are dropped.

A typed payload such as ``/inform{"tumour": {"a": 1}}``, ``[1, 2, 3]`` or a number gives entities
whose value Rasa would put into text slots as it is. What ``MessageProcessor.parse_message``
returns (typed ``/intent{...}`` payloads from Rasa's RegexMessageHandler and the NLU pipeline's
output alike, also for ``/model/parse``), and parse data a channel passes in with the message,
keep only entities whose type and value are strings of at most ``MAX_ENTITY_CHARS``
characters, so the rest never reaches the action server or a stored request. Not a speed-up.
"""

from __future__ import annotations

import functools
import logging
from typing import Any, Dict, List

from bot.rasa_patches.registry import Patching

logger = logging.getLogger(__name__)

#: Longest entity value passed on to slots; our entities (tumour names, form fields) are short.
MAX_ENTITY_CHARS = 200


def safe_entities(entities: Any) -> List[Dict[str, Any]]:
    """The entities whose type and value are strings of a sane length; the rest is dropped."""
    kept = []
    for entity in entities if isinstance(entities, list) else []:
        if not isinstance(entity, dict) or not isinstance(entity.get("entity"), str):
            continue
        value = entity.get("value")
        if isinstance(value, str) and len(value) <= MAX_ENTITY_CHARS:
            kept.append(entity)
    return kept


def clean_parse_data(parse_data: Any) -> Any:
    """``parse_data`` with :func:`safe_entities` only (changed in place)."""
    if isinstance(parse_data, dict) and "entities" in parse_data:
        entities = parse_data.get("entities")
        kept = safe_entities(entities)
        if len(kept) != len(entities or []):
            logger.warning(
                "dropped %d entity value(s) that are not short strings",
                len(entities or []) - len(kept),
            )
        parse_data["entities"] = kept
    return parse_data


def install(patching: Patching) -> None:
    from rasa.core.processor import MessageProcessor

    parse_message = MessageProcessor.parse_message
    handle = MessageProcessor._handle_message_with_tracker

    @functools.wraps(parse_message)
    async def parse_message_guarded(self: Any, message: Any, *args: Any, **kwargs: Any) -> Any:
        return clean_parse_data(await parse_message(self, message, *args, **kwargs))

    @functools.wraps(handle)
    async def handle_message_with_tracker_guarded(self: Any, message: Any, tracker: Any) -> Any:
        if getattr(message, "parse_data", None):
            clean_parse_data(message.parse_data)
        return await handle(self, message, tracker)

    patching.replace(MessageProcessor, "parse_message", parse_message_guarded)
    patching.replace(
        MessageProcessor, "_handle_message_with_tracker", handle_message_with_tracker_guarded
    )
