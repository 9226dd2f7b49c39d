"""Cross-origin rules: who may talk to the assistant from a browser, and what our pages may load.

Rasa 3.6's own socket.io channel accepts connections from any web page (it turns
python-engineio's origin check off); ``bot.channels.socketio.SafeSocketIOInput`` refuses pages
whose origin is not in ``CORS_ORIGINS``. REST relies on the browser's CORS check, so the Rasa
server must not hand out ``Access-Control-Allow-Origin`` to other origins. The web app's
Content-Security-Policy lets the demo page connect only to itself and the Rasa server.
"""

from __future__ import annotations

import asyncio
import urllib.request
from typing import Dict, Optional

import aiohttp
import pytest
import socketio
from starlette.testclient import TestClient

from bot.channels.socketio import is_allowed_origin, valid_session_id

EVIL = "http://evil.example"


# ---------------------------------------------------------------- unit: the channel's checks
@pytest.mark.parametrize(
    ("origin", "allowed", "expected"),
    [
        ("http://localhost:8000", ["http://localhost:8000"], True),
        ("http://localhost:8000/", ["http://localhost:8000"], True),
        ("http://localhost:8001", ["http://localhost:8000"], False),
        ("https://localhost:8000", ["http://localhost:8000"], False),
        ("http://localhost:8000.evil.example", ["http://localhost:8000"], False),
        ("null", ["http://localhost:8000"], False),
        (EVIL, ["*"], True),
        (None, ["http://localhost:8000"], True),  # not a browser page: CORS does not apply
    ],
)
def test_is_allowed_origin(origin: Optional[str], allowed: list, expected: bool) -> None:
    assert is_allowed_origin(origin, allowed) is expected


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"session_id": "0123456789abcdef0123456789abcdef"}, "0123456789abcdef0123456789abcdef"),
        ({"session_id": "0123456789ABCDEF0123456789ABCDEF"}, None),
        ({"session_id": "default"}, None),
        ({"session_id": 12}, None),
        ({}, None),
        ("0123456789abcdef0123456789abcdef", None),
        (None, None),
    ],
)
def test_valid_session_id(data: object, expected: Optional[str]) -> None:
    assert valid_session_id(data) == expected


# ---------------------------------------------------------------- live: the Rasa server
async def try_socketio(url: str, origin: str, transport: str) -> bool:
    """Whether a socket.io connection from a page of ``origin`` is accepted."""
    async with aiohttp.ClientSession() as http:
        client = socketio.AsyncClient(reconnection=False, http_session=http, handle_sigint=False)
        try:
            await client.connect(
                url, headers={"Origin": origin}, transports=[transport], wait_timeout=10
            )
        except socketio.exceptions.ConnectionError:
            return False
        finally:
            await client.disconnect()
            # python-socketio 5.9 disconnects with abort=True; a polling write after the
            # session is closed would open a new one (see tests/test_socketio.py).
            write_loop = getattr(client.eio, "write_loop_task", None)
            if write_loop is not None:
                await asyncio.wait_for(write_loop, 10)
    return True


@pytest.mark.rasa_server
@pytest.mark.parametrize("transport", ["websocket", "polling"])
async def test_socketio_refuses_other_origins(live_stack, transport: str) -> None:
    assert await try_socketio(live_stack.rasa_url, live_stack.web_url, transport)
    assert not await try_socketio(live_stack.rasa_url, EVIL, transport)


def response_headers(url: str, method: str, headers: Dict[str, str]) -> Dict[str, str]:
    request = urllib.request.Request(url, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as reply:
        return {name.lower(): value for name, value in reply.headers.items()}


@pytest.mark.rasa_server
@pytest.mark.parametrize(
    ("path", "method", "extra"),
    [
        # The CORS preflight a browser sends before POSTing JSON to the REST channel.
        (
            "/webhooks/rest/webhook",
            "OPTIONS",
            {
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
        ),
        # socket.io's long-polling handshake.
        ("/socket.io/?EIO=4&transport=polling", "GET", {}),
    ],
)
def test_rasa_grants_cors_only_to_configured_origins(live_stack, path, method, extra) -> None:
    url = live_stack.rasa_url + path
    allowed = response_headers(url, method, {"Origin": live_stack.web_url, **extra})
    assert allowed.get("access-control-allow-origin") == live_stack.web_url
    refused = response_headers(url, method, {"Origin": EVIL, **extra})
    assert "access-control-allow-origin" not in refused


# ---------------------------------------------------------------- the web app's own headers
@pytest.fixture()
def web(monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.setenv("RASA_PORT", "5999")
    monkeypatch.delenv("PUBLIC_RASA_URL", raising=False)
    from bot.web.app import create_app

    return TestClient(create_app(), base_url="http://demo.test:8000")


def csp_directives(header: str) -> Dict[str, list]:
    return {d.split()[0]: d.split()[1:] for d in header.split(";") if d.strip()}


def test_demo_page_csp_allows_only_self_and_rasa(web: TestClient) -> None:
    page = web.get("/")
    assert page.status_code == 200
    csp = csp_directives(page.headers["content-security-policy"])
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["connect-src"] == ["'self'", "http://demo.test:5999", "ws://demo.test:5999"]
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    # The widget is told the same Rasa address the policy allows.
    assert 'data-server-url="http://demo.test:5999"' in page.text


def test_public_rasa_url_setting(web: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBLIC_RASA_URL", "https://chat.example.org/")
    page = web.get("/")
    csp = csp_directives(page.headers["content-security-policy"])
    assert csp["connect-src"] == ["'self'", "https://chat.example.org", "wss://chat.example.org"]
    assert 'data-server-url="https://chat.example.org"' in page.text


def test_odd_host_header_is_not_echoed(web: TestClient) -> None:
    page = web.get("/", headers={"Host": "x;script-src *"})
    assert "script-src *" not in page.headers["content-security-policy"]
    assert "script-src *" not in page.text


def test_static_files_and_health_carry_security_headers(web: TestClient) -> None:
    for path in ("/healthz", "/static/widget.js", "/static/widget.css"):
        reply = web.get(path)
        assert reply.status_code == 200, path
        assert reply.headers["x-content-type-options"] == "nosniff", path
        assert "content-security-policy" in reply.headers, path
    assert web.get("/static/vendor/socket.io.min.js").status_code == 200
