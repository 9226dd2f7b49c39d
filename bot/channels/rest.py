"""The REST channel with input checks Rasa 3.6's ``RestInput`` lacks.

Rasa's own channel puts a request without ``sender`` into one shared conversation called
"default" (one visitor could read another's details), answers a JSON array with HTTP 500, and
logs the user's text when processing fails. This one answers 400 for anything that is not
``{"sender": "<id>", "message": "<text>"}``, passes empty text on as a polite fallback, cuts very
long text, and never logs what the user wrote. A sender with too many messages in flight or in
the last minute (``bot/channels/limits.py``) gets HTTP 429 with a ``Retry-After`` header; the
first of them carries the one "please wait" message, the rest an empty list.

A client may add ``"message_id"`` (1-64 letters, digits, ``_`` or ``-``, unique within its
conversation) and send the same message again with it when it got no answer (a server died, a
connection broke): a message already stored is not handled twice, its stored replies are sent
again (``retry-replay``, bot/rasa_patches/retry_replay.py, docs/deploy.md).

The conversation id is ``rest:<sender>``: a REST client chooses its own id, and without the prefix
it could pick a Telegram chat id or Messenger user id and write into that patient's conversation.
"""

from __future__ import annotations

import logging
from asyncio import CancelledError
from typing import Any, Awaitable, Callable, Optional

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.exceptions import InvalidUsage
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import settings
from bot.channels.limits import WINDOW_SECONDS, Verdict, VisitorLimits
from bot.channels.text import SERVICE_ERROR_TEXT, clean_user_text, is_valid_sender_id
from bot.i18n.hint import channel_metadata
from bot.serving import is_client_message_id

logger = logging.getLogger(__name__)


SENDER_PREFIX = "rest:"


def bad_request(reason: str) -> HTTPResponse:
    return response.json({"error": reason}, status=400)


class SafeRestInput(RestInput):
    """``POST /webhooks/rest/webhook`` with ``{"sender": ..., "message": ...}``."""

    def __init__(self, max_message_chars: Optional[int] = None) -> None:
        self.max_message_chars = max_message_chars or settings.load().max_message_chars
        self.limits = VisitorLimits.from_settings()

    @classmethod
    def from_credentials(cls, credentials: Optional[dict]) -> SafeRestInput:
        credentials = credentials or {}
        return cls(credentials.get("max_message_chars"))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                body = request.json
            except InvalidUsage:
                return bad_request("the body must be JSON")
            if not isinstance(body, dict):
                return bad_request('the body must be a JSON object {"sender": ..., "message": ...}')
            sender_id = body.get("sender")
            if not is_valid_sender_id(sender_id):
                return bad_request('"sender" must be 1-128 letters, digits or _.:@-')
            message = body.get("message")
            if not isinstance(message, str):
                return bad_request('"message" must be a string')
            message_id = body.get("message_id")
            if message_id is not None and not is_client_message_id(message_id):
                return bad_request('"message_id" must be 1-64 letters, digits, _ or -')
            collector = CollectingOutputChannel()
            conversation_id = SENDER_PREFIX + sender_id
            user_message = UserMessage(
                clean_user_text(message, self.max_message_chars),
                collector,
                conversation_id,
                input_channel=self.name(),
                metadata=channel_metadata(body.get("metadata")),
                message_id=message_id,
            )
            user_message.client_message_id = message_id  # the patch retry-replay

            async def handle() -> None:
                try:
                    await on_new_message(user_message)
                except (CancelledError, Exception) as error:  # the user's text is not logged
                    logger.error("rest message failed: %s", type(error).__name__)
                    if not collector.messages:
                        collector.messages.append(
                            {"recipient_id": sender_id, "text": SERVICE_ERROR_TEXT}
                        )

            async def notify(text: str) -> None:
                collector.messages.append({"recipient_id": sender_id, "text": text})

            verdict = await self.limits.run([conversation_id], handle, notify)
            if verdict is not Verdict.ACCEPT:
                return response.json(
                    collector.messages,
                    status=429,
                    headers={"Retry-After": str(int(WINDOW_SECONDS // 10))},
                )
            return response.json(collector.messages)

        return webhook

    @classmethod
    def name(cls) -> str:
        return "rest"
