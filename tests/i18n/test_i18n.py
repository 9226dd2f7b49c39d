"""Which language a conversation speaks: detection, channel hints, the slot and the fallbacks
(bot/i18n)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, Dict, Optional

import pytest

from bot.channels.messages import PayloadTokens
from bot.channels.telegram import parse_update
from bot.i18n import detect, hint, locales
from bot.i18n.conversation import conversation_language


class FakeTracker:
    def __init__(self, **slots: Any) -> None:
        self.slots = slots

    def get_slot(self, name: str) -> Any:
        return self.slots.get(name)


@pytest.fixture(scope="module")
def classifier() -> Any:
    return detect.train_classifier(*detect.labelled_examples())


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Hat die Behandlung Nebenwirkungen?", "de"),
        ("wie lange dauert die behandlung", "de"),
        ("Mein Mann hat Atemnot und Schmerzen in der Brust", "de"),
        ("у меня сильная боль в груди", "ru"),
        ("какие побочные эффекты у терапии", "ru"),
        ("what are the side effects of mibg", "en"),
        ("my dad has a pheochromocytoma, what are his chances", "en"),
    ],
)
def test_the_language_of_a_message(classifier: Any, text: str, expected: str) -> None:
    assert detect.detect(text, classifier) == expected


@pytest.mark.parametrize("text", ["ok", "MIBG?", "danke", "да", "pheo", "/affirm", ""])
def test_short_messages_keep_the_conversations_language(classifier: Any, text: str) -> None:
    assert detect.detect(text, classifier) is None


@pytest.mark.parametrize(
    "text,intent,expected",
    [
        ("auf deutsch bitte", None, "de"),  # the language's own switch phrase always decides
        ("по-русски пожалуйста", None, "ru"),
        ("English please", "switch_language", "en"),
        ("bitte auf Englisch", "switch_language", "en"),  # German words, English wanted
        ("german please", "switch_language", "de"),
    ],
)
def test_a_switch_request_names_the_language(
    classifier: Any, text: str, intent: Optional[str], expected: str
) -> None:
    assert detect.detect(text, classifier, intent) == expected


@pytest.mark.parametrize(
    "text",
    ["i dont speak german, interpreter?", "I don't speak German", "we do not speak english",
     "ich spreche kein deutsch", "я не говорю по-русски"],
)  # fmt: skip
def test_a_negated_language_is_not_a_request_for_it(text: str) -> None:
    assert detect.requested_language(text) is None


def test_a_switch_request_is_not_taught_as_its_languages_text() -> None:
    texts, _ = detect.labelled_examples()
    assert texts and not [t for t in texts if detect.requested_language(t)]


def test_a_country_is_not_a_language_request() -> None:
    assert detect.requested_language("treatment in germany") is None
    assert detect.requested_language("behandlung in deutschland") is None


@pytest.mark.parametrize(
    "given,expected",
    [("de-AT", "de"), ("RU", "ru"), ("ru_RU", "ru"), ("fr", "en"), (None, "en"), (5, "en")],
)
def test_browser_and_messenger_codes_are_normalised(given: Any, expected: str) -> None:
    assert locales.normalise(given) == expected


def test_only_a_known_language_from_a_client_is_kept() -> None:
    assert hint.channel_metadata({"language": "de-DE"}) == {"language": "de"}
    assert hint.channel_metadata({"language": "fr"}) is None
    assert hint.channel_metadata({"language": "x" * 100}) is None
    assert hint.channel_metadata({"name": "Anna", "language": "ru"}) == {"language": "ru"}
    assert hint.channel_metadata("de") is None


def test_the_first_message_names_the_first_replys_language() -> None:
    message = SimpleNamespace(text="Wie lange dauert die Behandlung?", metadata=None)
    hint.annotate(message)
    assert message.metadata == {hint.DETECTED_KEY: "de"}
    payload = SimpleNamespace(text="/greet", metadata=None)
    hint.annotate(payload)
    assert payload.metadata is None


@pytest.mark.parametrize(
    "slots,expected",
    [
        ({"language": "ru"}, "ru"),
        ({"language": "xx"}, "en"),
        ({"session_started_metadata": {"language": "de"}}, "de"),
        # What the message says beats what the page or the app is set to.
        ({"session_started_metadata": {"language": "de", "language_detected": "ru"}}, "ru"),
        ({"language": "en", "session_started_metadata": {"language": "de"}}, "en"),
        ({}, "en"),
    ],
)
def test_the_conversations_language(slots: Dict[str, Any], expected: str) -> None:
    assert conversation_language(FakeTracker(**slots)) == expected


def test_telegram_passes_the_users_app_language() -> None:
    update = {
        "update_id": 7,
        "message": {
            "text": "Hallo",
            "chat": {"id": 42, "type": "private"},
            "from": {"id": 42, "language_code": "de-DE"},
        },
    }
    incoming = parse_update(update, PayloadTokens())
    assert incoming is not None and incoming.language_code == "de-DE"
    assert hint.channel_metadata({"language": incoming.language_code}) == {"language": "de"}


@pytest.mark.parametrize("text", ["Olena Shevchenko", "Ilse Beispiel", "Иван Петров"])
def test_a_form_answer_does_not_change_the_language(classifier: Any, text: str) -> None:
    assert detect.detect(text, classifier, "inform") is None


@pytest.mark.parametrize("text", ["Jonas Behalten", "Maria García López", "Анна Иванова"])
def test_a_name_whatever_the_classifier_says_does_not_change_it(classifier: Any, text: str) -> None:
    assert detect.detect(text, classifier, "out_of_scope") is None
    assert detect.looks_like_a_name(text)
    assert not detect.looks_like_a_name("Hat die Behandlung Nebenwirkungen?")


def test_the_first_reply_uses_the_served_models_classifier(classifier: Any) -> None:
    """Russian in Latin letters fools py3langid ("en"); the model's own classifier knows it."""
    text = "u papy neiroblastoma kakie shansy na vyzdorovlenie"
    assert detect.langid_language(text) == "en"
    detect.serve(classifier)
    try:
        message = SimpleNamespace(text=text, metadata=None)
        hint.annotate(message)
        assert message.metadata == {hint.DETECTED_KEY: "ru"}
    finally:
        detect.serve(None)


def test_my_data_is_described_in_the_conversations_language() -> None:
    from actions.privacy_requests import describe

    record = {
        "reference": "MIBG-ABC123",
        "status": "new",
        "full_name": "Anna",
        "country": "Austria",
    }
    german = describe([record], "de")
    assert "Anfrage MIBG-ABC123" in german and "- Land: Österreich" in german
    assert "- Nachricht: nicht angegeben" in german
    assert "- Country: Austria" in describe([record])


def test_one_message_is_told_once(classifier: Any) -> None:
    """The first-reply hint and the NLU ask the same of the same message: one guess serves."""
    text = "wie lange dauert die behandlung mit mibg eigentlich"
    detect.guess.cache_clear()
    assert detect.detect(text, classifier) == detect.detect(text, classifier, "ask_dosing") == "de"
    info = detect.guess.cache_info()
    assert (info.misses, info.hits) == (1, 1)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("speak russian please", "ru"),
        ("do you speak russian", "ru"),
        ("and will somebody speak russian for us", "en"),  # an interpreter, not our replies
        ("do the doctors speak russian", "en"),
    ],
)
def test_someone_else_speaking_a_language_is_no_switch(text: str, expected: str) -> None:
    assert detect.detect(text) == expected
