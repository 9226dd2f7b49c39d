"""Comparing a secret with what a request brought, in constant time, whatever it brought.

``hmac.compare_digest`` on two ``str`` raises ``TypeError`` when either holds a non-ASCII
character, and a request can bring any text (a crafted CSRF form field, a webhook header that
Sanic decoded with ``surrogateescape``): the check would end in a 500 instead of a refusal.
Both sides are compared as UTF-8 bytes instead (``surrogatepass``: lone surrogates too).
Used by the staff console's CSRF and login checks and by the messenger webhooks.
"""

from __future__ import annotations

import hmac
from typing import Optional


def same_secret(given: object, expected: Optional[str]) -> bool:
    """Whether ``given`` is the non-empty secret ``expected``; anything but a ``str`` (a
    missing value, an uploaded file) is not."""
    if not expected or not isinstance(given, str) or not given:
        return False
    return hmac.compare_digest(
        given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass")
    )
