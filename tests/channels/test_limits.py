"""bot/channels/limits.py: in-flight and per-minute limits, one notice, forgetting old keys."""

from __future__ import annotations

import asyncio
from typing import List

import pytest

from bot.channels.limits import PLEASE_WAIT_TEXT, Verdict, VisitorLimits


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_in_flight_limit_then_one_notice_then_silence() -> None:
    limits = VisitorLimits(3, 100, clock=Clock())
    assert [limits.admit("a") for _ in range(3)] == [Verdict.ACCEPT] * 3
    assert limits.admit("a") is Verdict.NOTIFY
    assert limits.admit("a") is Verdict.DROP
    assert limits.admit("b") is Verdict.ACCEPT  # someone else is not affected
    limits.done("a")
    assert limits.admit("a") is Verdict.ACCEPT  # one finished: room for one more


def test_per_minute_limit_counts_a_sliding_window() -> None:
    clock = Clock()
    limits = VisitorLimits(0, 30, clock=clock)  # 0: no in-flight limit
    for _ in range(30):
        assert limits.admit("a") is Verdict.ACCEPT
        limits.done("a")
    assert limits.admit("a") is Verdict.NOTIFY
    clock.now += 59
    assert limits.admit("a") is Verdict.DROP  # told less than a minute ago
    clock.now += 1.5
    assert limits.admit("a") is Verdict.ACCEPT


def test_any_key_over_its_limit_blocks_the_message() -> None:
    limits = VisitorLimits(1, 100, clock=Clock())
    assert limits.admit("conversation:1", "socket:s") is Verdict.ACCEPT
    # A "new chat" on the same socket is still the same socket.
    assert limits.admit("conversation:2", "socket:s") is Verdict.NOTIFY
    assert limits.admit("conversation:3", "socket:t") is Verdict.ACCEPT


def test_the_same_key_twice_counts_once() -> None:
    limits = VisitorLimits(2, 100, clock=Clock())
    assert limits.admit("x", "x") is Verdict.ACCEPT
    assert limits.admit("x", "x") is Verdict.ACCEPT
    assert limits.admit("x") is Verdict.NOTIFY


def test_idle_keys_are_forgotten() -> None:
    clock = Clock()
    limits = VisitorLimits(3, 30, clock=clock)
    for n in range(100):
        limits.admit(f"k{n}")
        limits.done(f"k{n}")
    limits.admit("busy")
    clock.now += 61
    limits.admit("new")
    assert len(limits) == 2  # "busy" still has a message in flight


def test_run_hands_on_or_notifies_once() -> None:
    limits = VisitorLimits(1, 100, clock=Clock())
    handled: List[str] = []
    told: List[str] = []
    release = asyncio.Event()

    async def handle() -> None:
        handled.append("m")
        await release.wait()

    async def notify(text: str) -> None:
        told.append(text)

    async def scenario() -> List[Verdict]:
        first = asyncio.create_task(limits.run(["a"], handle, notify))
        await asyncio.sleep(0)
        others = [await limits.run(["a"], handle, notify) for _ in range(5)]
        release.set()
        return [await first] + others

    verdicts = asyncio.run(scenario())
    assert verdicts == [Verdict.ACCEPT, Verdict.NOTIFY] + [Verdict.DROP] * 4
    assert handled == ["m"] and told == [PLEASE_WAIT_TEXT]
    assert limits.admit("a") is Verdict.ACCEPT  # released when handle() ended


def test_a_failing_handler_still_frees_its_slot() -> None:
    limits = VisitorLimits(1, 100, clock=Clock())

    async def fail() -> None:
        raise RuntimeError("broken")

    async def notify(_: str) -> None:
        pass

    with pytest.raises(RuntimeError):
        asyncio.run(limits.run(["a"], fail, notify))
    assert limits.admit("a") is Verdict.ACCEPT


def test_the_notice_has_no_figures() -> None:
    assert not any(char.isdigit() for char in PLEASE_WAIT_TEXT)
