"""A Rasa webhook app built the way ``rasa run`` builds it, with a fake agent instead of a model.

``rasa.core.run.configure_app`` registers the channels' blueprints under ``/webhooks/`` and
hands every ``UserMessage`` to ``app.ctx.agent.handle_message``. The fake agent records the
message and answers through the message's own output channel, so the test sees exactly what
would be sent to the platform (the platform calls themselves are intercepted by each test).
"""

from __future__ import annotations

import socket
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Dict, List

import httpx
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.run import configure_app

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
    """Stands in for ``rasa.core.agent.Agent``: records messages, answers by their text."""

    def __init__(self) -> None:
        self.messages: List[UserMessage] = []

    async def handle_message(self, message: UserMessage) -> None:
        self.messages.append(message)
        if message.text == "long answer please":
            reply: Dict[str, Any] = {"text": LONG_REPLY}
        elif message.text == "fail please":
            raise RuntimeError("the model broke")
        elif message.text == "many buttons please":
            reply = {"text": BUTTONS_QUESTION, "buttons": [dict(b) for b in MANY_BUTTONS]}
        else:
            reply = {"text": BUTTONS_QUESTION, "buttons": [dict(b) for b in BUTTONS]}
        await message.output_channel.send_response(message.sender_id, reply)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
