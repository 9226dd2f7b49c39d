"""The website widget's socket.io channel, end to end against the live Rasa server.

The first test is the proof for rasa#13027: with python-socketio >= 5.10 and
``session_persistence: true`` Rasa's channel never awaits ``enter_room``, so the bot's replies
(sent to the session's room) silently vanish. Here a reply must arrive within a timeout.
The others check what ``bot.channels.socketio.SafeSocketIOInput`` adds: only its own session ids,
no writing into another socket's conversation, cleaned text.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from typing import Any

import pytest

from tests.support.chat import REPLY_TIMEOUT, conversation_of, joined

pytestmark = pytest.mark.rasa_server

#: What session_confirm carries: the conversation id, a dot, its signature.
SESSION_ID_RE = re.compile(r"[0-9a-f]{32}\.[0-9a-f]{32}")


@pytest.mark.parametrize("transport", ["websocket", "polling"])
async def test_bot_reply_arrives_with_session_persistence(chat, transport: str) -> None:
    client = chat()
    session_id = await client.open(transport=transport)
    assert SESSION_ID_RE.fullmatch(session_id), session_id
    await client.say("what are the side effects of mibg?")
    try:
        messages = await client.reply_texts()
    except asyncio.TimeoutError:
        pytest.fail(f"no bot_uttered within {REPLY_TIMEOUT} s (rasa#13027: replies lost)")
    assert "nausea" in joined(messages).lower()


async def test_quick_replies_are_sent_with_the_message(chat) -> None:
    client = chat()
    await client.open()
    await client.say("/greet")
    messages = await client.reply_texts()
    buttons = {b["title"]: b["payload"] for m in messages for b in m.get("quick_replies", [])}
    assert "What is MIBG?" in buttons, messages
    await client.say(buttons["What is MIBG?"])
    assert "norepinephrine" in joined(await client.reply_texts()).lower()


def user_events(stack, conversation: str) -> int:
    with sqlite3.connect(stack.logs / "tracker.db") as db:
        (count,) = db.execute(
            "SELECT COUNT(*) FROM events WHERE sender_id = ? AND type_name = 'user'",
            (conversation,),
        ).fetchone()
    return count


async def test_session_continues_after_reconnect(live_stack, chat) -> None:
    first = chat()
    session_id = await first.open()
    await first.say('/ask_tumour{"tumour": "pheochromocytoma"}')
    assert "88%" in joined(await first.reply_texts())
    await first.close()

    second = chat()  # the widget after a reload: the token from localStorage
    assert await second.open(session_id) == session_id
    await second.say("/ask_tumour")  # "the last tumour": only known in the same tracker
    assert "88%" in joined(await second.reply_texts())
    assert user_events(live_stack, conversation_of(session_id)) == 2


@pytest.mark.parametrize("asked", ["victim", "never-issued", "forged"])
async def test_another_visitors_session_cannot_be_taken_over(chat, asked: str) -> None:
    victim, intruder = chat(), chat()
    victim_session = await victim.open()
    conversation = conversation_of(victim_session)
    attempt = {
        "victim": conversation,  # the id that staff pages, logs and the tracker show
        "never-issued": "0" * 32,
        "forged": conversation + "." + "0" * 32,
    }[asked]
    intruder_session = await intruder.open(attempt)
    assert intruder_session not in (attempt, victim_session)
    assert conversation_of(intruder_session) != conversation

    await victim.say("what are the side effects of mibg?")
    assert "nausea" in joined(await victim.reply_texts()).lower()
    assert intruder.replies.empty()  # the victim's reply went to the victim only
    await intruder.say("what are the side effects of mibg?", session_id=victim_session)
    with pytest.raises(asyncio.TimeoutError):  # nor can the intruder write as the victim
        await asyncio.wait_for(victim.replies.get(), 3)


@pytest.mark.parametrize("asked", ["default", "x" * 32, "../../etc", 42, None])
async def test_only_own_session_ids_are_accepted(chat, asked: Any) -> None:
    client = chat()
    session_id = await client.open(asked)
    assert session_id != asked
    assert SESSION_ID_RE.fullmatch(session_id), session_id


async def test_message_for_another_session_is_ignored(chat) -> None:
    victim, intruder = chat(), chat()
    victim_session = await victim.open()
    await intruder.open()

    await intruder.say("what are the side effects of mibg?", session_id=victim_session)
    # The intruder's own conversation still works, so the server did process its messages...
    await intruder.say("/greet")
    assert "What is MIBG?" in str(await intruder.reply_texts())
    # ...but nothing was written into (and answered in) the victim's conversation.
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(victim.replies.get(), 3)
    assert intruder.replies.empty()


@pytest.mark.parametrize("text", ["   ", "\x00\x07"])
async def test_empty_or_control_only_text_gets_a_polite_answer(chat, text: str) -> None:
    client = chat()
    await client.open()
    await client.say(text)
    messages = await client.reply_texts()
    assert joined(messages).strip(), messages


@pytest.mark.parametrize("transport", ["websocket", "polling"])
async def test_a_client_disconnect_leaves_no_traceback_in_the_log(
    live_stack, chat, transport: str
) -> None:
    log = live_stack.logs / "rasa.log"
    start = log.stat().st_size
    client = chat()
    await client.open(transport=transport)
    await client.say("/greet")
    await client.reply_texts()
    await client.close()
    await asyncio.sleep(2)  # the server notices the closed socket and finishes the request
    with log.open("rb") as stream:
        stream.seek(start)
        logged = stream.read().decode(errors="replace")
    assert "Traceback" not in logged, logged
    assert "Invalid response type" not in logged, logged
