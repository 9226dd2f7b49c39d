"""A bare name is a form answer, whatever word it happens to be in German or Russian."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.name_answer import NameAnswer


def classified(text: str, intent: str, entities: list = ()) -> Message:
    message = Message(data={"text": text})
    message.set("intent", {"name": intent, "confidence": 0.9})
    message.set("entities", list(entities))
    NameAnswer({}).process([message])
    return message


@pytest.mark.parametrize(
    "text,intent",
    [
        ("Karl Widerruf", "withdraw_consent"),
        ("Lena Formular", "request_treatment"),
        ("Jonas Behalten", "out_of_scope"),
        ("Мария Удалить", "erase_data"),
    ],
)
def test_a_name_is_an_answer(text: str, intent: str) -> None:
    assert classified(text, intent).get("intent")["name"] == "inform"


@pytest.mark.parametrize(
    "text,intent",
    [
        ("Thank You", "thanks"),  # not an intent a name is mistaken for
        ("delete my data", "erase_data"),  # not capitalised: a request
        ("Delete", "erase_data"),  # one word
        ("What Is MIBG?", "ask_what_is_mibg"),
        ("Karl Widerruf wants to cancel the request please", "withdraw_consent"),
    ],
)
def test_other_messages_keep_their_intent(text: str, intent: str) -> None:
    assert classified(text, intent).get("intent")["name"] == intent


def test_a_tumour_is_not_a_name() -> None:
    entity = {"entity": "tumour", "value": "neuroblastoma", "start": 0, "end": 12}
    assert (
        classified("Neuroblastoma Results", "out_of_scope", [entity]).get("intent")["name"]
        == "out_of_scope"
    )
