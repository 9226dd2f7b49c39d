"""The staff login behind the real web server (``python -m bot serve-web``, uvicorn).

uvicorn believes X-Forwarded-For from 127.0.0.1 by default, so before TRUSTED_PROXIES a client
on the machine (or any client behind a local proxy that passes the header on) could pick a new
address for every attempt and never be throttled.
"""

from __future__ import annotations

import re
import subprocess
import sys

import httpx
import pytest

from tests.conftest import ROOT, LiveStack

pytestmark = pytest.mark.rasa_server

EMAIL = "live-coordinator@example.org"
PASSWORD = "a long enough live password"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def test_20_attempts_with_a_new_x_forwarded_for_each_are_throttled(live_stack: LiveStack) -> None:
    subprocess.run(
        [sys.executable, "-m", "bot", "staff", "add", EMAIL],
        cwd=ROOT,
        env={**live_stack.env, "STAFF_PASSWORD": PASSWORD},
        check=True,
        capture_output=True,
    )
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
