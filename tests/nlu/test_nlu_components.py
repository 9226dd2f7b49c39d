"""The spaCy rule components: tumour names (with typos) and the emergency override."""

from __future__ import annotations

from typing import List

import pytest
import spacy
from rasa.nlu.utils.spacy_utils import SpacyModel
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.emergency_override import EmergencyIntentOverride
from bot.nlu.vocabulary import BareTumourIntent, TumourEntityExtractor

NLP = spacy.blank("en")
MODEL = SpacyModel(model=NLP, model_name="blank")


def tumours_in(text: str) -> List[str]:
    (message,) = TumourEntityExtractor({}).process([Message(data={"text": text})], MODEL)
    return [e["value"] for e in message.get("entities", [])]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("does mibg work for pheo?", ["pheochromocytoma"]),
        ("Phaeochromocytoma results", ["pheochromocytoma"]),
        ("my dad has pheocromocitoma", ["pheochromocytoma"]),  # typo, close match
        ("what about PPGL", ["ppgl"]),
        ("MTC with liver mets", ["medullary_thyroid_cancer"]),
        ("cancer of tyroid", ["medullary_thyroid_cancer"]),
        ("thyroid operation, medullary type, now back", ["medullary_thyroid_cancer"]),
        ("thyroid surgery for medullary ca in 2015, now recurrence", ["medullary_thyroid_cancer"]),
        ("my mom has papillary thyroid cancer", []),  # another thyroid cancer
        ("neuroendocrine tumour of the gut", ["carcinoid"]),
        ("nueroblastoma in my son", ["neuroblastoma"]),
        ("carcinoid and paraganglioma", ["carcinoid", "paraganglioma"]),
        ("is it a NET?", ["neuroendocrine"]),
        ("what does it cost on the internet network", []),
        ("how does the therapy work", []),
    ],
)
def test_tumour_names_abbreviations_and_typos(text: str, expected: List[str]) -> None:
    assert tumours_in(text) == expected


def test_entity_offsets_point_at_the_text() -> None:
    text = "Does it help with medullary thyroid carcinoma?"
    (message,) = TumourEntityExtractor({}).process([Message(data={"text": text})], MODEL)
    (found,) = message.get("entities")
    assert text[found["start"] : found["end"]] == "medullary thyroid carcinoma"
    assert found["extractor"] == "TumourEntityExtractor"


def classify(text: str, intent: str = "ask_side_effects", confidence: float = 0.7) -> dict:
    message = Message(data={"text": text})
    message.set("intent", {"name": intent, "confidence": confidence})
    message.set("intent_ranking", [{"name": intent, "confidence": confidence}])
    (message,) = EmergencyIntentOverride({}).process([message], MODEL)
    return message.get("intent")


@pytest.mark.parametrize(
    "text",
    [
        "my father has CHEST PAIN after the injection",
        "she cant breathe",
        "he fainted and is unconscious",
        "i want to kill myself",
        "i dont want to live anymore",
        "I took too many pills",
    ],
)
def test_emergencies_override_the_classifier(text: str) -> None:
    assert classify(text) == {"name": "emergency", "confidence": 1.0}


@pytest.mark.parametrize("text", ["what are the side effects", "is mibg painful", "/ask_costs"])
def test_other_messages_keep_their_intent(text: str) -> None:
    assert classify(text)["name"] == "ask_side_effects"


def rank(text: str, ranking: list) -> dict:
    message = Message(data={"text": text})
    message.set("intent", dict(ranking[0]))
    message.set("intent_ranking", ranking)
    (message,) = EmergencyIntentOverride({}).process([message], MODEL)
    return message


@pytest.mark.parametrize(
    "text,expected",
    [
        ("and is the throwing up constant?", "ask_side_effects"),  # a question about the therapy
        ("does the nausea last long", "ask_side_effects"),
        ("is the throwing up constant? he cant breathe", "emergency"),  # acute: a phrase
        ("is it bad that my dad is throwing up right now", "emergency"),  # someone, now
    ],
)
def test_a_general_question_is_not_the_classifiers_emergency(text: str, expected: str) -> None:
    ranking = [
        {"name": "emergency", "confidence": 0.54},
        {"name": "ask_side_effects", "confidence": 0.2},
    ]
    message = rank(text, ranking)
    assert message.get("intent")["name"] == expected
    assert message.get("intent_ranking")[0]["name"] == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("she had anaphylaxis to penicillin before. can she do mibg", "ask_contraindications"),
        ("my father had a heart attack 2 years ago, can he get mibg", "ask_contraindications"),
        ("she had a seizure just now", "emergency"),  # the past, but now
        ("he had a stroke, now he cant move his arm", "emergency"),
        ("she is having a seizure, she had one before", "emergency"),
        ("my dad collapsed", "emergency"),  # no word of the past: it is happening
        ("i had suicidal thoughts before", "emergency"),  # never taken as history
    ],
)
def test_an_emergency_told_as_past_history_is_not_an_emergency(text: str, expected: str) -> None:
    for classified in ("ask_contraindications", "emergency"):  # the override, the take-back
        ranking = [
            {"name": classified, "confidence": 0.6},
            {"name": "ask_contraindications" if classified == "emergency" else "emergency",
             "confidence": 0.2},
        ]  # fmt: skip
        assert rank(text, ranking).get("intent")["name"] == expected, classified


@pytest.mark.parametrize(
    "text,expected",
    [
        ("pheo", "ask_tumour"),
        ("neuroblastoma?", "ask_tumour"),
        ("what about MTC", "ask_tumour"),
        ("my mother has carcinoid with liver metastases, can she get it", "personal_case"),
        ("/inform", "personal_case"),
    ],
)
def test_a_bare_tumour_name_is_a_tumour_question(text: str, expected: str) -> None:
    (message,) = TumourEntityExtractor({}).process([Message(data={"text": text})], MODEL)
    message.set("intent", {"name": "personal_case", "confidence": 0.3})
    (message,) = BareTumourIntent({"intent": "ask_tumour"}).process([message])
    assert message.get("intent")["name"] == expected


@pytest.mark.parametrize(
    "text,intent,expected",
    [
        ("which drugs exactly", "affirm", "ask_preparation"),  # a question, no yes in it
        ("how fast do they call", "deny", "ask_preparation"),
        ("какие лекарства", "affirm", "ask_preparation"),
        ("ok?", "affirm", "affirm"),  # answers the offer
        ("what if I say no?", "deny", "deny"),
        ("yes please", "affirm", "affirm"),
        ("which drugs exactly", "ask_costs", "ask_costs"),  # only yes, no and stop are dropped
        ("when i stop them", "cancel", "ask_preparation"),  # about the medicines to stop
        ("how do i stop this", "cancel", "cancel"),  # asks to stop
    ],
)
def test_a_question_is_not_a_yes(text: str, intent: str, expected: str) -> None:
    from bot.nlu.not_a_yes import QuestionIsNotAYes

    ranking = [
        {"name": intent, "confidence": 0.6},
        {"name": "ask_preparation", "confidence": 0.2},
    ]
    message = Message(data={"text": text, "intent": ranking[0], "intent_ranking": ranking})
    (message,) = QuestionIsNotAYes({}).process([message])
    assert message.get("intent")["name"] == expected
    assert message.get("intent_ranking")[0]["name"] == expected
