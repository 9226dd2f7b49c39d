"""The test and benchmark conversations (tests/support/sample_data.py) say what the product says."""

from __future__ import annotations

from datetime import datetime, timezone

from bot import domain, settings
from bot.content.tumours import ENGLISH_SYNONYMS
from bot.i18n import locales
from tests.support import sample_data

NOW = datetime(2026, 12, 1, 12, tzinfo=timezone.utc)


def conversations() -> list:
    return list(sample_data.generate(40, seed=4, days=10, request_share=0.5, now=NOW))


def test_every_bot_message_is_a_domain_response_in_the_conversations_language() -> None:
    english = domain.load()["responses"]
    languages = set()
    for conversation in conversations():
        language = conversation.language
        for event in sample_data.rasa_events(conversation):
            if event.type_name == "action" and event.action_name == "action_session_start":
                language = conversation.language  # the channel's hint, until a message says
            if event.type_name == "slot" and event.key == "language":
                language = event.value
            if event.type_name != "bot":
                continue
            name = event.metadata["utter_action"]
            assert name in english, name
            text = sample_data.responses(language)[name][0]["text"]
            if "{" not in text:  # no slot to fill in
                assert event.text == text, (name, language)
            languages.add(language)
    assert languages == set(locales.languages())


def test_tumours_and_notice_version_are_the_products() -> None:
    found = conversations()
    tumour_turns = [t for c in found for t in c.turns if t.intent == "ask_tumour"]
    assert tumour_turns
    for turn in tumour_turns:
        (key,) = (value for name, value in turn.entities if name == "tumour")
        assert any(word in turn.text for word in ENGLISH_SYNONYMS[key]), turn.text
    requests = [c.request for c in found if c.request]
    assert requests
    assert {r.notice_version for r in requests} == {settings.load().privacy_notice_version}
