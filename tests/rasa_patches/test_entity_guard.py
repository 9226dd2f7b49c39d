"""``entity-guard``: typed entity values that are not short strings never reach a slot."""

from __future__ import annotations

import pytest
from rasa.core.processor import MessageProcessor

from bot.rasa_patches import entity_guard
from tests.rasa_patches.helpers import patched
from tests.support.stack import ROOT


def regex_entities(text: str) -> list:
    """The entities Rasa's RegexMessageHandler makes of a typed ``/intent{...}`` payload."""
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
    from rasa.shared.nlu.training_data.message import Message

    domain = Domain.load(str(ROOT / "domain.yml"))
    parsed = YAMLStoryReader.unpack_regex_message(Message(data={"text": text}), domain)
    return parsed.get("entities") or []


@pytest.mark.parametrize(
    "payload,kept",
    [
        ('/inform{"tumour": {"a": 1}}', []),
        ('/inform{"tumour": [1, 2, 3]}', []),
        ('/change_field{"form_field": 5}', []),
        ('/ask_tumour{"tumour": {"a":1}}', []),
        ('/ask_tumour{"tumour": "x' + "y" * 300 + '"}', []),
        ('/ask_tumour{"tumour": "pheochromocytoma"}', ["pheochromocytoma"]),
        ('/inform{"tumour": ["carcinoid", 7]}', ["carcinoid"]),
    ],
)
def test_entities_that_are_not_short_strings_are_dropped(payload: str, kept: list) -> None:
    entities = regex_entities(payload)
    assert entities, "Rasa made no entities of the payload"
    assert [e["value"] for e in entity_guard.safe_entities(entities)] == kept


async def test_the_processor_drops_them_from_what_it_parses(monkeypatch) -> None:
    parsed = {"intent": {"name": "inform"}, "entities": regex_entities('/inform{"tumour": [1]}')}
    parsed["entities"].append({"entity": "tumour", "value": "carcinoid"})

    async def parse_message(self, message, *args, **kwargs):
        return parsed

    monkeypatch.setattr(MessageProcessor, "parse_message", parse_message)
    with patched("entity-guard"):
        result = await MessageProcessor.parse_message(None, None)
    assert [e["value"] for e in result["entities"]] == ["carcinoid"]
