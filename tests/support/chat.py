"""A python-socketio client speaking the chat widget's protocol (bot/channels/socketio.py).

The socket.io tests, the live PostgreSQL and scale-out stacks, the flood test and
``make test-adversarial`` (bench/adversarial.py) all talk to Rasa through it.
"""

from __future__ import annotations

import asyncio
from typing import Any, List, Optional

import aiohttp
import socketio

REPLY_TIMEOUT = 30.0


class ChatClient:
    """A python-socketio client speaking the widget's protocol."""

    def __init__(self, url: str, origin: Optional[str]) -> None:
        self.url = url
        self.origin = origin
        # Our own HTTP session, closed in close(): python-socketio 5.9 can leave its own open.
        self.http = aiohttp.ClientSession()
        self.sio = socketio.AsyncClient(
            reconnection=False, http_session=self.http, handle_sigint=False
        )
        self.session_id: Optional[str] = None
        self.replies: asyncio.Queue[dict] = asyncio.Queue()
        self._confirmed: asyncio.Queue[Any] = asyncio.Queue()
        self.sio.on("session_confirm", self._confirmed.put)
        self.sio.on("bot_uttered", self.replies.put)

    async def open(self, session_id: Optional[str] = None, transport: str = "websocket") -> str:
        headers = {"Origin": self.origin} if self.origin else {}
        await self.sio.connect(self.url, headers=headers, transports=[transport], wait_timeout=10)
        await self.sio.emit("session_request", {"session_id": session_id})
        self.session_id = await asyncio.wait_for(self._confirmed.get(), 10)
        return self.session_id

    async def say(self, text: str, session_id: Optional[str] = None) -> None:
        await self.sio.emit(
            "user_uttered", {"message": text, "session_id": session_id or self.session_id}
        )

    async def reply_texts(self, timeout: float = REPLY_TIMEOUT, settle: float = 1.5) -> List[dict]:
        """All bot messages of one turn: the first within ``timeout``, the rest ``settle`` apart."""
        messages = [await asyncio.wait_for(self.replies.get(), timeout)]
        while True:
            try:
                messages.append(await asyncio.wait_for(self.replies.get(), settle))
            except asyncio.TimeoutError:
                return messages

    async def close(self) -> None:
        await self.sio.disconnect()
        await finish_writes(self.sio)
        await self.http.close()


async def finish_writes(client: socketio.AsyncClient) -> None:
    """Wait for engine.io's last packets: python-socketio 5.9 disconnects with ``abort=True``,
    and a polling write after the HTTP session is closed opens a new one that is never closed."""
    write_loop = getattr(client.eio, "write_loop_task", None)
    if write_loop is not None:
        await asyncio.wait_for(write_loop, 10)


def joined(messages: List[dict]) -> str:
    return "\n".join(m.get("text", "") for m in messages)


def conversation_of(session: str) -> str:
    """The conversation (tracker) id a confirmed session token stands for."""
    return session.split(".", 1)[0]
