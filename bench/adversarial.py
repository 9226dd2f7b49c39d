"""Attacks on a live stack, each with a pass/fail verdict (``make test-adversarial``).

Starts Rasa, the action server and the web app (bench/live.py) with the production limits,
then replays:

1. flood: one socket.io client sends 1,000 small ``user_uttered`` events on one socket while
   5 other visitors chat over REST; reported: sent, answered, "please wait" replies, the
   others' p95 latency (must stay under 2 s), and a REST message answered after the flood;
2. crafted payloads over REST and socket.io (typed entities of the wrong type, nested lists,
   lone surrogates, 100 KB messages, bad JSON, wrong content types, ``/name@example.net``):
   no HTTP 5xx, no service-error reply, no traceback or error in the logs, every reply
   non-empty;
3. session takeover on socket.io: ``session_request`` with another visitor's conversation id,
   a forged signature or a made-up id gets a new session, and never the victim's replies;
4. staff login: wrong passwords with a new X-Forwarded-For each time, on one account and on
   many, are throttled (HTTP 429), without and with TRUSTED_PROXIES;
5. sentinel grep: a made-up name, e-mail and phone number sent through the failure paths
   (typed payloads in the form, dropped entities, a socket that disconnects before its reply,
   the e-mail as REST sender id) appear in no log of the stack (its stdout and stderr).

Prints one line per check with its figures; exits 0 only when every check passed.
``--port`` is Rasa's port; the action server, the web app and a second web app (with
TRUSTED_PROXIES) use the next three.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, List, Optional, Tuple

import aiohttp

from bench.live import running_stack
from bot import settings
from bot.channels.text import SERVICE_ERROR_TEXT
from bot.supervision import commands
from tests.support import flood as flood_support
from tests.support.chat import ChatClient
from tests.support.flood import QUESTION, REST_PATH, Reply, drain, post, rest_body, texts_of
from tests.support.stack import (
    LiveStack,
    add_staff_account,
    start_process,
    stop_processes,
    wait_for,
)

FLOOD = 1000
VISITORS = 5
VISITOR_MESSAGES = 6
P95_LIMIT_S = 2.0
SENTINEL_NAME = "Zbigniew Quarantotto"
SENTINEL_EMAIL = "zbigniew.quarantotto@example.net"
SENTINEL_PHONE = "+48 600 987 321"
SENTINELS = ("quarantotto", "zbigniew", "600 987 321", "600987321")
#: Log lines that mean the server failed on something it was sent.
FAILURE_RE = re.compile(r"traceback|exception|\berror\b|internal server error", re.IGNORECASE)
STAFF_EMAIL = "coordinator@example.org"
STAFF_PASSWORD = "correct horse battery staple 42"


@dataclass
class Check:
    name: str
    passed: bool = True
    figures: List[str] = field(default_factory=list)
    problems: List[str] = field(default_factory=list)

    def fail(self, problem: str) -> None:
        self.passed = False
        self.problems.append(problem)

    def line(self) -> str:
        verdict = "PASS" if self.passed else "FAIL"
        text = f"[{verdict}] {self.name}: " + "; ".join(self.figures)
        return text + "".join(f"\n       - {p}" for p in self.problems[:12])


async def say(session: aiohttp.ClientSession, stack: LiveStack, sender: str, text: Any) -> Reply:
    return await flood_support.say(session, stack.rasa_url, sender, text)


def logs_text(stack: LiveStack) -> str:
    return "\n".join(path.read_text(errors="replace") for path in sorted(stack.logs.glob("*.log")))


# ---------------------------------------------------------------- 1. flood


async def flood(stack: LiveStack) -> Check:
    check = Check("flood (1 socket, 1,000 user_uttered; 5 REST visitors)")
    flooder = ChatClient(stack.rasa_url, stack.web_url)
    try:
        await flooder.open()
        flooded = await flood_support.socket_flood(
            flooder,
            stack.rasa_url,
            FLOOD,
            visitors=VISITORS,
            messages=VISITOR_MESSAGES,
            pause=0.2,
            quiet=4.0,
            limit=60.0,
        )
    finally:
        await flooder.close()
    results = flooded.visitors
    bad = [(s, texts_of(b)[:60]) for s, b, _ in results if s != 200 or "nausea" not in texts_of(b)]
    async with aiohttp.ClientSession() as session:
        status, body, after = await say(session, stack, "after-flood", QUESTION)
    other_p95 = flooded.visitors_p95
    check.figures += [
        f"sent {FLOOD} in {flooded.sent_in:.1f} s",
        f"bot messages to the flooder {len(flooded.answers)}",
        f"please-wait {len(flooded.notices)}",
        f"others: {len(results)} requests, p95 {other_p95:.2f} s",
        f"after the flood: HTTP {status} in {after:.2f} s",
    ]
    if other_p95 >= P95_LIMIT_S:
        check.fail(f"other visitors' p95 {other_p95:.2f} s >= {P95_LIMIT_S} s")
    if bad:
        check.fail(f"{len(bad)} visitor requests not answered normally: {bad[:3]}")
    if not flooded.notices:
        check.fail("the flooder was never told to wait")
    if status != 200 or "nausea" not in texts_of(body) or after >= P95_LIMIT_S:
        check.fail("the server did not answer promptly after the flood")
    return check


# ---------------------------------------------------------------- 2. crafted payloads

TYPED = [
    '/inform{"tumour": {"a": 1}}',
    '/inform{"tumour": [1, 2, 3]}',
    '/inform{"tumour": [[1, [2, [3]]], {"b": [4]}]}',
    '/inform{"tumour": null}',
    '/inform{"tumour": true}',
    '/inform{"tumour": 1e309}',
    '/change_field{"form_field": 5}',
    '/change_field{"form_field": ["email", "phone"]}',
    '/ask_tumour{"tumour": {"a": 1}}',
    '/inform{"tumour": "' + "x" * 5000 + '"}',
    '/inform{"tumour": "neuroblastoma"',
    "/inform{not json}",
    "/inform@1e309",
    "/greet@-5",
    "/name@example.net",
    "/" + "a" * 300,
    "/",
    "/ask_tumour{}",
    # Rasa's default intents, typed: restart, session start, rewinds (UserUtteranceReverted)
    "/restart",
    "/session_start",
    "/back",
    "/nlu_fallback",
    "/EXTERNAL_anything",
    "/no_such_intent",
    # slots and fields an entity must not reach
    '/change_field{"form_field": "requested_slot"}',
    '/change_field{"form_field": "consent_at"}',
    '/change_field{"form_field": "__class__"}',
    '/change_field{"form_field": "' + "e" * 199 + '"}',
    '/inform{"requested_slot": "full_name", "privacy_consent": true}',
    '/choose_item{"tumour": "99"}',
    '/ask_definition{"term": "__proto__"}',
    "/erase_data",
    "/show_my_data",
    "/withdraw_consent",
    "/skip",
    "/affirm",
]
TEXTS = [
    "\ud800 hi",
    "\udfff",
    "x" * 100_000,
    "😀" * 3000,
    "\x00\x01\x02",
    "\u202e\u200b\ufeff",
    "<script>alert(1)</script>",
    "{{ 7*7 }} ${7*7}",
]


def raw_requests() -> List[Tuple[str, bytes, Optional[str]]]:
    """Requests that are not ``{"sender": str, "message": str}`` JSON (name, body, type)."""
    good = rest_body("crafted-raw", "hi")
    return [
        ("bad JSON", b'{"sender": "a", "message": ', "application/json"),
        ("JSON array", b"[1, 2]", "application/json"),
        ("JSON string", b'"hi"', "application/json"),
        ("nested message", rest_body("crafted-n", {"text": ["hi"]}), "application/json"),
        ("list sender", json.dumps({"sender": ["a"], "message": "hi"}).encode(), None),
        ("text/plain", good, "text/plain"),
        ("form-encoded", b"sender=a&message=hi", "application/x-www-form-urlencoded"),
        ("multipart", b"--x\r\n\r\nhi\r\n--x--", "multipart/form-data; boundary=x"),
        ("no content type", good, None),
        ("latin-1 bytes", b'{"sender": "a", "message": "caf\xe9"}', "application/json"),
        ("lone surrogate escaped", b'{"sender": "a", "message": "\\ud800 hi"}', None),
        ("200 KB body", rest_body("crafted-big", "x" * 200_000), "application/json"),
        ("deep JSON", b"[" * 5000 + b"]" * 5000, "application/json"),
    ]


FORM_START = [
    ("I want to apply for treatment", "Do you agree?"),
    ("yes", "full name"),
    (SENTINEL_NAME, "email"),
    (SENTINEL_EMAIL, "phone"),
]


async def start_form(session: aiohttp.ClientSession, stack: LiveStack, sender: str) -> bool:
    for message, expected in FORM_START:
        status, body, _ = await say(session, stack, sender, message)
        if status != 200 or expected not in texts_of(body):
            return False
    return True


async def crafted(stack: LiveStack) -> Check:
    check = Check("crafted payloads (REST and socket.io)")
    before = len(logs_text(stack))
    sent = 0
    async with aiohttp.ClientSession() as session:
        for in_form in (False, True):
            for payload in TYPED + TEXTS:
                sender = f"crafted-{uuid.uuid4().hex[:8]}"
                if in_form and not await start_form(session, stack, sender):
                    check.fail("could not start the form")
                    continue
                status, body, _ = await say(session, stack, sender, payload)
                sent += 1
                label = f"{'form' if in_form else 'chat'} {payload[:40]!r}"
                if status >= 500 or status == 0:
                    check.fail(f"{label}: HTTP {status}")
                elif status == 200 and (not texts_of(body).strip()):
                    check.fail(f"{label}: empty reply {body!r:.80}")
                elif SERVICE_ERROR_TEXT in texts_of(body):
                    check.fail(f"{label}: service error reply")
        for name, data, content_type in raw_requests():
            status, body, _ = await post(session, stack.rasa_url + REST_PATH, data, content_type)
            sent += 1
            if status >= 500 or status == 0:
                check.fail(f"{name}: HTTP {status}")
            elif body in (None, "", []) and status != 200:
                check.fail(f"{name}: HTTP {status} with an empty body")
            elif status == 200 and not texts_of(body).strip():
                check.fail(f"{name}: HTTP 200 with an empty reply {body!r:.80}")
    sent += await crafted_socket(stack, check)
    logged = logs_text(stack)[before:]
    failures = [line for line in logged.splitlines() if FAILURE_RE.search(line)]
    for line in failures[:5]:
        check.fail(f"logged: {line.strip()[:160]}")
    check.figures += [f"{sent} sent", f"{len(failures)} failure lines logged"]
    return check


async def crafted_socket(stack: LiveStack, check: Check) -> int:
    """Odd ``user_uttered`` / ``session_request`` data; the socket must keep working."""
    client = ChatClient(stack.rasa_url, stack.web_url)
    odd: List[Any] = [
        "a string",
        [1, 2],
        None,
        42,
        {"message": {"a": 1}, "session_id": None},
        {"message": ["hi"]},
        {"message": None},
        {"session_id": "x" * 10_000},
    ]
    try:
        await client.open()
        for data in odd:
            await client.sio.emit("user_uttered", data)
            await client.sio.emit("session_request", data)
        # session_request replaced the session: confirm one, then a normal message works
        await asyncio.sleep(1.0)
        while not client._confirmed.empty():
            client.session_id = client._confirmed.get_nowait()
        for payload in ('/inform{"tumour": [[1]]}', "\ud800", QUESTION):
            await client.say(payload)
        replies = await drain(client, quiet=3.0, limit=40.0)
    finally:
        await client.close()
    big = ChatClient(stack.rasa_url, stack.web_url)  # a 100 KB packet: refused, server fine
    try:
        await big.open()
        await big.say("x" * 100_000)
        await asyncio.sleep(1.0)
    finally:
        await big.close()
    joined = " ".join(str(m.get("text") or "") for m in replies)
    if "nausea" not in joined.lower():
        check.fail("socket.io: no normal answer after the odd events")
    if SERVICE_ERROR_TEXT in joined:
        check.fail("socket.io: a service error reply")
    return 2 * len(odd) + 4


# ---------------------------------------------------------------- 3. session takeover


async def takeover(stack: LiveStack) -> Check:
    check = Check("socket.io session takeover")
    victim = ChatClient(stack.rasa_url, stack.web_url)
    attackers: List[ChatClient] = []
    try:
        token = await victim.open()
        conversation, signature = token.split(".")
        attempts = {
            "victim's conversation id": conversation,
            "victim's id, forged signature": f"{conversation}.{'0' * 32}",
            "victim's id, signature of another": f"{conversation}.{signature[::-1]}",
            "made-up id": uuid.uuid4().hex,
            "made-up token": f"{uuid.uuid4().hex}.{uuid.uuid4().hex}",
            "upper-case token": token.upper(),
            "token with spaces": f" {token} ",
        }
        for name, session_id in attempts.items():
            attacker = ChatClient(stack.rasa_url, stack.web_url)
            attackers.append(attacker)
            given = await attacker.open(session_id=session_id)
            if given.split(".")[0] == conversation:
                check.fail(f"{name}: got the victim's conversation")
        # The attackers also try to write into the victim's conversation with its token.
        for attacker in attackers:
            await attacker.say("my name is Mallory", session_id=token)
        await victim.say(QUESTION)
        victim_replies = await victim.reply_texts()
        await asyncio.sleep(2.0)
        leaked = sum(attacker.replies.qsize() for attacker in attackers)
    finally:
        for client in [victim, *attackers]:
            await client.close()
    check.figures += [
        f"{len(attempts)} attempts, each given a new session",
        f"victim answered: {'nausea' in ' '.join(str(m.get('text')) for m in victim_replies)}",
        f"victim's replies seen by attackers: {leaked}",
    ]
    if leaked:
        check.fail(f"attackers received {leaked} bot messages")
    if not any("nausea" in str(m.get("text")).lower() for m in victim_replies):
        check.fail("the victim did not get its answer")
    return check


# ---------------------------------------------------------------- 4. staff login


CSRF_RE = re.compile(r'name="csrf_token"\s+value="([^"]+)"')


async def login_attempt(
    session: aiohttp.ClientSession, web_url: str, email: str, password: str, forwarded: str
) -> int:
    for attempt in range(3):  # a refused connection (a busy machine) is tried again
        try:
            return await _login_attempt(session, web_url, email, password, forwarded)
        except aiohttp.ClientConnectorError:
            if attempt == 2:
                raise
            await asyncio.sleep(1.0)
    return -1


async def _login_attempt(
    session: aiohttp.ClientSession, web_url: str, email: str, password: str, forwarded: str
) -> int:
    async with session.get(web_url + "/staff/login") as page:
        found = CSRF_RE.search(await page.text())
    if not found:
        return -1
    form = {"email": email, "password": password, "csrf_token": found.group(1), "next": ""}
    async with session.post(
        web_url + "/staff/login",
        data=form,
        headers={"X-Forwarded-For": forwarded},
        allow_redirects=False,
    ) as reply:
        await reply.read()
        return reply.status


async def staff_login(stack: LiveStack, trusted_web: str) -> Check:
    check = Check("staff login throttling with rotating X-Forwarded-For")
    rotating = (f"203.0.113.{n % 250 + 1}" for n in range(10_000))
    # Behind the trusted proxy (127.0.0.1 here) the client's own address is the one the proxy
    # appends to whatever X-Forwarded-For the client sent.
    for label, url, appended in (
        ("no trusted proxy", stack.web_url, ""),
        ("TRUSTED_PROXIES", trusted_web, ", 198.51.100.7"),
    ):
        addresses = (forged + appended for forged in rotating)
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
            one = [
                await login_attempt(session, url, STAFF_EMAIL, f"guess {n}", next(addresses))
                for n in range(12)
            ]
            right = await login_attempt(session, url, STAFF_EMAIL, STAFF_PASSWORD, next(addresses))
            many = [
                await login_attempt(
                    session, url, f"user{n}-{label[:2]}@example.org", "guess", next(addresses)
                )
                for n in range(30)
            ]
        first_429 = one.index(429) + 1 if 429 in one else None
        check.figures.append(
            f"{label}: one account throttled at attempt {first_429}, right password then "
            f"HTTP {right}; 30 accounts: {many.count(429)} throttled"
        )
        if -1 in one + many:
            check.fail(f"{label}: no login form")
        if first_429 is None or first_429 > 11:
            check.fail(f"{label}: one account, rotating addresses: not throttled ({one})")
        if right != 429:
            check.fail(f"{label}: the account was not locked after the guesses (HTTP {right})")
        if many.count(429) < 10:
            check.fail(f"{label}: 30 accounts from one client: only {many.count(429)} throttled")
    return check


# ---------------------------------------------------------------- 5. sentinel grep


async def sentinels(stack: LiveStack) -> Check:
    check = Check("sentinel personal values never logged")
    async with aiohttp.ClientSession() as session:
        for payload in TYPED[:3] + ['/inform{"tumour": [1, 2]}', "/change_field{}"]:
            sender = f"sentinel-{uuid.uuid4().hex[:8]}"
            if not await start_form(session, stack, sender):
                check.fail("could not fill the form with the sentinel values")
            await say(session, stack, sender, SENTINEL_PHONE)
            await say(session, stack, sender, payload)
        # The e-mail as the REST sender id, and as text in a message that fails validation.
        await say(session, stack, SENTINEL_EMAIL, f"my name is {SENTINEL_NAME}")
        await say(
            session, stack, SENTINEL_EMAIL, '/inform{"tumour": {"x": "' + SENTINEL_NAME + '"}}'
        )
    # A socket that sends personal details and disconnects before the reply can be sent.
    for _ in range(3):
        client = ChatClient(stack.rasa_url, stack.web_url)
        await client.open()
        await client.say(f"I am {SENTINEL_NAME}, {SENTINEL_EMAIL}, {SENTINEL_PHONE}")
        await client.sio.disconnect()
        await client.http.close()
    await asyncio.sleep(3.0)
    logged = logs_text(stack).lower()
    files = sorted(p.name for p in stack.logs.glob("*.log"))
    found = [value for value in SENTINELS if value in logged]
    check.figures += [f"{len(files)} logs searched ({', '.join(files)})", f"found {found or 0}"]
    for value in found:
        check.fail(f"{value!r} is in the logs")
    return check


# ---------------------------------------------------------------- main


async def no_errors_logged(stack: LiveStack) -> Check:
    """Over the whole run (before the servers stop): no traceback, no error line."""
    check = Check("no server error logged during the run")
    lines = [line for line in logs_text(stack).splitlines() if FAILURE_RE.search(line)]
    check.figures.append(f"{len(lines)} error lines")
    for line in lines[:8]:
        check.fail(line.strip()[:200])
    return check


async def run_checks(stack: LiveStack, trusted_web: str) -> List[Check]:
    checks: List[Tuple[str, Callable[[], Awaitable[Check]]]] = [
        ("flood", lambda: flood(stack)),
        ("crafted payloads", lambda: crafted(stack)),
        ("session takeover", lambda: takeover(stack)),
        ("staff login", lambda: staff_login(stack, trusted_web)),
        ("sentinels", lambda: sentinels(stack)),
        ("errors logged", lambda: no_errors_logged(stack)),
    ]
    found = []
    for name, make in checks:
        started = time.monotonic()
        try:
            check = await make()
        except Exception as error:  # noqa: BLE001 - a check that crashed has failed
            check = Check(name)
            check.fail(f"crashed: {type(error).__name__}: {error}")
        check.figures.append(f"{time.monotonic() - started:.0f} s")
        print(check.line(), flush=True)
        found.append(check)
    return found


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.adversarial")
    parser.add_argument("--port", type=int, default=7420)
    args = parser.parse_args(argv)
    started = time.monotonic()
    with running_stack(args.port, web=True) as stack:
        add_staff_account(stack.env, STAFF_EMAIL, STAFF_PASSWORD)
        trusted_port = args.port + 3
        trusted = start_process(
            commands.serve("web", "--port", str(trusted_port)),
            {**stack.env, "TRUSTED_PROXIES": "127.0.0.1"},
            stack.logs / "web-trusted-proxies.log",
        )
        try:
            trusted_url = f"http://127.0.0.1:{trusted_port}"
            wait_for(trusted_url + "/healthz", 60, trusted)
            checks = asyncio.run(run_checks(stack, trusted_url))
        finally:
            stop_processes([trusted])
        if settings.load_bench().adversarial_show_logs:
            print(logs_text(stack)[-5000:])
    failed = [c.name for c in checks if not c.passed]
    took = time.monotonic() - started
    print(f"{len(checks) - len(failed)}/{len(checks)} checks passed in {took:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
