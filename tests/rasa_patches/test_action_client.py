"""Calls to the action server reuse one connection and keep Rasa's request behaviour."""

from __future__ import annotations

from typing import AsyncIterator, List

import pytest
from aiohttp import web
from rasa.utils.endpoints import ClientResponseError, EndpointConfig

from bot.rasa_patches import action_client
from tests.rasa_patches.helpers import patched


@pytest.fixture()
async def server(unused_tcp_port: int) -> AsyncIterator[tuple]:
    seen: List[tuple] = []

    async def webhook(request: web.Request) -> web.Response:
        body = await request.json()
        seen.append((request.transport.get_extra_info("peername")[1], body))
        if body.get("fail"):
            return web.json_response({"error": "no"}, status=500)
        return web.json_response({"echo": body, "token": request.query.get("token")})

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", unused_tcp_port)
    await site.start()
    yield f"http://127.0.0.1:{unused_tcp_port}/webhook", seen
    await runner.cleanup()


@pytest.fixture()
def kept_alive() -> None:
    with patched("action-client"):
        yield


async def test_one_connection_for_many_calls(server, kept_alive) -> None:
    url, seen = server
    endpoint = EndpointConfig(url, token="secret")
    payload = {"tracker": {"events": [{"event": "user", "text": "héllo / ü", "t": 0.1 + 0.2}]}}
    for _ in range(5):
        answer = await endpoint.request(json=payload, method="post", timeout=10)
        assert answer == {"echo": payload, "token": "secret"}
    assert len(seen) == 5
    assert len({port for port, _ in seen}) == 1  # one kept-alive connection


async def test_rasas_own_request_opened_a_connection_per_call(server) -> None:
    url, seen = server
    endpoint = EndpointConfig(url)
    for _ in range(3):
        await endpoint.request(json={"x": 1}, method="post", timeout=10)
    assert len({port for port, _ in seen}) == 3


async def test_errors_are_raised_as_rasa_raises_them(server, kept_alive) -> None:
    url, _ = server
    with pytest.raises(ClientResponseError) as raised:
        await EndpointConfig(url).request(json={"fail": True}, method="post", timeout=10)
    assert raised.value.status == 500


def test_dumps_round_trips_and_falls_back() -> None:
    import json

    value = {"a": [1, 2.5, None, True, "ü/x"], "f": 1764000000.1234567}
    assert json.loads(action_client.dumps(value)) == value
    assert json.loads(action_client.dumps({"n": float("inf")})) == {"n": float("inf")}
    with pytest.raises(TypeError):
        action_client.dumps({"s": {1, 2}})  # as json.dumps refuses it
