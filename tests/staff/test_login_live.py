"""The staff login behind the real web server (``python -m bot serve-web``, uvicorn).

uvicorn believes X-Forwarded-For from 127.0.0.1 by default, so before TRUSTED_PROXIES a client
on the machine (or any client behind a local proxy that passes the header on) could pick a new
address for every attempt and never be throttled.
"""

from __future__ import annotations

import re

import httpx
import pytest

from bot.supervision import commands
from tests.support.stack import LiveStack, add_staff_account

pytestmark = pytest.mark.rasa_server

EMAIL = "live-coordinator@example.org"
PASSWORD = "a long enough live password"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def test_20_attempts_with_a_new_x_forwarded_for_each_are_throttled(live_stack: LiveStack) -> None:
    add_staff_account(live_stack.env, EMAIL, PASSWORD)
    with httpx.Client(base_url=live_stack.web_url, timeout=30) as client:
        token = CSRF_RE.search(client.get("/staff/login").text).group(1)
        codes = []
        for n in range(20):
            reply = client.post(
                "/staff/login",
                data={"email": EMAIL, "password": f"guess number {n}", "csrf_token": token},
                headers={"X-Forwarded-For": f"203.0.113.{n + 1}", "X-Real-IP": f"198.51.100.{n}"},
            )
            codes.append(reply.status_code)
        assert codes[:5] == [401] * 5
        assert codes[5:] == [429] * 15, codes
        # The right password waits as well.
        reply = client.post(
            "/staff/login",
            data={"email": EMAIL, "password": PASSWORD, "csrf_token": token},
            headers={"X-Forwarded-For": "203.0.113.99"},
        )
        assert reply.status_code == 429


def test_behind_a_trusted_proxy_the_account_limit_still_throttles(
    live_stack: LiveStack, tmp_path
) -> None:
    """With TRUSTED_PROXIES the forwarded address counts (the per-address limit sees a new one
    each time), and the per-account limit stops the guesser after 10 failures."""
    from tests.support.ports import free_port
    from tests.support.stack import start_process, stop_processes, wait_for

    email = "proxied-coordinator@example.org"
    add_staff_account(live_stack.env, email, PASSWORD)
    port = free_port()
    env = {**live_stack.env, "WEB_PORT": str(port), "TRUSTED_PROXIES": "127.0.0.1"}
    web = start_process(commands.serve("web"), env, tmp_path / "web.log")
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz", 60, web)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            token = CSRF_RE.search(client.get("/staff/login").text).group(1)
            codes = [
                client.post(
                    "/staff/login",
                    data={"email": email, "password": f"guess number {n}", "csrf_token": token},
                    headers={"X-Forwarded-For": f"203.0.113.{n + 1}"},
                ).status_code
                for n in range(12)
            ]
            # Not 5 (the e-mail-and-address limit): the proxy's forwarded address is believed.
            assert codes == [401] * 10 + [429] * 2, codes
        fresh = {"X-Forwarded-Proto": "https"}  # a new visitor, over https at the proxy
        https = httpx.get(f"http://127.0.0.1:{port}/staff/login", headers=fresh, timeout=30)
        assert "secure" in https.headers["set-cookie"].lower()
    finally:
        stop_processes([web])
