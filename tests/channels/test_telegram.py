"""The Telegram channel, offline: real Update payloads in, Bot API calls to a fake on localhost."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from pathlib import Path
from typing import Any, AsyncIterator, Dict, List, Tuple

import pytest
from channel_harness import (
    BUTTONS,
    BUTTONS_QUESTION,
    LONG_REPLY,
    Answer,
    Call,
    FakeAgent,
    FakePlatform,
    serve,
    settle,
)
from rasa.core.run import create_http_input_channels

from bot.channels.limits import PLEASE_WAIT_TEXT
from bot.channels.messages import TOKEN_PREFIX, utf16_len
from bot.channels.telegram import SECRET_HEADER, SecureTelegramInput
from bot.channels.text import SERVICE_ERROR_TEXT

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123456789:AAHoffline-test-token_not-real"
SECRET = "offline-Secret_token-42"
WEBHOOK = "/webhooks/telegram/webhook"
UPDATE_IDS = itertools.count(815000001)
USER = {
    "id": 1111111,
    "is_bot": False,
    "first_name": "Zebulon",
    "last_name": "Quade",
    "username": "zquade",
    "language_code": "en",
}
PRIVATE_CHAT = {
    "id": 1111111,
    "first_name": "Zebulon",
    "last_name": "Quade",
    "username": "zquade",
    "type": "private",
}
GROUP_CHAT = {"id": -1001234567890, "title": "Patients", "type": "supergroup"}
BOT_USER = {"id": 123456789, "is_bot": True, "first_name": "MIBG", "username": "mibg_test_bot"}


class TelegramApi:
    """Answers every Bot API call like Telegram does (a real server on localhost)."""

    def __init__(self, platform: FakePlatform) -> None:
        self.platform = platform

    @staticmethod
    def answer(call: Call) -> Answer:
        assert call.path.startswith(f"/bot{TOKEN}/"), "the bot token is part of the path"
        result: Any = True
        if call.path.endswith("/sendMessage"):
            chat = {"id": int(call.fields["chat_id"]), "type": "private"}
            result = {"message_id": 1, "date": 0, "chat": chat, "text": call.fields["text"]}
        return 200, {"ok": True, "result": result}, {}

    @property
    def calls(self) -> List[Tuple[str, Dict[str, str]]]:
        """(method, form fields) of every call, in order."""
        return [(call.path.rsplit("/", 1)[1], call.fields) for call in self.platform.calls]

    def sent(self) -> List[Dict[str, Any]]:
        """The sendMessage calls, reply_markup parsed."""
        return [
            {**fields, "reply_markup": json.loads(fields.get("reply_markup") or "null")}
            for method, fields in self.calls
            if method == "sendMessage"
        ]


def text_update(text: str, chat: Dict[str, Any] | None = None) -> Dict[str, Any]:
    message = {
        "message_id": 1365,
        "from": USER,
        "chat": chat or PRIVATE_CHAT,
        "date": 1764000000,
        "text": text,
    }
    return {"update_id": next(UPDATE_IDS), "message": message}


def button_update(data: str, keyboard: List[List[Dict[str, str]]]) -> Dict[str, Any]:
    message = {
        "message_id": 1366,
        "from": BOT_USER,
        "chat": PRIVATE_CHAT,
        "date": 1764000001,
        "text": BUTTONS_QUESTION,
        "reply_markup": {"inline_keyboard": keyboard},
    }
    query = {
        "id": "4382bfdwdsb323b2d9",
        "from": USER,
        "message": message,
        "chat_instance": "-8412375120971",
        "data": data,
    }
    return {"update_id": next(UPDATE_IDS), "callback_query": query}


NOT_FOR_THE_ASSISTANT = {
    "my_chat_member": {
        "update_id": 815000003,
        "my_chat_member": {
            "chat": PRIVATE_CHAT,
            "from": USER,
            "date": 1764000002,
            "old_chat_member": {"user": BOT_USER, "status": "member"},
            "new_chat_member": {"user": BOT_USER, "status": "kicked", "until_date": 0},
        },
    },
    "edited_message": {
        "update_id": 815000004,
        "edited_message": {**text_update("edited")["message"], "edit_date": 1764000100},
    },
    "sticker": {
        "update_id": 815000005,
        "message": {
            **{k: v for k, v in text_update("")["message"].items() if k != "text"},
            "sticker": {
                "file_id": "CAACAgIAAxkBAAI",
                "file_unique_id": "AgADBAAD",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "emoji": "\U0001f44d",
            },
        },
    },
    "photo": {
        "update_id": 815000006,
        "message": {
            **{k: v for k, v in text_update("")["message"].items() if k != "text"},
            "photo": [{"file_id": "AgACAgIAAx", "file_unique_id": "AQAD", "width": 90}],
            "caption": "my scan",
        },
    },
    "group_text": text_update("what is mibg", chat=GROUP_CHAT),
    "not_an_object": [1, 2, 3],
    "chat_id_not_a_number": text_update("hi", chat={**PRIVATE_CHAT, "id": "1111111"}),
    "button_without_message": {
        "update_id": 815000007,
        "callback_query": {"id": "1", "from": USER, "chat_instance": "-1", "data": "/greet"},
    },
}


@pytest.fixture
async def telegram_api(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[TelegramApi]:
    async with FakePlatform(TelegramApi.answer) as platform:
        monkeypatch.setenv("TELEGRAM_API_URL", platform.url)
        yield TelegramApi(platform)


@pytest.fixture
def env(
    no_channel_env: None, monkeypatch: pytest.MonkeyPatch, telegram_api: TelegramApi
) -> pytest.MonkeyPatch:
    monkeypatch.setenv("TELEGRAM_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_SECRET_TOKEN", SECRET)
    return monkeypatch


@pytest.fixture
def channel(env: pytest.MonkeyPatch) -> SecureTelegramInput:
    channel = SecureTelegramInput.from_credentials(None)
    assert channel.enabled
    return channel


async def post(client: Any, update: Any, secret: str | None = SECRET) -> Any:
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    return await client.post(WEBHOOK, json=update, headers=headers)


@pytest.mark.parametrize(
    "secret",
    [None, "", "wrong", SECRET + "x", SECRET[:-1], SECRET.upper(), b"\xe9" + SECRET.encode()],
)
async def test_a_request_without_the_secret_token_is_refused(
    channel: SecureTelegramInput, agent: FakeAgent, telegram_api: TelegramApi, secret: str
) -> None:
    async with serve(channel, agent) as client:
        reply = await post(client, text_update("hello"), secret=secret)
    assert reply.status_code == 403
    assert agent.messages == []
    assert telegram_api.calls == []


@pytest.mark.parametrize("kind", sorted(NOT_FOR_THE_ASSISTANT))
async def test_updates_other_than_private_text_are_acknowledged_and_dropped(
    channel: SecureTelegramInput, agent: FakeAgent, telegram_api: TelegramApi, kind: str
) -> None:
    async with serve(channel, agent) as client:
        reply = await post(client, NOT_FOR_THE_ASSISTANT[kind])
    assert reply.status_code == 200
    assert agent.messages == []
    assert telegram_api.calls == []


async def test_a_text_message_reaches_rasa_cleaned_and_buttons_become_an_inline_keyboard(
    channel: SecureTelegramInput, agent: FakeAgent, telegram_api: TelegramApi
) -> None:
    async with serve(channel, agent) as client:
        reply = await post(client, text_update("  what is cafe\u0301\x00 therapy?\x07 "))
    assert reply.status_code == 200
    [message] = agent.messages
    assert message.text == "what is caf\u00e9 therapy?"
    assert message.sender_id == "1111111"
    assert message.input_channel == "telegram"
    [sent] = telegram_api.sent()
    keyboard = sent["reply_markup"]["inline_keyboard"]
    assert sent["chat_id"] == "1111111"
    assert sent["text"] == BUTTONS_QUESTION
    assert [[button["text"]] for [button] in keyboard] == [[b["title"]] for b in BUTTONS]
    # The first two payloads fit in 64 bytes and go as they are; the third is a short token.
    assert [button["callback_data"] for [button] in keyboard[:2]] == [
        b["payload"] for b in BUTTONS[:2]
    ]
    token = keyboard[2][0]["callback_data"]
    assert token.startswith(TOKEN_PREFIX) and len(token.encode()) <= 64
    assert telegram_api.calls == [("sendMessage", telegram_api.calls[0][1])]


async def test_a_button_press_passes_its_payload_and_stops_the_spinner(
    channel: SecureTelegramInput, agent: FakeAgent, telegram_api: TelegramApi
) -> None:
    payload = BUTTONS[0]["payload"]
    keyboard = [[{"text": BUTTONS[0]["title"], "callback_data": payload}]]
    async with serve(channel, agent) as client:
        reply = await post(client, button_update(payload, keyboard))
    assert reply.status_code == 200
    [message] = agent.messages
    assert (message.text, message.sender_id) == (payload, "1111111")
    methods = [method for method, _ in telegram_api.calls]
    assert methods == ["answerCallbackQuery", "sendMessage"]
    assert telegram_api.calls[0][1]["callback_query_id"] == "4382bfdwdsb323b2d9"


async def test_a_payload_over_64_bytes_comes_back_whole_or_as_its_title_after_a_restart(
    env: pytest.MonkeyPatch, agent: FakeAgent, telegram_api: TelegramApi
) -> None:
    channel = SecureTelegramInput.from_credentials(None)
    async with serve(channel, agent) as client:
        await post(client, text_update("which tumours?"))
        await settle(channel)
        keyboard = telegram_api.sent()[0]["reply_markup"]["inline_keyboard"]
        token = keyboard[2][0]["callback_data"]
        await post(client, button_update(token, keyboard))
    assert agent.messages[1].text == BUTTONS[2]["payload"]

    restarted = SecureTelegramInput.from_credentials(None)  # forgets the tokens it never sent
    async with serve(restarted, agent) as client:
        await post(client, button_update(token, keyboard))
    assert agent.messages[2].text == BUTTONS[2]["title"]


async def test_a_long_answer_is_split_at_paragraphs_within_4096_characters(
    channel: SecureTelegramInput, agent: FakeAgent, telegram_api: TelegramApi
) -> None:
    async with serve(channel, agent) as client:
        await post(client, text_update("long answer please"))
    parts = [sent["text"] for sent in telegram_api.sent()]
    assert len(parts) == 2
    assert all(utf16_len(part) <= 4096 for part in parts)
    paragraphs = LONG_REPLY.split("\n\n")
    assert [p for part in parts for p in part.split("\n\n")] == paragraphs
    assert all(sent["reply_markup"] is None for sent in telegram_api.sent())


async def test_start_becomes_the_greet_intent(
    channel: SecureTelegramInput, agent: FakeAgent, telegram_api: TelegramApi
) -> None:
    async with serve(channel, agent) as client:
        await post(client, text_update("/start"))
        await post(client, text_update("/start@mibg_test_bot"))
        await post(client, text_update("/starting"))
    assert [m.text for m in agent.messages] == ["/greet", "/greet", "/starting"]


async def test_a_failure_in_rasa_still_answers_the_patient_and_telegram(
    channel: SecureTelegramInput, agent: FakeAgent, telegram_api: TelegramApi
) -> None:
    async with serve(channel, agent) as client:
        reply = await post(client, text_update("fail please"))
    assert reply.status_code == 200  # a 5xx would make Telegram deliver the update again
    assert [sent["text"] for sent in telegram_api.sent()] == [SERVICE_ERROR_TEXT]


async def test_neither_text_nor_names_reach_the_log(
    channel: SecureTelegramInput,
    agent: FakeAgent,
    telegram_api: TelegramApi,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    async with serve(channel, agent) as client:
        await post(client, text_update("my son has neuroblastoma xyzzy"))
        await post(client, text_update("fail please"))
    assert len(agent.messages) == 2 and len(telegram_api.sent()) == 2
    for private in ("xyzzy", "fail please", "Zebulon", "zquade", BUTTONS_QUESTION, "Something"):
        assert private not in caplog.text


async def test_the_webhook_is_registered_with_the_secret_once_the_server_runs(
    env: pytest.MonkeyPatch, agent: FakeAgent, telegram_api: TelegramApi
) -> None:
    url = "https://chat.example.org/webhooks/telegram/webhook"
    env.setenv("TELEGRAM_WEBHOOK_URL", url)
    channel = SecureTelegramInput.from_credentials(None)
    channel.blueprint(agent.handle_message)
    assert telegram_api.calls == []  # building the app makes no call
    async with serve(channel, agent):
        for _ in range(200):
            if telegram_api.calls:
                break
            await asyncio.sleep(0.02)
    [(method, fields)] = telegram_api.calls
    assert method == "setWebhook"
    assert fields["url"] == url
    assert fields["secret_token"] == SECRET
    assert json.loads(fields["allowed_updates"]) == ["message", "callback_query"]


@pytest.mark.parametrize(
    "variables",
    [
        {},
        {"TELEGRAM_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_URL": "https://chat.example.org/x"},
        {"TELEGRAM_SECRET_TOKEN": SECRET},
        {"TELEGRAM_TOKEN": TOKEN, "TELEGRAM_SECRET_TOKEN": "has spaces"},
        {"TELEGRAM_TOKEN": "not-a-token", "TELEGRAM_SECRET_TOKEN": SECRET},
    ],
)
async def test_without_its_settings_the_channel_is_off_and_silent(
    no_channel_env: None,
    monkeypatch: pytest.MonkeyPatch,
    agent: FakeAgent,
    telegram_api: TelegramApi,
    variables: Dict[str, str],
) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    channel = SecureTelegramInput.from_credentials(None)
    assert not channel.enabled
    assert channel.get_output_channel() is None
    async with serve(channel, agent) as client:
        replies = [
            await post(client, text_update("hello")),
            await post(client, text_update("hello"), secret=None),
            await client.get("/webhooks/telegram/"),
        ]
        await asyncio.sleep(0.1)  # time for a (wrong) background setWebhook to show up
    assert [reply.status_code for reply in replies] == [404, 404, 404]
    assert agent.messages == []
    assert telegram_api.calls == []


def test_credentials_yml_lists_the_channel_and_loads_it_from_the_environment(
    no_channel_env: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    from rasa.shared.utils.io import read_config_file

    key = "bot.channels.telegram.SecureTelegramInput"
    assert key in read_config_file(str(ROOT / "credentials.yml"))
    credentials = tmp_path / "credentials.yml"
    credentials.write_text(f"{key}:\n")
    [off] = create_http_input_channels(None, str(credentials))
    assert isinstance(off, SecureTelegramInput) and not off.enabled
    monkeypatch.setenv("TELEGRAM_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_SECRET_TOKEN", SECRET)
    [on] = create_http_input_channels(None, str(credentials))
    assert on.enabled and (on.access_token, on.secret_token) == (TOKEN, SECRET)


async def test_a_chat_over_its_message_limit_gets_one_please_wait_and_is_dropped(
    env: pytest.MonkeyPatch, agent: FakeAgent, telegram_api: TelegramApi
) -> None:
    env.setenv("MAX_MESSAGES_PER_MINUTE", "2")
    channel = SecureTelegramInput.from_credentials(None)
    async with serve(channel, agent) as client:
        replies = [await post(client, text_update(f"question {n}")) for n in range(5)]
    assert [reply.status_code for reply in replies] == [200] * 5  # no redelivery
    assert [m.text for m in agent.messages] == ["question 0", "question 1"]
    texts = [sent["text"] for sent in telegram_api.sent()]
    assert texts == [BUTTONS_QUESTION, BUTTONS_QUESTION, PLEASE_WAIT_TEXT]
