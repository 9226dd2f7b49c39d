"""The language of a conversation's first reply, before the NLU has seen the message.

Rasa starts a session (``action_session_start``: the disclaimer) before it parses the message
that started it, so the ``language`` slot is still empty when the first text is chosen. Each
channel may say which language it expects (``metadata.language``: the web page's
``<html lang>``, Telegram's ``language_code``). :func:`annotate` (called for every message by
the patch ``language-hint``, bot/rasa_patches/language_hint.py) adds what the message itself
says (``metadata.language_detected``), told as the NLU tells it (bot/i18n/detect.py, with the
served model's classifier), before the session starts; the NLG (bot/i18n/nlg.py) and the
session start prefer it to the channel's.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional

from bot.i18n import detect, locales

CHANNEL_KEY = "language"
DETECTED_KEY = "language_detected"


def channel_metadata(payload: Any) -> Optional[Dict[str, str]]:
    """``{"language": code}`` from a client's untrusted ``metadata`` when it names a language
    we speak; anything else a client sends is dropped, not stored."""
    if isinstance(payload, Mapping):
        value = payload.get(CHANNEL_KEY)
        if isinstance(value, str) and len(value) <= 16:
            code = value.strip().lower().replace("_", "-").split("-")[0]
            if locales.supported(code):
                return {CHANNEL_KEY: code}
    return None


def from_metadata(metadata: Any) -> Optional[str]:
    """The language a message's metadata names: detected first, then the channel's."""
    if not isinstance(metadata, Mapping):
        return None
    for key in (DETECTED_KEY, CHANNEL_KEY):
        value = metadata.get(key)
        if isinstance(value, str) and value.strip():
            code = locales.normalise(value)
            if code != locales.DEFAULT_LANGUAGE or value.lower().startswith("en"):
                return code
    return None


def annotate(message: Any) -> None:
    """Add ``language_detected`` to a ``UserMessage``'s metadata when its text tells."""
    text = getattr(message, "text", None)
    if not isinstance(text, str) or text.startswith("/"):
        return
    code = detect.detect(text, detect.served())
    if not code:
        return
    metadata = message.metadata if isinstance(message.metadata, dict) else {}
    metadata[DETECTED_KEY] = code
    message.metadata = metadata
