"""The Telegram channel with the checks Rasa 3.6's ``TelegramInput`` lacks.

Rasa's channel accepts an update from anyone who finds the webhook URL (it has no support for
the ``X-Telegram-Bot-Api-Secret-Token`` header), asks Telegram ``getMe`` for every update,
answers HTTP 500 to updates that are not messages (``my_chat_member`` when a user blocks the
bot; Telegram then retries them), calls ``setWebhook`` while the app is being built (network
at start-up, and ``asyncio.run`` inside a running loop when the HTTP API asks for the output
channel), sends the domain's button payloads whatever their size (Telegram refuses
``callback_data`` over 64 bytes) and sends every paragraph as its own message.

This channel:

- answers 403 unless the request carries the secret token Telegram was given in
  ``setWebhook`` (compared in constant time),
- only passes on text messages and button presses from private chats (in a group every member
  would share one conversation, and so each other's details); anything else gets 200 and is
  dropped, so Telegram does not retry it,
- registers the webhook with the secret once the server runs, if ``TELEGRAM_WEBHOOK_URL`` is set,
- answers 200 at once and handles the update in the background (``bot/channels/delivery.py``):
  a redelivered ``update_id`` is handled once, the patient's message and the replies are saved
  before anything is sent, each Bot API call is retried on network errors, 5xx and 429, and
  replies that still fail are recorded in the conversation for staff,
- limits each chat to a few messages in flight and per minute (``bot/channels/limits.py``):
  the rest is dropped with one "please wait" reply (and 200, so Telegram does not resend it),
- cleans the text like the other channels, maps ``/start`` and ``/help`` to intents,
- sends buttons as an inline keyboard (payloads over 64 bytes go as a short token), splits
  answers over 4096 characters at paragraph or line breaks, never logs text or names,
- is off (404, no network) unless ``TELEGRAM_TOKEN`` and ``TELEGRAM_SECRET_TOKEN`` are set.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, List

import aiohttp
from aiogram import Bot
from aiogram.bot import api
from aiogram.bot.api import TelegramAPIServer, check_token
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.exceptions import ValidationError
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.telegram import TelegramInput, TelegramOutput
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import settings
from bot.channels.delivery import BackgroundHandler, Offer, PlatformError, RetryPolicy, with_retries
from bot.channels.limits import VisitorLimits
from bot.channels.messages import PayloadTokens, as_dict, button_choices, button_parts, split_text
from bot.channels.text import clean_user_text
from bot.channels.webhook import (
    current_agent,
    off_blueprint,
    refusal,
    webhook_blueprint,
)
from bot.constant_time import same_secret
from bot.i18n.hint import channel_metadata

logger = logging.getLogger(__name__)
# aiogram logs every request and response body (the patient's words) at DEBUG level, which
# `rasa run --debug` would write to the log.
logging.getLogger("aiogram").setLevel(logging.INFO)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
#: What Telegram accepts as a secret token.
SECRET_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
#: Telegram's limits: message text (UTF-16 units) and a button's callback_data (bytes).
MAX_TEXT = 4096
MAX_CALLBACK_DATA_BYTES = 64
#: The only update types the bot asks Telegram for (others are dropped anyway).
ALLOWED_UPDATES = ["message", "callback_query"]
#: Telegram's standard commands, as the intents the assistant has for them.
COMMANDS = {"start": "/greet", "help": "/ask_help"}


@dataclass(frozen=True)
class Incoming:
    """What the assistant needs from one update: whose chat, what text, which button press."""

    chat_id: str
    text: str
    callback_query_id: str | None = None
    #: Telegram's ``update_id``: the same for a redelivery of the update.
    update_id: str | None = None
    #: The user's app language (``from.language_code``, "de", "ru-RU"), a hint for ours.
    language_code: str | None = None


def language_code(sender: object) -> str | None:
    """``from.language_code`` of a message or button press, if it is a short string."""
    code = sender.get("language_code") if isinstance(sender, dict) else None
    return code if isinstance(code, str) and len(code) <= 16 else None


def private_chat_id(message: object) -> str | None:
    """The chat id of a message in a one-to-one chat with the bot, else ``None``."""
    chat = message.get("chat") if isinstance(message, dict) else None
    if isinstance(chat, dict) and chat.get("type") == "private" and isinstance(chat.get("id"), int):
        return str(chat["id"])
    return None


def command_as_intent(text: str) -> str:
    """``/start`` (also ``/start@SomeBot`` or ``/start <param>``) as the intent it stands for."""
    words = text.split(maxsplit=1)
    if words and words[0].startswith("/"):
        command = words[0][1:].split("@", 1)[0].lower()
        return COMMANDS.get(command, text)
    return text


def button_title(message: object, callback_data: str) -> str | None:
    """The title of the button in ``message``'s inline keyboard that sent ``callback_data``."""
    keyboard = as_dict(as_dict(message).get("reply_markup")).get("inline_keyboard")
    for row in keyboard if isinstance(keyboard, list) else []:
        for button in row if isinstance(row, list) else []:
            if isinstance(button, dict) and button.get("callback_data") == callback_data:
                title = button.get("text")
                return title if isinstance(title, str) else None
    return None


def parse_update(update: object, payloads: PayloadTokens) -> Incoming | None:
    """The private text message or button press in a Telegram ``Update``; ``None`` otherwise."""
    if not isinstance(update, dict):
        return None
    update_id = update.get("update_id")
    update_id = str(update_id) if isinstance(update_id, int) else None
    message = update.get("message")
    if isinstance(message, dict) and isinstance(message.get("text"), str):
        chat_id = private_chat_id(message)
        if chat_id is None:
            return None
        return Incoming(
            chat_id,
            command_as_intent(message["text"]),
            update_id=update_id,
            language_code=language_code(message.get("from")),
        )
    query = update.get("callback_query")
    if isinstance(query, dict) and isinstance(query.get("data"), str):
        message = query.get("message")
        chat_id = private_chat_id(message)
        if chat_id is None:
            return None
        data = query["data"]
        # An unknown token (the bot restarted since it sent the button): the title will do.
        text = payloads.decode(data) or button_title(message, data) or ""
        return Incoming(
            chat_id,
            text,
            str(query.get("id", "")) or None,
            update_id,
            language_code(query.get("from")),
        )
    return None


def retry_after(body: str) -> float | None:
    """``parameters.retry_after`` of a Bot API error answer (429: seconds to wait)."""
    try:
        value = as_dict(as_dict(json.loads(body)).get("parameters")).get("retry_after")
    except ValueError:
        return None
    return float(value) if isinstance(value, (int, float)) else None


class SafeTelegramOutput(TelegramOutput):
    """Sends answers within Telegram's limits, buttons as an inline keyboard, every Bot API
    call retried on network errors, 5xx and 429 (``bot/channels/delivery.py``)."""

    def __init__(
        self,
        access_token: str,
        payloads: PayloadTokens,
        api_url: str | None = None,
        policy: RetryPolicy | None = None,
    ) -> None:
        server = TelegramAPIServer.from_base(api_url or settings.load().telegram_api_url)
        Bot.__init__(self, access_token, server=server)
        self.payloads = payloads
        self.policy = policy or RetryPolicy.from_settings()
        self._token = access_token

    async def request(self, method: str, data: Any = None, files: Any = None, **_: Any) -> Any:
        """One Bot API call (aiogram's own has no retries and hides the HTTP status)."""
        url = self.server.api_url(token=self._token, method=method)

        async def attempt(timeout: float) -> Any:
            form = api.compose_data(data, files)  # a form can be posted once only
            async with self.session.post(
                url, data=form, timeout=aiohttp.ClientTimeout(total=timeout)
            ) as reply:
                body = await reply.text()
                if reply.status >= 300:  # retried on 5xx and 429 only (delivery.is_retryable)
                    raise PlatformError(reply.status, retry_after(body))
                return api.check_result(method, reply.content_type, reply.status, body)

        return await with_retries(attempt, self.policy, f"telegram {method}")

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        for part in split_text(text, MAX_TEXT):
            await self.send_message(recipient_id, part)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: List[Dict[str, Any]], **kwargs: Any
    ) -> None:
        parts = button_parts(text, MAX_TEXT)
        for part in parts[:-1]:
            await self.send_message(recipient_id, part)
        await self.send_message(recipient_id, parts[-1], reply_markup=self.keyboard(buttons))

    def keyboard(self, buttons: List[Dict[str, Any]]) -> InlineKeyboardMarkup | None:
        """One button per row (titles stay readable on a phone); ``None`` if none is usable."""
        markup = InlineKeyboardMarkup()
        for title, payload in button_choices(buttons):
            data = self.payloads.encode(payload, MAX_CALLBACK_DATA_BYTES)
            markup.row(InlineKeyboardButton(title, callback_data=data))
        return markup if markup.inline_keyboard else None


class SecureTelegramInput(TelegramInput):
    """``POST /webhooks/telegram/webhook``: Telegram ``Update`` objects, checked and filtered."""

    def __init__(
        self,
        access_token: str = "",
        secret_token: str = "",
        webhook_url: str = "",
        max_message_chars: int | None = None,
    ) -> None:
        super().__init__(access_token, None, webhook_url, debug_mode=False)
        self.secret_token = secret_token
        self.max_message_chars = max_message_chars or settings.load().max_message_chars
        self.payloads = PayloadTokens()
        self.limits = VisitorLimits.from_settings()
        self.background = BackgroundHandler(self.name(), self.limits)
        self.enabled = self._check_settings()
        self._output: SafeTelegramOutput | None = None
        self._webhook_task: asyncio.Task | None = None

    @classmethod
    def from_credentials(cls, credentials: Dict[str, Any] | None) -> SecureTelegramInput:
        """Settings from credentials.yml if it gives them, else from the environment."""
        credentials = credentials or {}
        config = settings.load()
        return cls(
            access_token=credentials.get("access_token") or config.telegram_token,
            secret_token=credentials.get("secret_token") or config.telegram_secret_token,
            webhook_url=credentials.get("webhook_url") or config.telegram_webhook_url,
            max_message_chars=credentials.get("max_message_chars"),
        )

    def _check_settings(self) -> bool:
        """Whether the channel can run; says why not (names only, never values) if it cannot."""
        if not self.access_token and not self.secret_token:
            logger.info("telegram channel off: TELEGRAM_TOKEN and TELEGRAM_SECRET_TOKEN not set")
            return False
        problems = []
        try:
            check_token(self.access_token)
        except ValidationError:
            problems.append("TELEGRAM_TOKEN is missing or not a bot token")
        if not SECRET_TOKEN_RE.fullmatch(self.secret_token or ""):
            problems.append("TELEGRAM_SECRET_TOKEN is missing or not 1-256 of A-Z a-z 0-9 _ -")
        if self.webhook_url and not self.webhook_url.startswith("https://"):
            problems.append("TELEGRAM_WEBHOOK_URL must start with https://")
        if problems:
            logger.warning("telegram channel off: %s", "; ".join(problems))
        return not problems

    def is_from_telegram(self, header: str | None) -> bool:
        """Whether the request carries our secret token (constant-time comparison)."""
        return same_secret(header, self.secret_token)

    def get_output_channel(self) -> SafeTelegramOutput | None:
        """The bot (no network call); ``None`` when off, so Rasa's HTTP API collects instead."""
        if not self.enabled:
            return None
        if self._output is None:
            self._output = SafeTelegramOutput(self.access_token, self.payloads)
        return self._output

    async def register_webhook(self) -> bool:
        """Tell Telegram where to post, with the secret it must send back."""
        output = self.get_output_channel()
        try:
            assert output is not None, "only an enabled channel registers its webhook"
            await output.request(
                "setWebhook",
                {
                    "url": self.webhook_url,
                    "secret_token": self.secret_token,
                    "allowed_updates": json.dumps(ALLOWED_UPDATES),
                },
            )
        except Exception as error:  # network or API error: the previous webhook may still work
            logger.warning("telegram setWebhook failed: %s", type(error).__name__)
            return False
        logger.info("telegram webhook registered")
        return True

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        if not self.enabled:
            return off_blueprint(self.name())
        output = self.get_output_channel()
        assert output is not None  # an enabled channel has its bot
        # aiogram makes a new session when the old one is closed: looked up when the server stops.
        webhook = webhook_blueprint(self.name(), self.background, lambda: output.session.close())

        @webhook.listener("after_server_start")
        async def start(_app: Sanic, _loop: Any) -> None:
            if self.webhook_url:  # in the background: the server must not wait for Telegram
                self._webhook_task = asyncio.get_running_loop().create_task(self.register_webhook())

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            refused = refusal(request, self.is_from_telegram(request.headers.get(SECRET_HEADER)))
            if refused is not None:
                return refused
            incoming = parse_update(request.json, self.payloads)
            if incoming is None:
                return response.json({"status": "ignored"})
            query_id = incoming.callback_query_id

            async def stop_spinner() -> None:  # on the pressed button
                await output.answer_callback_query(query_id)

            message = UserMessage(
                clean_user_text(incoming.text, self.max_message_chars),
                output,
                incoming.chat_id,
                input_channel=self.name(),
                metadata=channel_metadata({"language": incoming.language_code}),
            )
            offer = self.background.offer(
                incoming.update_id,
                message,
                current_agent(request),
                on_new_message,
                output,
                before=stop_spinner if query_id else None,
            )
            if offer is Offer.FULL:  # Telegram delivers it again later
                return response.json({"error": "busy"}, status=503)
            return response.json({"status": "ok"})

        return webhook
