"""``retry-replay``: a message sent again with the same client id is answered from the stored
turn, not handled twice (docs/deploy.md)."""

from __future__ import annotations

from typing import Any, Iterator, List

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.processor import MessageProcessor
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa_patches import retry_replay
from tests.rasa_patches.helpers import patched


def conversation() -> List[Any]:
    return [
        UserUttered("hi", message_id="m1"),
        ActionExecuted("utter_greet"),
        BotUttered("Hello!"),
        BotUttered("How can I help?", {"buttons": [{"title": "Yes", "payload": "/affirm"}]}),
        ActionExecuted("action_listen"),
        UserUttered("bye", message_id="m2"),
        BotUttered("Goodbye"),
    ]


def test_replies_to_a_message_are_the_bot_messages_up_to_the_next_user_message() -> None:
    events = conversation()
    assert [e.text for e in retry_replay.replies_to(events, "m1")] == ["Hello!", "How can I help?"]
    assert [e.text for e in retry_replay.replies_to(events, "m2")] == ["Goodbye"]
    assert retry_replay.replies_to(events, "m3") is None


class Store:
    def __init__(self, events: List[Any]) -> None:
        self.events = events

    async def retrieve(self, sender_id: str) -> DialogueStateTracker:
        return DialogueStateTracker.from_events(sender_id, self.events)


class Processor:
    def __init__(self, events: List[Any]) -> None:
        self.tracker_store = Store(events)


@pytest.fixture()
def replaying(monkeypatch: pytest.MonkeyPatch) -> Iterator[List[str]]:
    """``retry-replay`` around a stand-in for Rasa's handling; lists the messages handled."""
    handled: List[str] = []

    async def handle(self: Any, message: UserMessage) -> Any:
        handled.append(message.text)
        await message.output_channel.send_response(message.sender_id, {"text": "new answer"})
        return message.output_channel.messages

    monkeypatch.setattr(MessageProcessor, "handle_message", handle)
    with patched("retry-replay"):
        yield handled


def message(text: str, client_id: Any) -> UserMessage:
    msg = UserMessage(text, CollectingOutputChannel(), "rest:s1", message_id=client_id)
    msg.client_message_id = client_id
    return msg


async def test_a_retried_message_gets_its_stored_replies_and_is_not_handled(replaying) -> None:
    reply = await MessageProcessor.handle_message(Processor(conversation()), message("hi", "m1"))
    assert [m["text"] for m in reply] == ["Hello!", "How can I help?"]
    assert reply[1]["buttons"] == [{"title": "Yes", "payload": "/affirm"}]
    assert replaying == []


async def test_a_message_that_was_not_stored_is_handled(replaying) -> None:
    reply = await MessageProcessor.handle_message(Processor(conversation()), message("hi", "m9"))
    assert [m["text"] for m in reply] == ["new answer"]
    unmarked = UserMessage("hi", CollectingOutputChannel(), "rest:s1", message_id="m1")
    await MessageProcessor.handle_message(Processor(conversation()), unmarked)
    assert replaying == ["hi", "hi"]  # without the channel's mark, ids are not looked up
