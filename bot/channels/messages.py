"""What the messenger channels (Telegram, Facebook) share: size limits, button payloads.

Delivery (background handling, retries, failure records) is in ``bot/channels/delivery.py``,
the webhook's checks and common routes in ``bot/channels/webhook.py``.

Messenger platforms reject a message that is too long and a button payload that is too big,
and each does it at its own limit. Rasa 3.6's channels send whatever the domain holds (and split
on every blank line instead), so a long answer or a long payload fails at the platform and the
patient sees nothing. The helpers here cut text on paragraph and line boundaries and swap a
payload that does not fit for a short token the channel can map back.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections import OrderedDict
from typing import Any, Dict, List, Tuple

logger = logging.getLogger(__name__)

#: Marks a payload token; a real payload that starts with it is tokenised too, so never confused.
TOKEN_PREFIX = "~p:"
#: How many long payloads a channel remembers (the domain has a few dozen buttons).
MAX_REMEMBERED_PAYLOADS = 1024
#: Paragraphs first, then lines, then words: the largest unit that fits is kept whole.
SEPARATORS = ("\n\n", "\n", " ")
#: Text for an answer that has buttons but no words (the platforms refuse empty text).
BUTTONS_ONLY_TEXT = "Please choose:"


def as_dict(value: object) -> Dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one (webhook bodies are untrusted)."""
    return value if isinstance(value, dict) else {}


def utf16_len(text: str) -> int:
    """Length as the platforms count it (UTF-16 code units: an emoji counts twice)."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int) -> List[str]:
    """Cut ``text`` into stripped, non-empty parts of at most ``limit`` UTF-16 units each.

    Cuts at the last paragraph break that keeps a part within the limit, else at a line break,
    else between words, else (one huge word) anywhere but inside a character.
    """
    text = text.strip()
    parts: List[str] = []
    while utf16_len(text) > limit:
        head = _longest_prefix(text, limit)
        cut = next(
            (
                position
                for separator in SEPARATORS
                if (position := head.rfind(separator)) > 0 and head[:position].strip()
            ),
            len(head) or 1,
        )
        parts.append(text[:cut].strip())
        text = text[cut:].strip()
    if text:
        parts.append(text)
    return parts


def _longest_prefix(text: str, limit: int) -> str:
    """The longest start of ``text`` within ``limit`` UTF-16 units (whole characters only)."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return text[:index]
    return text


def button_parts(text: str, limit: int) -> List[str]:
    """``text`` split for a message with buttons: never empty, the buttons go with the last part."""
    return split_text(text, limit) or [BUTTONS_ONLY_TEXT]


def button_choices(buttons: List[Dict[str, Any]]) -> List[Tuple[str, str]]:
    """(title, payload) of each Rasa button with a title (no payload: the title is sent)."""
    choices = []
    for button in buttons:
        title = str(button.get("title") or "").strip() if isinstance(button, dict) else ""
        if title:
            choices.append((title, str(button.get("payload") or title)))
    return choices


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending in an ellipsis when something was cut."""
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


class PayloadTokens:
    """Swaps button payloads too big for a platform for short tokens, and maps them back.

    A token is a hash of the payload, so the same button always gets the same token. The
    mapping lives in memory: after a restart (or in another worker) an old token is unknown,
    and the channel falls back to the button's title, which the NLU understands.
    """

    def __init__(self, max_remembered: int = MAX_REMEMBERED_PAYLOADS) -> None:
        self.max_remembered = max_remembered
        self._payloads: OrderedDict[str, str] = OrderedDict()

    def encode(self, payload: str, max_bytes: int) -> str:
        """``payload`` itself when it fits in ``max_bytes`` of UTF-8, else a token for it."""
        if len(payload.encode()) <= max_bytes and not payload.startswith(TOKEN_PREFIX):
            return payload
        digest = hashlib.sha256(payload.encode()).digest()
        token = TOKEN_PREFIX + base64.urlsafe_b64encode(digest[:18]).decode()
        self._payloads[token] = payload
        self._payloads.move_to_end(token)
        while len(self._payloads) > self.max_remembered:
            self._payloads.popitem(last=False)
        return token

    def decode(self, data: str) -> str | None:
        """The payload ``data`` stands for; ``None`` for a token this process does not know."""
        if not data.startswith(TOKEN_PREFIX):
            return data
        return self._payloads.get(data)
