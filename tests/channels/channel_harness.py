"""A Rasa webhook app built the way ``rasa run`` builds it, with a fake agent instead of a model,
and fake platform APIs (Telegram's Bot API, Meta's Send API) on localhost.

``rasa.core.run.configure_app`` registers the channels' blueprints under ``/webhooks/`` and
hands every ``UserMessage`` to ``app.ctx.agent.handle_message``. The fake agent does what
Rasa's ``Agent`` and ``MessageProcessor`` do with a message, in the same order: it takes the
conversation's lock, logs the user message and the reply in the tracker, sends the reply
through the message's output channel and only then saves the tracker (so a send that raises
loses the turn, as it does in Rasa 3.6). The platform calls reach a :class:`FakePlatform`, a
real HTTP server whose answers a test can script (errors, delays).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Awaitable, Callable, Deque, Dict, List, Optional

import httpx
from aiohttp import web
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.run import configure_app
from rasa.core.tracker_store import InMemoryTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, UserUttered

from tests.support.ports import free_port

LONG_PARAGRAPH = (
    "MIBG therapy uses a radioactive form of metaiodobenzylguanidine that tumour cells take up "
    "like noradrenaline, so the radiation acts mostly where the tumour is. "
)
#: A 5000-character answer in paragraphs of about 500 characters.
PARAGRAPHS = "\n\n".join(f"Part {n}. " + (LONG_PARAGRAPH * 3).strip() for n in range(1, 40))
LONG_REPLY = PARAGRAPHS[:4999].rstrip().ljust(5000, ".")
BUTTONS: List[Dict[str, str]] = [
    {"title": "Neuroblastoma", "payload": '/ask_tumour{"tumour": "neuroblastoma"}'},
    {
        "title": "Medullary thyroid cancer",
        "payload": '/ask_tumour{"tumour": "medullary_thyroid_cancer"}',
    },
    # 100 bytes: over Telegram's 64-byte callback_data limit.
    {"title": "Something else", "payload": '/inform{"note": "' + "x" * 83 + '"}'},
]
#: 16 buttons (Messenger shows 13), the first with a 1200-byte payload (Messenger takes 1000).
MANY_BUTTONS: List[Dict[str, str]] = [
    {"title": "Huge", "payload": '/inform{"note": "' + "y" * 1183 + '"}'}
] + [{"title": f"Option number {n}", "payload": f'/inform{{"n": {n}}}'} for n in range(1, 16)]
BUTTONS_QUESTION = "Which tumour do you mean?"


class FakeAgent:
    """Stands in for ``rasa.core.agent.Agent``: records messages, answers by their text, keeps
    the conversations in a real Rasa tracker store (in memory unless one is given).

    ``gate``: when set, handling waits for it (to hold messages "in Rasa" while a test looks).
    """

    def __init__(self, tracker_store: TrackerStore | None = None) -> None:
        self.messages: List[UserMessage] = []
        self.tracker_store = tracker_store or InMemoryTrackerStore(Domain.empty())
        self.lock_store = InMemoryLockStore()
        self.gate: Optional[asyncio.Event] = None
        self.running = 0
        self.most_running = 0

    async def handle_message(self, message: UserMessage) -> None:
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        try:
            if self.gate is not None:
                await self.gate.wait()
            async with self.lock_store.lock(message.sender_id):
                await self._turn(message)
        finally:
            self.running -= 1

    async def _turn(self, message: UserMessage) -> None:
        self.messages.append(message)
        tracker = await self.tracker_store.get_or_create_tracker(message.sender_id)
        tracker.update(UserUttered(message.text, input_channel=message.input_channel, metadata={}))
        if message.text == "long answer please":
            reply = BotUttered(LONG_REPLY)
        elif message.text == "fail please":
            raise RuntimeError("the model broke")
        elif message.text == "many buttons please":
            reply = BotUttered(BUTTONS_QUESTION, {"buttons": [dict(b) for b in MANY_BUTTONS]})
        else:
            reply = BotUttered(BUTTONS_QUESTION, {"buttons": [dict(b) for b in BUTTONS]})
        tracker.update(reply)
        # Rasa's processor: side effects (sending) first, then save_tracker.
        await message.output_channel.send_response(message.sender_id, reply.message())
        await self.tracker_store.save(tracker)

    async def events(self, sender_id: str) -> List[Dict[str, Any]]:
        """The stored events of a conversation, as dicts (``[]`` if nothing was saved)."""
        tracker = await self.tracker_store.retrieve(sender_id)
        return [event.as_dict() for event in tracker.events] if tracker else []


@dataclass
class Call:
    """One request that reached a :class:`FakePlatform`."""

    path: str
    query: Dict[str, str]
    fields: Dict[str, str]
    json: Any
    at: float = field(default_factory=time.monotonic)


#: (status, JSON body, headers) a fake platform answers with.
Answer = tuple


class FakePlatform:
    """A platform API on 127.0.0.1 (aiohttp): records every call and answers it with
    ``answer(call)``, unless a scripted failure is queued (``fail``) or ``delay`` is set."""

    def __init__(self, answer: Callable[[Call], Answer]) -> None:
        self.answer = answer
        self.calls: List[Call] = []
        self.failures: Deque[Answer] = deque()
        self.always: Optional[Answer] = None
        self.delay = 0.0
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._runner: Optional[web.AppRunner] = None

    def fail(self, status: int, body: Any = None, times: int = 1, **headers: str) -> None:
        """Answer the next ``times`` calls with ``status``."""
        self.failures.extend([(status, body or {}, headers)] * times)

    def fail_always(self, status: int, body: Any = None) -> None:
        self.always = (status, body or {}, {})

    async def _handle(self, request: web.Request) -> web.Response:
        form = await request.post() if request.content_type != "application/json" else {}
        body = await request.json() if request.content_type == "application/json" else None
        call = Call(request.path, dict(request.query), {k: str(v) for k, v in form.items()}, body)
        self.calls.append(call)
        if self.delay:
            await asyncio.sleep(self.delay)
        status, payload, headers = (
            self.failures.popleft() if self.failures else self.always or self.answer(call)
        )
        return web.json_response(payload, status=status, headers=headers)

    async def __aenter__(self) -> FakePlatform:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(self, *_: Any) -> None:
        assert self._runner is not None
        await self._runner.cleanup()


async def settle(channel: Any) -> None:
    """Wait until the channel's background work (turns, replies, retries) is done (a channel
    without any has finished its work when the webhook answered)."""
    background = getattr(channel, "background", None)
    if background is not None:
        await asyncio.wait_for(background.idle(), 30)


async def within(seconds: float, request: Awaitable[Any]) -> Any:
    """``request``'s answer, or a test failure if it does not come within ``seconds``."""
    try:
        return await asyncio.wait_for(request, seconds)
    except asyncio.TimeoutError:
        raise AssertionError(f"no answer within {seconds} s") from None


@asynccontextmanager
async def serve(channel: InputChannel, agent: FakeAgent) -> AsyncIterator[httpx.AsyncClient]:
    """Run ``channel`` in a real Sanic server (listeners included); yield a client for it."""
    app = configure_app(input_channels=[channel], enable_api=False, route="/webhooks/")
    app.ctx.agent = agent
    port = free_port()
    server = await app.create_server(
        host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False
    )
    # create_server has bound the socket already; run the listeners as app.run() would.
    await server.startup()
    await server.before_start()
    await server.after_start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            yield client
    finally:
        await server.before_stop()
        server.close()
        await server.wait_closed()
        await server.after_stop()
