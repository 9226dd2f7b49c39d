"""Tell the language of every message before Rasa starts a session for it.

Rasa starts a session (the disclaimer) before it parses the message that started it, so the
first reply cannot know the ``language`` slot yet. ``MessageProcessor.handle_message`` now first
adds the language the text is written in to the message's metadata
(:func:`bot.i18n.hint.annotate`), whatever the channel; the NLG and the session start read it.
"""

from __future__ import annotations

import functools
from typing import Any

from bot.rasa_patches.registry import Patching


def install(patching: Patching) -> None:
    from rasa.core.processor import MessageProcessor

    from bot.i18n import hint

    handle_message = MessageProcessor.handle_message

    @functools.wraps(handle_message)
    async def handle_message_annotated(self: Any, message: Any) -> Any:
        hint.annotate(message)
        return await handle_message(self, message)

    patching.replace(MessageProcessor, "handle_message", handle_message_annotated)
