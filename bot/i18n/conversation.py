"""The language of one conversation, for the response generator and the actions alike.

No Rasa imports: the action server (rasa_sdk) uses it too.
"""

from __future__ import annotations

from typing import Any

from bot.i18n import hint, locales

LANGUAGE_SLOT = "language"
#: Rasa's slot with the first message's metadata, set before ``action_session_start`` runs.
SESSION_METADATA_SLOT = "session_started_metadata"


def conversation_language(tracker: Any) -> str:
    """The ``language`` slot; before it is set (the session's first reply) the language the
    first message's metadata names (bot/i18n/hint.py); else English. Works on Rasa's and the
    SDK's trackers alike."""
    if tracker is None:
        return locales.DEFAULT_LANGUAGE
    value = tracker.get_slot(LANGUAGE_SLOT)
    if locales.supported(value):
        return value
    return hint.from_metadata(tracker.get_slot(SESSION_METADATA_SLOT)) or locales.DEFAULT_LANGUAGE
