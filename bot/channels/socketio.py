"""The socket.io channel for the website widget, with the checks Rasa 3.6's channel lacks.

Rasa's ``SocketIOInput`` builds its server with ``cors_allowed_origins=[]``, which tells
python-engineio to skip its origin check entirely: any web page could open a WebSocket to the
assistant (browsers apply no CORS to WebSockets) and chat in a visitor's name, whatever
``rasa run --cors`` says. It also trusts whatever ``session_id`` a message names (so one socket
could write into, and have answers broadcast to, another visitor's conversation), accepts any
value as a session id (including another channel's sender id), stores client metadata as is,
and calls ``enter_room`` without awaiting it, which loses every reply with python-socketio
>= 5.10 (rasa#13027).

This channel:

- refuses a connection whose ``Origin`` header is not in ``CORS_ORIGINS`` (the same list the
  Rasa server's ``--cors`` gets; a request without ``Origin`` is not from a browser page and is
  let through, as python-engineio does),
- hands out a session *token*, ``<conversation id>.<signature>``: the conversation id is a new
  ``uuid4().hex`` (the tracker's sender id, which staff pages, exports and logs show), the
  signature an HMAC-SHA256 of it with a server key (``SOCKETIO_SESSION_SECRET``, else
  ``var/socketio-session.key``, 0600). The widget keeps the token in ``localStorage`` and sends
  it back after a reload, which continues the conversation; a conversation id alone, a made-up
  id or a token with a wrong signature gets a new conversation. So only the browser that was
  given the token can resume (and receive the replies of) its conversation,
- remembers the token confirmed for each socket, so a message can only go into that socket's
  own conversation,
- limits each conversation and each socket to a few messages in flight and per minute
  (``bot/channels/limits.py``); the rest is dropped with one "please wait" reply,
- cleans the text like the REST channel (``clean_user_text``), ignores client metadata,
- awaits ``enter_room`` when the installed python-socketio makes it a coroutine,
- answers with a polite error instead of silence when the assistant fails, never logging text,
- lets a websocket close quietly: python-engineio's Sanic route returns nothing once a websocket
  it upgraded ends, which Sanic logged as an error with a traceback ("Invalid response type
  None") for every closed chat. The route is marked as a websocket handler, for which Sanic
  expects no response; polling requests still return theirs.
"""

from __future__ import annotations

import hashlib
import hmac
import inspect
import logging
import re
import uuid
from asyncio import CancelledError
from typing import Any, Awaitable, Callable, Dict, List, Optional

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer
from socketio.exceptions import ConnectionRefusedError

from bot import settings
from bot.channels.limits import VisitorLimits
from bot.channels.text import SERVICE_ERROR_TEXT, clean_user_text
from bot.i18n.hint import channel_metadata

logger = logging.getLogger(__name__)

#: The form of the conversation ids this channel hands out (``uuid4().hex``): unguessable, and
#: never the id of a conversation from another channel.
SESSION_ID_RE = re.compile(r"[0-9a-f]{32}")
#: A session token: the conversation id, a dot, and its signature (128 bits of HMAC-SHA256).
SESSION_TOKEN_RE = re.compile(r"([0-9a-f]{32})\.([0-9a-f]{32})")
#: Largest socket.io packet accepted; a chat message never needs more (python-engineio: 1 MB).
MAX_PACKET_BYTES = 64 * 1024


def is_allowed_origin(origin: Optional[str], allowed: List[str]) -> bool:
    """Whether a browser page from ``origin`` may use the chat (no ``Origin``: not a browser)."""
    if not origin:
        return True
    return "*" in allowed or origin.rstrip("/") in allowed


async def _maybe_await(result: Any) -> None:
    if inspect.isawaitable(result):
        await result


class QuietSocketBlueprint(SocketBlueprint):
    """Rasa's ``SocketBlueprint``, with the engine.io route marked as a websocket handler."""

    def register(self, app: Sanic, options: Dict[str, Any]) -> None:
        engineio_server = self.ctx.sio.eio

        async def engineio_route(request: Request) -> Optional[HTTPResponse]:
            # None after a websocket closed (nothing left to send); a response for polling.
            return await engineio_server.handle_request(request)

        # Sanic checks the handler for this attribute: a websocket handler returns no response.
        engineio_route.is_websocket = True  # type: ignore[attr-defined]
        path = "/{}/".format(self.ctx.socketio_path.strip("/"))
        app.add_route(engineio_route, path, methods=["GET", "POST", "OPTIONS"])
        app.enable_websocket()
        Blueprint.register(self, app, options)


class SessionTokens:
    """Issues and checks signed session tokens (``<conversation id>.<signature>``)."""

    def __init__(self, secret: str) -> None:
        self._key = secret.encode()

    def _signature(self, conversation_id: str) -> str:
        message = b"socketio-session:" + conversation_id.encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:32]

    def issue(self) -> str:
        conversation_id = uuid.uuid4().hex
        return f"{conversation_id}.{self._signature(conversation_id)}"

    def conversation_of(self, token: object) -> Optional[str]:
        """The conversation id of ``token`` if this server signed it, else ``None``."""
        match = SESSION_TOKEN_RE.fullmatch(token) if isinstance(token, str) else None
        if match is None:
            return None
        conversation_id, signature = match.groups()
        if hmac.compare_digest(signature, self._signature(conversation_id)):
            return conversation_id
        return None


def valid_session_id(data: object) -> Optional[str]:
    """The ``session_id`` of a payload if it has the form of a conversation id (32 hex digits).

    The form only: whether this server issued it is what ``SessionTokens`` checks.
    """
    session_id = data.get("session_id") if isinstance(data, dict) else None
    if isinstance(session_id, str) and SESSION_ID_RE.fullmatch(session_id):
        return session_id
    return None


def session_token_in(data: object) -> Optional[str]:
    """The ``session_id`` string of a ``session_request``/``user_uttered`` payload."""
    token = data.get("session_id") if isinstance(data, dict) else None
    return token if isinstance(token, str) else None


class SafeSocketIOInput(SocketIOInput):
    """socket.io input channel: ``session_request`` / ``user_uttered`` in, ``bot_uttered`` out."""

    def __init__(
        self,
        *args: Any,
        allowed_origins: Optional[List[str]] = None,
        max_message_chars: Optional[int] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        config = settings.load()
        self.allowed_origins = [o.rstrip("/") for o in (allowed_origins or config.cors_origins)]
        self.max_message_chars = max_message_chars or config.max_message_chars
        self.tokens = SessionTokens(settings.socketio_session_secret())
        self.limits = VisitorLimits.from_settings()

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        credentials = credentials or {}
        if credentials.get("jwt_key"):
            raise ValueError("SafeSocketIOInput does not support jwt_key; remove it")
        return cls(
            credentials.get("user_message_evt", "user_uttered"),
            credentials.get("bot_message_evt", "bot_uttered"),
            credentials.get("namespace"),
            credentials.get("session_persistence", False),
            credentials.get("socketio_path", "/socket.io"),
            max_message_chars=credentials.get("max_message_chars"),
        )

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        # CORS headers for the polling transport come from Sanic-CORS (``rasa run --cors``);
        # ``[]`` stops python-engineio adding a second, conflicting set. Origins are checked
        # in ``connect`` below instead.
        sio = AsyncServer(
            async_mode="sanic", cors_allowed_origins=[], max_http_buffer_size=MAX_PACKET_BYTES
        )
        self.sio = sio
        namespace = self.namespace
        webhook = QuietSocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("connect", namespace=namespace)
        async def connect(sid: str, environ: Dict, auth: Optional[Dict] = None) -> None:
            if not is_allowed_origin(environ.get("HTTP_ORIGIN"), self.allowed_origins):
                logger.info("socket.io connection from a page of a not allowed origin refused")
                raise ConnectionRefusedError("origin not allowed")

        @sio.on("session_request", namespace=namespace)
        async def session_request(sid: str, data: Any = None) -> None:
            token = session_token_in(data)
            conversation_id = self.tokens.conversation_of(token)
            if conversation_id is None:  # none, another visitor's id, made up or forged: new
                token = self.tokens.issue()
                conversation_id = self.tokens.conversation_of(token)
            if self.session_persistence:
                previous = (await sio.get_session(sid, namespace=namespace)).get("sender_id")
                if previous and previous != conversation_id:  # "new chat": stop old replies
                    await _maybe_await(sio.leave_room(sid, previous, namespace=namespace))
                # A coroutine from python-socketio >= 5.10; not awaiting it was rasa#13027.
                await _maybe_await(sio.enter_room(sid, conversation_id, namespace=namespace))
            await sio.save_session(
                sid, {"token": token, "sender_id": conversation_id}, namespace=namespace
            )
            await sio.emit("session_confirm", token, room=sid, namespace=namespace)

        @sio.on(self.user_message_evt, namespace=namespace)
        async def handle_message(sid: str, data: Any = None) -> None:
            if self.session_persistence:
                session = await sio.get_session(sid, namespace=namespace)
                confirmed = session.get("token")
                # The socket's own token: no secret to leak by timing, so a plain comparison.
                if not confirmed or session_token_in(data) != confirmed:
                    logger.warning("socket.io message without its confirmed session id ignored")
                    return
                sender_id = session["sender_id"]
            else:
                sender_id = sid
            text = data.get("message") if isinstance(data, dict) else None
            if not isinstance(text, str):
                logger.warning("socket.io message without text ignored")
                return
            output = SocketIOOutput(sio, self.bot_message_evt)
            message = UserMessage(
                clean_user_text(text, self.max_message_chars),
                output,
                sender_id,
                input_channel=self.name(),
                metadata=channel_metadata(data.get("metadata")),
            )

            async def handle() -> None:
                try:
                    await on_new_message(message)
                except (CancelledError, Exception) as error:  # the user's text is not logged
                    logger.error("socket.io message failed: %s", type(error).__name__)
                    await output.send_text_message(sender_id, SERVICE_ERROR_TEXT)

            async def notify(text: str) -> None:
                await output.send_text_message(sender_id, text)

            await self.limits.run([f"conversation:{sender_id}", f"socket:{sid}"], handle, notify)

        return webhook
