"""The Facebook Messenger channel with the checks Rasa 3.6's ``FacebookInput`` lacks.

Rasa's channel only reads the legacy ``X-Hub-Signature`` header (SHA-1) and ignores
``X-Hub-Signature-256``, takes the hash function from the header itself (so ``md5=`` is
accepted), compares with ``==``, and answers 200 to a request with a bad signature. It handles
only the first event of a batch, passes attachment URLs (a patient's photographed records) on as
text, sends buttons as a template that allows at most three (more: buttons dropped), sends every
paragraph as its own message without Messenger's 2000-character limit, sends with blocking
``requests`` calls on the server's event loop, and handles the whole batch before it answers
(50 events took 15 s; Meta delivers again when the answer is slow).

This channel:

- answers 403 unless ``X-Hub-Signature-256`` is ``sha256=`` + the HMAC-SHA256 of the raw body
  with the app secret (constant-time comparison, no SHA-1 or MD5 fallback),
- keeps the ``GET`` verify-token handshake (constant-time comparison, 403 on a wrong token),
- passes on every text message, quick reply and postback of a batch, cleaned like the other
  channels; echoes, receipts, reactions and attachments are dropped,
- answers 200 at once and handles the events in the background (``bot/channels/delivery.py``):
  a redelivered message (same ``mid``) is handled once, the patient's message and the replies
  are saved before anything is sent, each Send API call is retried on network errors, 5xx and
  429, and replies that still fail are recorded in the conversation for staff,
- limits each sender to a few messages in flight and per minute (``bot/channels/limits.py``):
  the rest is dropped with one "please wait" reply,
- sends buttons as quick replies (at most 13, titles cut to 20 characters, payloads over 1000
  bytes as a short token) and splits answers over 2000 characters at paragraph or line breaks,
  with aiohttp (Rasa's ``requests`` calls blocked the event loop),
- is off (404, no network) unless ``FACEBOOK_VERIFY_TOKEN``, ``FACEBOOK_APP_SECRET`` and
  ``FACEBOOK_PAGE_ACCESS_TOKEN`` are set.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Any, Awaitable, Callable, Dict, Iterator, List, Tuple

import aiohttp
from fbmessenger import MessengerClient
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.facebook import FacebookInput, MessengerBot
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import settings
from bot.channels.delivery import BackgroundHandler, Offer, PlatformError, RetryPolicy, with_retries
from bot.channels.limits import VisitorLimits
from bot.channels.messages import (
    PayloadTokens,
    as_dict,
    button_choices,
    button_parts,
    shorten,
    split_text,
)
from bot.channels.text import clean_user_text, is_valid_sender_id
from bot.channels.webhook import (
    current_agent,
    off_blueprint,
    refusal,
    webhook_blueprint,
)
from bot.constant_time import same_secret

logger = logging.getLogger(__name__)
# fbmessenger puts the page access token in the URL, which urllib3 logs at DEBUG level.
logging.getLogger("urllib3.connectionpool").setLevel(logging.INFO)

SIGNATURE_HEADER = "X-Hub-Signature-256"
SIGNATURE_PREFIX = "sha256="
#: Messenger's limits: text (UTF-16 units), quick replies per message, title and payload size.
MAX_TEXT = 2000
MAX_QUICK_REPLIES = 13
MAX_QUICK_REPLY_TITLE = 20
MAX_PAYLOAD_BYTES = 1000


def signature_of(app_secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value Meta sends with ``body``."""
    digest = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def messaging_events(body: object) -> Iterator[Dict[str, Any]]:
    """Every messaging event of a Page webhook delivery (Meta batches several)."""
    if not isinstance(body, dict) or body.get("object") != "page":
        return
    entries = body.get("entry")
    for entry in entries if isinstance(entries, list) else []:
        events = as_dict(entry).get("messaging")
        for event in events if isinstance(events, list) else []:
            if isinstance(event, dict):
                yield event


def string(value: object) -> str:
    """``value`` if it is a string, else ``""`` (which the text cleaning turns into a fallback)."""
    return value if isinstance(value, str) else ""


def event_id(event: Dict[str, Any]) -> str | None:
    """The message id (``mid``) of a message or postback: the same when Meta delivers again."""
    for part in ("message", "postback"):
        mid = as_dict(event.get(part)).get("mid")
        if isinstance(mid, str) and mid:
            return mid
    return None


def error_code(body: object) -> object:
    """The Graph API's error code in an error answer (never its message, which may quote)."""
    code = as_dict(as_dict(body).get("error")).get("code")
    return code if isinstance(code, int) else None


def event_text(event: Dict[str, Any], payloads: PayloadTokens) -> Tuple[str, str] | None:
    """(sender id, text) of a text message, quick reply or postback; ``None`` for the rest."""
    sender_id = as_dict(event.get("sender")).get("id")
    if not is_valid_sender_id(sender_id):
        return None
    message = event.get("message")
    if isinstance(message, dict) and not message.get("is_echo"):
        payload = as_dict(message.get("quick_reply")).get("payload")
        if isinstance(payload, str):
            # Messenger sends the tapped title as the text: enough for an unknown token.
            return sender_id, payloads.decode(payload) or string(message.get("text"))
        if isinstance(message.get("text"), str):
            return sender_id, message["text"]
        return None
    postback = event.get("postback")
    if isinstance(postback, dict) and isinstance(postback.get("payload"), str):
        return sender_id, payloads.decode(postback["payload"]) or string(postback.get("title"))
    return None


class SafeMessengerBot(MessengerBot):
    """Sends answers within Messenger's limits, buttons as quick replies, with aiohttp, every
    Send API call retried on network errors, 5xx and 429 (``bot/channels/delivery.py``)."""

    def __init__(
        self,
        messenger_client: MessengerClient,
        payloads: PayloadTokens,
        policy: RetryPolicy | None = None,
    ) -> None:
        super().__init__(messenger_client)
        self.payloads = payloads
        self.policy = policy or RetryPolicy.from_settings()
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        """One connection pool, made in the server's event loop on first use."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def post(self, recipient_id: str, message: Any) -> None:
        """One Send API call (the body fbmessenger's ``send`` makes), retried."""
        client = self.messenger_client
        body = {
            "messaging_type": "RESPONSE",
            "notification_type": "REGULAR",
            "recipient": {"id": recipient_id},
            "message": message,
        }

        async def attempt(timeout: float) -> None:
            async with self.session().post(
                f"{client.graph_url}/me/messages",
                params=client.auth_args,
                json=body,
                timeout=aiohttp.ClientTimeout(total=timeout),
            ) as reply:
                if reply.status < 300:
                    return
                try:
                    answer = await reply.json(content_type=None)
                except ValueError:
                    answer = None
                wait = reply.headers.get("Retry-After", "")
                retry_after = float(wait) if wait.isdigit() else None
                raise PlatformError(reply.status, retry_after, error_code(answer))

        await with_retries(attempt, self.policy, "facebook send")

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        for part in split_text(text, MAX_TEXT):
            await self.post(recipient_id, {"text": part})

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        attachment = {"type": "image", "payload": {"url": image, "is_reusable": True}}
        await self.post(recipient_id, {"attachment": attachment})

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: List[Dict[str, Any]], **kwargs: Any
    ) -> None:
        parts = button_parts(text, MAX_TEXT)
        for part in parts[:-1]:
            await self.post(recipient_id, {"text": part})
        last: Dict[str, Any] = {"text": parts[-1]}
        quick_replies = self.quick_replies(buttons)
        if quick_replies:
            last["quick_replies"] = quick_replies
        await self.post(recipient_id, last)

    async def send_elements(self, recipient_id: str, elements: Any, **kwargs: Any) -> None:
        for element in elements:
            if "buttons" in element:
                self._add_postback_info(element["buttons"])
        payload = {"template_type": "generic", "elements": elements}
        await self.post(recipient_id, {"attachment": {"type": "template", "payload": payload}})

    async def send_custom_json(self, recipient_id: str, json_message: Any, **kwargs: Any) -> None:
        first = json_message[0] if isinstance(json_message, list) and json_message else json_message
        if isinstance(first, dict) and isinstance(first.get("sender"), dict):
            recipient_id = first.pop("sender").get("id", recipient_id)
        await self.post(recipient_id, json_message)

    async def send_quick_replies(
        self, recipient_id: str, text: str, quick_replies: List[Dict[str, Any]], **kwargs: Any
    ) -> None:
        await self.send_text_with_buttons(recipient_id, text, quick_replies, **kwargs)

    def quick_replies(self, buttons: List[Dict[str, Any]]) -> List[Dict[str, str]]:
        """Messenger quick replies for Rasa buttons, within Messenger's limits."""
        replies = [
            {
                "content_type": "text",
                "title": shorten(title, MAX_QUICK_REPLY_TITLE),
                "payload": self.payloads.encode(payload, MAX_PAYLOAD_BYTES),
            }
            for title, payload in button_choices(buttons)
        ]
        if len(replies) > MAX_QUICK_REPLIES:
            logger.warning(
                "facebook: %d buttons, only the first %d sent", len(replies), MAX_QUICK_REPLIES
            )
        return replies[:MAX_QUICK_REPLIES]


class SecureFacebookInput(FacebookInput):
    """``/webhooks/facebook/webhook``: GET for Meta's handshake, POST for signed deliveries."""

    def __init__(
        self,
        fb_verify: str = "",
        fb_secret: str = "",
        fb_access_token: str = "",
        api_version: str | None = None,
        max_message_chars: int | None = None,
    ) -> None:
        super().__init__(fb_verify, fb_secret, fb_access_token)
        config = settings.load()
        self.api_version = api_version or config.facebook_api_version
        self.max_message_chars = max_message_chars or config.max_message_chars
        self.graph_url = config.facebook_graph_url
        self.payloads = PayloadTokens()
        self.limits = VisitorLimits.from_settings()
        self.background = BackgroundHandler(self.name(), self.limits)
        self._output: SafeMessengerBot | None = None
        missing = [
            name
            for name, value in (
                ("FACEBOOK_VERIFY_TOKEN", fb_verify),
                ("FACEBOOK_APP_SECRET", fb_secret),
                ("FACEBOOK_PAGE_ACCESS_TOKEN", fb_access_token),
            )
            if not value
        ]
        self.enabled = not missing
        if missing:
            log = logger.info if len(missing) == 3 else logger.warning
            log("facebook channel off: %s not set", ", ".join(missing))

    @classmethod
    def from_credentials(cls, credentials: Dict[str, Any] | None) -> SecureFacebookInput:
        """Settings from credentials.yml if it gives them, else from the environment."""
        credentials = credentials or {}
        config = settings.load()
        return cls(
            fb_verify=credentials.get("verify") or config.facebook_verify_token,
            fb_secret=credentials.get("secret") or config.facebook_app_secret,
            fb_access_token=credentials.get("page-access-token")
            or config.facebook_page_access_token,
            max_message_chars=credentials.get("max_message_chars"),
        )

    @staticmethod
    def validate_hub_signature(
        app_secret: str, request_payload: bytes, hub_signature_header: str
    ) -> bool:
        """Whether ``hub_signature_header`` is the body's ``sha256=`` HMAC; nothing else passes."""
        return bool(hub_signature_header) and same_secret(
            hub_signature_header, signature_of(app_secret, request_payload)
        )

    def get_output_channel(self) -> SafeMessengerBot | None:
        """The Send API client (appsecret_proof on every call); ``None`` when off. One per
        channel, so Rasa's HTTP API asking for it again opens no new connection pool."""
        if not self.enabled:
            return None
        if self._output is None:
            client = MessengerClient(
                self.fb_access_token, app_secret=self.fb_secret, api_version=self.api_version
            )
            client.graph_url = f"{self.graph_url}/v{self.api_version}"
            self._output = SafeMessengerBot(client, self.payloads)
        return self._output

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        if not self.enabled:
            return off_blueprint(self.name())
        output = self.get_output_channel()
        assert output is not None  # an enabled channel has its Send API client
        webhook = webhook_blueprint(self.name(), self.background, output.close)

        @webhook.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            token = request.args.get("hub.verify_token")
            if request.args.get("hub.mode") == "subscribe" and same_secret(token, self.fb_verify):
                return response.text(request.args.get("hub.challenge") or "")
            logger.warning("facebook webhook verification with a wrong verify token")
            return response.text("forbidden", status=403)

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            signature = request.headers.get(SIGNATURE_HEADER) or ""
            authentic = self.validate_hub_signature(self.fb_secret, request.body, signature)
            refused = refusal(request, authentic)
            if refused is not None:
                return refused
            body = request.json
            metadata = self.get_metadata(request)
            agent = current_agent(request)
            for event in messaging_events(body):
                found = event_text(event, self.payloads)
                if found is None:
                    continue
                sender_id, text = found
                message = UserMessage(
                    clean_user_text(text, self.max_message_chars),
                    output,
                    sender_id,
                    input_channel=self.name(),
                    metadata=metadata,
                )
                offer = self.background.offer(
                    event_id(event),
                    message,
                    agent,
                    on_new_message,
                    output,
                )
                if offer is Offer.FULL:  # Meta delivers the batch again; taken events are skipped
                    return response.json({"error": "busy"}, status=503)
            return response.text("EVENT_RECEIVED")

        return webhook
