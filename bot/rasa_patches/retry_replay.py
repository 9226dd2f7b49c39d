"""Answer a retried message from the stored conversation instead of handling it twice.

A client whose server died (or whose connection broke) does not know whether its message was
handled: the server may have stored the turn and died before the reply left. Sending it again
with the same ``message_id`` (the REST channel passes it on as ``client_message_id``,
bot/channels/rest.py) is safe: under the conversation's lock (Rasa's lock store, shared by
every server), a message whose id is already in the stored conversation is not handled again;
the bot messages that followed it are sent once more. A message that was not stored is handled
as new, and the request it may complete is stored once (``save_request`` is keyed by sender and
consent time). Only messages that carry a client's id pay for the extra look-up (docs/deploy.md).
"""

from __future__ import annotations

import functools
import logging
from typing import Any, List, Optional

from bot.rasa_patches.registry import Patching

logger = logging.getLogger(__name__)


def replies_to(events: List[Any], message_id: str) -> Optional[List[Any]]:
    """The ``BotUttered`` events that answered the user message ``message_id``.

    ``None`` when no user event of ``events`` has that id (the message was never stored).
    """
    from rasa.shared.core.events import BotUttered, UserUttered

    replies: Optional[List[Any]] = None
    for event in events:
        if isinstance(event, UserUttered):
            if replies is not None:
                break
            if event.message_id == message_id:
                replies = []
        elif replies is not None and isinstance(event, BotUttered):
            replies.append(event)
    return replies


def install(patching: Patching) -> None:
    from rasa.core.processor import MessageProcessor

    handle = MessageProcessor.handle_message

    @functools.wraps(handle)
    async def handle_message_once(self: Any, message: Any) -> Any:
        client_id = getattr(message, "client_message_id", None)
        if client_id:
            tracker = await self.tracker_store.retrieve(message.sender_id)
            replies = replies_to(list(tracker.events), client_id) if tracker else None
            if replies is not None:
                logger.info("retried message answered from the stored conversation")
                for event in replies:
                    await message.output_channel.send_response(message.sender_id, event.message())
                messages = getattr(message.output_channel, "messages", None)
                return messages if isinstance(messages, list) else None
        return await handle(self, message)

    patching.replace(MessageProcessor, "handle_message", handle_message_once)
