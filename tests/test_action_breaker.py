"""The action-server guard: the circuit breaker, the timeout, and the stand-in answers.

A down or stalled action server must cost a form message at most ``ACTION_TIMEOUT_S``, after a
few failures nothing at all, and the patient must hear ``utter_action_unavailable`` with the
form kept where it was (bot/rasa_patches/action_client.py, bot/supervision/).
"""

from __future__ import annotations

import asyncio
import time
from typing import AsyncIterator, Dict, List

import pytest
from aiohttp import web
from rasa.utils.endpoints import ClientResponseError, EndpointConfig

from bot.rasa_patches import action_client
from bot.settings import Settings
from bot.supervision import fallback
from bot.supervision.breaker import CircuitBreaker, State
from tests.rasa_patches.helpers import patched


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


# ---------------------------------------------------------------- the breaker alone
def test_opens_after_n_consecutive_failures_only() -> None:
    breaker = CircuitBreaker(3, 10.0, Clock())
    breaker.failure()
    breaker.failure()
    breaker.success()  # not consecutive any more
    assert not breaker.failure() and not breaker.failure()
    assert breaker.allow() and breaker.state is State.CLOSED
    assert breaker.failure()  # the third in a row opens it
    assert breaker.state is State.OPEN and not breaker.allow()


def test_after_the_cooldown_exactly_one_probe() -> None:
    clock = Clock()
    breaker = CircuitBreaker(2, 10.0, clock)
    breaker.failure(), breaker.failure()
    clock.now += 9.9
    assert not breaker.allow()
    clock.now += 0.1
    assert breaker.state is State.HALF_OPEN
    assert breaker.allow()  # the probe
    assert not breaker.allow()  # the others wait for it
    breaker.success()
    assert breaker.state is State.CLOSED and breaker.allow() and breaker.allow()


def test_a_failed_probe_opens_it_for_another_cooldown() -> None:
    clock = Clock()
    breaker = CircuitBreaker(2, 10.0, clock)
    breaker.failure(), breaker.failure()
    clock.now += 10
    assert breaker.allow()
    assert breaker.failure()  # one failure is enough when probing
    assert not breaker.allow()
    clock.now += 10
    assert breaker.allow()


def test_an_abandoned_probe_lets_the_next_call_probe() -> None:
    clock = Clock()
    breaker = CircuitBreaker(1, 5.0, clock)
    breaker.failure()
    clock.now += 5
    assert breaker.allow()
    breaker.abandon()  # cancelled: without this every later call would be skipped
    assert breaker.allow()


def test_zero_failures_means_never_open() -> None:
    breaker = CircuitBreaker(0, 10.0, Clock())
    for _ in range(20):
        assert not breaker.failure()
    assert breaker.allow()


# ---------------------------------------------------------------- the stand-in answers
def action_call(name: str, slots: Dict[str, object], text: str = "anna@example.com", **more):
    intent = more.pop("intent", "inform")
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.95}, "entities": []}
    events: List[dict] = [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": text, "parse_data": latest},
        *more.pop("events", []),
    ]
    tracker = {
        "sender_id": "s",
        "slots": slots,
        "latest_message": latest,
        "events": events,
        "active_loop": more.pop("active_loop", {"name": "treatment_request_form"}),
        "latest_action_name": "action_listen",
        "paused": False,
        "followup_action": None,
    }
    return {"next_action": name, "tracker": tracker, "domain": {}, "sender_id": "s"}


GIVEN = {"privacy_consent": True, "full_name": "Anna Example", "email": None}


def test_form_validation_keeps_the_form_and_asks_again() -> None:
    answer = fallback.answer(
        action_call("validate_treatment_request_form", {**GIVEN, "requested_slot": "email"})
    )
    assert answer["responses"] == [{"response": "utter_action_unavailable"}]
    # Only the asked slot, with the value it had, and the same question next: nothing given
    # before is touched, and a slot event keeps Rasa from rejecting the form.
    assert answer["events"] == [
        {"event": "slot", "name": "email", "value": None},
        {"event": "slot", "name": "requested_slot", "value": "email"},
    ]


@pytest.mark.parametrize(
    "text,intent",
    [
        ("what are the side effects?", "ask_side_effects"),
        ("cancel", "cancel"),
        ("delete my data", "erase_data"),
        ("I have chest pain", "emergency"),
    ],
)
def test_messages_for_the_rules_are_left_to_them(text: str, intent: str) -> None:
    call = action_call(
        "validate_treatment_request_form", {**GIVEN, "requested_slot": "email"}, text, intent=intent
    )
    assert fallback.answer(call) == {"events": [], "responses": []}


def test_activation_asks_nothing_and_says_nothing() -> None:
    call = action_call("validate_treatment_request_form", {"requested_slot": None}, "apply")
    assert fallback.answer(call) == {"events": [], "responses": []}


def test_said_once_per_turn() -> None:
    said = {"event": "bot", "text": "...", "metadata": {"utter_action": "utter_action_unavailable"}}
    call = action_call("action_ask_request_confirmed", {}, "yes", events=[said])
    assert fallback.answer(call) == {"events": [], "responses": []}


def test_an_action_of_the_rules_in_the_form_returns_to_the_form() -> None:
    answer = fallback.answer(action_call("action_cancel_request", GIVEN, "cancel", intent="cancel"))
    assert answer["events"] == [{"event": "followup", "name": "treatment_request_form"}]
    assert answer["responses"] == [{"response": "utter_action_unavailable"}]
    outside = fallback.answer(action_call("action_show_my_data", {}, "x", active_loop={}))
    assert outside == {"events": [], "responses": [{"response": "utter_action_unavailable"}]}


def test_the_stand_in_answers_pass_rasas_schema_check() -> None:
    from rasa.core.actions.action import RemoteAction

    for call in (
        action_call("validate_treatment_request_form", {**GIVEN, "requested_slot": "email"}),
        action_call("action_cancel_request", GIVEN, "cancel", intent="cancel"),
    ):
        assert RemoteAction("x", None)._validate_action_result(fallback.answer(call))


def test_a_cancel_the_rasa_server_answered_for_is_no_cancel_for_minimal_transcripts() -> None:
    from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, UserUttered

    from bot.privacy.transcripts import closes_form

    failed = [UserUttered("cancel"), ActionExecuted("action_cancel_request"), BotUttered("...")]
    assert not closes_form(failed)  # the form goes on: its answers must not become "[name]"
    assert closes_form([*failed, ActiveLoop(None)])


# ---------------------------------------------------------------- through EndpointConfig.request
@pytest.fixture()
async def server(unused_tcp_port: int) -> AsyncIterator[dict]:
    state = {"calls": 0, "mode": "ok", "url": f"http://127.0.0.1:{unused_tcp_port}/webhook"}

    async def webhook(request: web.Request) -> web.Response:
        state["calls"] += 1
        await request.json()
        if state["mode"] == "stall":
            await asyncio.sleep(30)
        if state["mode"] == "error":
            return web.json_response({"error": "boom"}, status=500)
        if state["mode"] == "reject":
            return web.json_response({"action_name": "x", "error": "no"}, status=400)
        return web.json_response({"events": [], "responses": [{"text": "real"}]})

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", unused_tcp_port)
    await site.start()
    yield state
    await runner.cleanup()


@pytest.fixture()
def guarded() -> None:
    quick = Settings(action_timeout_s=0.3, action_breaker_failures=2, action_breaker_cooldown_s=60)
    with patched("action-client", settings=quick):
        yield


CALL = action_call("action_privacy_explain", {}, "what do you store?", active_loop={})


async def call(url: str) -> dict:
    return await EndpointConfig(url).request(json=CALL, method="post", timeout=300)


async def test_a_stalled_server_costs_the_timeout_then_nothing(server, guarded) -> None:
    server["mode"] = "stall"
    started = time.monotonic()
    first = await call(server["url"])
    assert 0.25 < time.monotonic() - started < 2  # Rasa's own limit would be 300 s
    assert first["responses"] == [{"response": "utter_action_unavailable"}]
    await call(server["url"])  # second failure: the breaker opens
    started = time.monotonic()
    for _ in range(5):
        assert (await call(server["url"]))["responses"][0]["response"] == (
            "utter_action_unavailable"
        )
    assert time.monotonic() - started < 0.1
    assert server["calls"] == 2  # the five were not sent at all


async def test_a_refused_connection_and_an_error_status_are_failures(
    server, guarded, unused_tcp_port_factory
) -> None:
    nobody = f"http://127.0.0.1:{unused_tcp_port_factory()}/webhook"
    assert (await call(nobody))["responses"][0]["response"] == "utter_action_unavailable"
    server["mode"] = "error"
    assert (await call(server["url"]))["responses"][0]["response"] == "utter_action_unavailable"
    assert action_client.breaker(server["url"]).consecutive == 1  # one breaker per server


async def test_a_rejection_is_an_answer_and_closes_the_breaker(server, guarded) -> None:
    server["mode"] = "error"
    await call(server["url"])
    server["mode"] = "reject"
    with pytest.raises(ClientResponseError) as raised:  # Rasa turns it into the rules' turn
        await call(server["url"])
    assert raised.value.status == 400
    assert action_client.breaker(server["url"]).consecutive == 0


async def test_a_working_server_is_answered_as_before(server, guarded) -> None:
    assert await call(server["url"]) == {"events": [], "responses": [{"text": "real"}]}


async def test_other_requests_are_not_guarded(server, guarded) -> None:
    server["mode"] = "error"
    with pytest.raises(ClientResponseError):  # not an action call: no stand-in answer
        await EndpointConfig(server["url"]).request(json={"x": 1}, method="post")


async def test_one_message_waits_for_at_most_one_failed_call(server, guarded) -> None:
    server["mode"] = "stall"
    turn = action_call("validate_treatment_request_form", {**GIVEN, "requested_slot": "email"})
    turn["tracker"]["latest_message"]["message_id"] = "m1"
    url = server["url"]
    await EndpointConfig(url).request(json=turn, method="post")  # times out: one failure
    started = time.monotonic()
    await EndpointConfig(url).request(json=turn, method="post")  # same message: not sent
    assert time.monotonic() - started < 0.1 and server["calls"] == 1
    assert action_client.breaker(url).consecutive == 1  # a skipped call is no new failure
    turn["tracker"]["latest_message"]["message_id"] = "m2"
    await EndpointConfig(url).request(json=turn, method="post")  # the next message tries again
    assert server["calls"] == 2
