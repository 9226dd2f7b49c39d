"""What every channel does to a user's text before the assistant sees it."""

from __future__ import annotations

import re
import unicodedata
from typing import TypeGuard

#: Sent instead of an empty message: the assistant answers it with its polite "not understood".
EMPTY_MESSAGE_PAYLOAD = "/nlu_fallback"
#: Said when the assistant itself failed, so a patient is never left without an answer.
SERVICE_ERROR_TEXT = "Sorry, something went wrong on our side. Please try again in a moment."
CONTROL_CHARS_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: UTF-16 surrogates: JSON may carry a lone one ("\\ud800"), which is no character at all and
#: breaks every encoder after it (the NLU, the tracker store). A valid pair arrives as one
#: character already, so any surrogate left in a ``str`` is a lone one.
SURROGATES_RE = re.compile("[\ud800-\udfff]")
SENDER_ID_RE = re.compile(r"[A-Za-z0-9_.:@\-]{1,128}")
#: Rasa's typed ``/back`` (its default intent ``back``: ``action_back`` rewinds the last two user
#: turns and says nothing unless the domain has ``utter_back``) left the visitor without any
#: reply (bench/adversarial.py). No widget or messenger button sends it, so it is answered as
#: not understood.
REWIND_PAYLOAD_RE = re.compile(r"/back(\{.*\})?(@[^@]*)?", re.DOTALL)


def clean_user_text(text: str, max_chars: int) -> str:
    """Normalise, drop control characters and lone surrogates, cut to ``max_chars``.

    Empty text becomes a fallback payload.
    """
    text = SURROGATES_RE.sub("", text)
    cleaned = CONTROL_CHARS_RE.sub("", unicodedata.normalize("NFC", text)).strip()
    if not cleaned or REWIND_PAYLOAD_RE.fullmatch(cleaned):
        return EMPTY_MESSAGE_PAYLOAD
    return cleaned[:max_chars]


def is_valid_sender_id(sender_id: object) -> TypeGuard[str]:
    """A sender id a client may choose: 1-128 characters of a safe set (no spaces, no slashes)."""
    return isinstance(sender_id, str) and SENDER_ID_RE.fullmatch(sender_id) is not None
