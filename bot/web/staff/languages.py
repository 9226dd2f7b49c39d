"""Which language a conversation, and each of its user turns, was in.

The assistant keeps a conversation's language in the ``language`` slot (``bot.i18n``): set at
session start and again right after a user message whose language is clear. So a turn belongs
to the language its message *set* (a German message in an English conversation is a German
turn: it was answered in German), and the slot events that follow a user message up to the
next ``action_listen`` still belong to that message. A tracker without any language slot event
is English.

Shared by the summaries (list, filter, overview) and the transcript, so both say the same.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Tuple

from bot.i18n import locales
from bot.i18n.conversation import LANGUAGE_SLOT
from bot.web.staff.tracker import Event

DEFAULT = locales.DEFAULT_LANGUAGE
#: Counts of one language: user turns, fallback turns, intents.
Stats = Dict[str, Dict[str, Any]]


def known() -> Tuple[str, ...]:
    """The languages the assistant speaks, English first (the filter's choices)."""
    return locales.languages()


def name(code: str) -> str:
    """A language's own name ("Deutsch"), or its code if it has no widget texts."""
    return locales.widget_strings(code).get("languageName") or code


def names() -> Dict[str, str]:
    return {code: name(code) for code in known()}


def slot_language(event: Event) -> str | None:
    """The language a ``language`` slot event sets, or ``None`` for any other event."""
    if event.type_name != "slot" or event.action_name != LANGUAGE_SLOT:
        return None
    value = event.data.get("value")
    return value if locales.supported(value) else None


def ends_turn(event: Event) -> bool:
    """After this event a later language slot belongs to no user message any more."""
    return event.starts_session or (
        event.type_name == "action" and event.action_name == "action_listen"
    )


def empty_stats() -> Dict[str, Any]:
    return {"turns": 0, "fallbacks": 0, "intents": {}}


def count_turn(stats: Stats, turn: Dict[str, Any], sign: int) -> None:
    """Add (``sign`` 1) or take back (-1) one user turn ``{language, intent, fallback}``."""
    entry = stats.setdefault(turn["language"], empty_stats())
    entry["turns"] += sign
    entry["fallbacks"] += sign if turn["fallback"] else 0
    intent = turn.get("intent")
    if intent:
        intents = entry["intents"]
        intents[intent] = intents.get(intent, 0) + sign
        if intents[intent] <= 0:
            del intents[intent]
    if entry["turns"] <= 0:
        del stats[turn["language"]]


def load_stats(stored: str | None) -> Stats:
    try:
        value = json.loads(stored or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def pack(stats: Stats, language: str) -> str:
    """The per-language counts to store; "" when every turn was in ``language`` (most
    conversations): the summary's own counts then say it all, and nothing is stored twice."""
    if set(stats) <= {language}:
        return ""
    return json.dumps(stats, sort_keys=True, separators=(",", ":"))


def unpack(stored: str | None, language: str, turns: int, fallbacks: int, intents: str) -> Stats:
    """The counts ``pack`` stored, with the summary's own columns for a one-language one."""
    if stored:
        return load_stats(stored)
    if not turns:
        return {}
    return {language: {"turns": turns, "fallbacks": fallbacks, "intents": json.loads(intents)}}


def used(stats: Stats, current: str) -> Tuple[str, ...]:
    """Languages with user turns, the conversation's own first, then in the known order."""
    others = [code for code in known() if code in stats and code != current]
    return (current, *others)
