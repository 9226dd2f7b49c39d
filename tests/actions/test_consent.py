"""Clear yes, clear no, or unclear: the consent and "Shall I send it?" steps (issue #12, item 1).

One table of phrasings, each with the NLU reading it is tested under (mostly ``affirm``: the
NLU read "not yes" and "ok?" as affirm, which is how consent was taken from them) and its
expected class. Each row is checked three times: the classifier, the consent step of the form,
and the summary step of the form.
"""

from __future__ import annotations

from typing import Any, List, NamedTuple, Optional

import pytest

from actions.consent import Answer, classify, mentions_yes_or_no
from actions.treatment_request_form import ValidateTreatmentRequestForm
from tests.form_helpers import FILLED, run, slot_values, tracker

YES, NO, UNCLEAR = Answer.YES, Answer.NO, Answer.UNCLEAR
FORM = ValidateTreatmentRequestForm()
BEFORE_SUMMARY = FILLED


class Row(NamedTuple):
    kind: str
    text: str
    expected: Answer
    intent: Optional[str] = "affirm"
    confidence: float = 0.9


def rows(kind: str, expected: Answer, texts: List[str], intent: Optional[str] = "affirm"):
    return [Row(kind, text, expected, intent) for text in texts]


TABLE: List[Row] = [
    *rows(
        "affirmative",
        YES,
        [
            "yes",
            "Yes.",
            "YES!",
            "yes please",
            "Yes, please.",
            "sure",
            "of course",
            "i agree",
            "I agree.",
            "agreed",
            "ok",
            "okay",
            "OK!",
            "fine",
            "go ahead",
            "yes send it",
            "Yes, please send it",
            "yeah",
            "yep",
            "yup",
            "absolutely",
            "alright",
            "all right",
            "i accept",
            "I consent",
            "yes i agree",
            "Yes, I agree!",
            "that's fine",
            "yes that is correct",
            "correct",
            "ok thanks",
            "yes thank you",
            "go on",
            "for sure",
            "I do",
            "Yes, I am happy for you to store my details",
            "yes yes",
        ],
    ),  # fmt: skip
    *rows(
        "typo",
        YES,
        ["yse", "yess", "yesss", "okey", "ye", "okk", "agreee", "yeahh", "ya", "k", "Okay!!"],
    ),
    *rows(
        "other language, alone",
        YES,
        ["da", "tak", "ja", "si", "sí", "oui", "да", "oui oui", "tak tak", "Ja!"]
        + ["oui merci", "tak, dziękuję", "si gracias"],
    ),
    *rows(
        "other language, not alone",
        UNCLEAR,
        ["ja nein", "tak no", "si?", "oui mais non", "da nein", "да нет"],
    ),
    # The yes and no of the languages we speak (bot/locales/*/vocabulary.yml).
    *rows(
        "our languages",
        YES,
        ["ja ok", "ja bitte", "ich stimme zu", "einverstanden", "да", "согласен", "да конечно"],
    ),
    *rows(
        "our languages' refusals",
        NO,
        ["nein danke", "nicht einverstanden", "ich stimme nicht zu", "не согласен", "нет"],
    ),
    Row("payload", "/affirm", YES, "affirm", 1.0),
    Row("payload", "/deny", NO, "deny", 1.0),
    Row("payload", '/affirm{"privacy_consent": true}', UNCLEAR, "affirm", 1.0),
    Row("payload", "/AFFIRM", UNCLEAR, "affirm", 1.0),
    Row("payload", "/greet", UNCLEAR, "greet", 1.0),
    Row("payload", "/thanks", UNCLEAR, "thanks", 1.0),
    *rows(
        "negative",
        NO,
        [
            "no",
            "No.",
            "no thanks",
            "no thank you",
            "nope",
            "nah",
            "never",
            "noo",
            "i do not agree",
            "I don't agree",
            "I dont agree",
            "i disagree",
            "i refuse",
            "no way",
            "absolutely not",
            "of course not",
            "I'd rather not",
            "please don't",
            "no, i do not want that",
            "I don't consent",
            "I will never agree",
            "i decline",
            "I cannot accept",
            "no no",
            "nein",
            "nie",
            "non",
            "nein danke",
        ],
        intent="deny",
    ),  # fmt: skip
    # The NLU read these as affirm ("agree" is in them); the text is a plain refusal.
    *rows("negative, NLU said affirm", NO, ["i do not agree", "I don't accept", "i disagree"]),
    # Words outside the lists: a no only when the NLU is confident it is one.
    Row("negative, unknown words", "no, I don't want my name stored anywhere", NO, "deny"),
    Row("negative, unknown words", "no, I don't want my name stored anywhere", UNCLEAR, "affirm"),
    Row(
        "negative, unknown words", "no, I don't want my name stored anywhere", UNCLEAR, "deny", 0.5
    ),
    *rows(
        "negated affirmative",
        UNCLEAR,
        [
            "not yes",
            "I don't say yes",
            "I will not say yes",
            "not ok",
            "not okay",
            "don't send it",
            "I won't confirm",
            "not fine",
            "never yes",
            "i do not say yes",
        ],
    ),  # fmt: skip
    *rows(
        "question",
        UNCLEAR,
        [
            "yes?",
            "ok?",
            "agree?",
            "do I have to agree?",
            "is it ok?",
            "ok??",
            "sure?",
            "can I say yes later",
            "must I agree",
            "why should I agree",
            "do i need to say yes",
            "what if I say no?",
            "what happens if I agree",
            "yes what next",
            "¿sí?",
            "Is it OK",
            "Yes? I mean yes",
            "should I say yes",
        ],
    ),  # fmt: skip
    *rows(
        "mixed",
        UNCLEAR,
        [
            "yes no",
            "no yes",
            "yes, but no",
            "yes I disagree",
            "yes and no",
            "ok no",
            "yes but only by email",
            "yes without my phone",
            "i agree, however",
            "no, yes",
            "yes, no problem",
            "yes except the phone",
            "agree not",
        ],
    ),  # fmt: skip
    *rows(
        "hedge",
        UNCLEAR,
        [
            "maybe",
            "maybe later",
            "not sure",
            "i guess",
            "i guess so",
            "later",
            "yes later",
            "probably",
            "i think so",
            "hmm",
            "hmm ok",
            "yes if needed",
            "perhaps yes",
            "not now",
            "not yet",
            "i don't know",
            "I don't mind",
            "I wouldn't say no",
            "let me think",
            "ok for now",
            "yes, tomorrow",
        ],
    ),  # fmt: skip
    *rows(
        "unknown words",
        UNCLEAR,
        ["yes delete my data", "yes stop", "hello", "thanks", "good", "spasibo", "", "   "]
        + ["👍", "yes " * 16],
    ),
    # A confident NLU "deny" makes a yes unclear; it never makes anything a yes.
    Row("NLU disagrees", "yes", UNCLEAR, "deny", 0.9),
    Row("NLU disagrees", "yes", YES, "deny", 0.5),
    Row("NLU disagrees", "whatever you need", UNCLEAR, "affirm", 1.0),
]
IDS = [f"{row.kind}: {row.text!r} ({row.intent})" for row in TABLE]
#: The phrasings of issue #12 that were stored as consent or sent the request.
CRAFTED_CONSENT = [
    "not yes", "yes no", "yes?", "ok?", "agree?", "do I have to agree?", "I don't say yes",
    "yes, but no",
]  # fmt: skip
CRAFTED_SUMMARY = ["I will not say yes", "yes I disagree", "is it ok?", "no yes"]


def test_the_table_covers_every_class_and_the_crafted_examples() -> None:
    counts = {answer: sum(row.expected is answer for row in TABLE) for answer in Answer}
    assert len(TABLE) >= 70 and all(count >= 15 for count in counts.values()), counts
    unclear = {row.text for row in TABLE if row.expected is UNCLEAR}
    assert set(CRAFTED_CONSENT + CRAFTED_SUMMARY) <= unclear


@pytest.mark.parametrize("row", TABLE, ids=IDS)
def test_classify(row: Row) -> None:
    assert classify(row.text, row.intent, row.confidence) is row.expected


@pytest.mark.parametrize("row", TABLE, ids=IDS)
async def test_at_the_consent_step(row: Row) -> None:
    tr = tracker(row.text, row.intent, row.confidence, requested_slot="privacy_consent")
    events, said = await run(FORM, tr)
    slots = slot_values(events)
    if row.expected is YES:
        assert slots["privacy_consent"] is True and slots["consent_at"]
        assert slots["requested_slot"] == "full_name" and said == []
    elif row.expected is NO:
        assert slots == {"privacy_consent": False, "requested_slot": None} and said == []
    else:
        assert slots == {"privacy_consent": None, "requested_slot": "privacy_consent"}
        assert said == ["utter_consent_unclear"]


@pytest.mark.parametrize("row", TABLE, ids=IDS)
async def test_at_the_summary_step(row: Row) -> None:
    tr = tracker(
        row.text,
        row.intent,
        row.confidence,
        slots=BEFORE_SUMMARY,
        requested_slot="request_confirmed",
    )
    events, said = await run(FORM, tr)
    slots = slot_values(events)
    if row.expected is YES:
        assert slots == {"request_confirmed": True, "requested_slot": None} and said == []
    elif row.expected is NO:
        # As before: a no at the summary shows the list of fields to change.
        assert slots["change_pending"] is True and slots["request_confirmed"] is None
        assert slots["requested_slot"] == "request_confirmed" and said == []
    else:
        assert slots["request_confirmed"] is None
        assert slots["requested_slot"] == "request_confirmed"
        assert said == ["utter_confirm_unclear"]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("is it ok?", True),
        ("what if I say no?", True),
        ("do I have to agree?", True),
        ("¿sí?", True),
        ("what are the side effects?", False),
        ("why do you need my phone?", False),
        ("is it safe?", False),
        (None, False),
    ],
)
def test_mentions_yes_or_no(text: Any, expected: bool) -> None:
    assert mentions_yes_or_no(text) is expected


def test_a_value_that_is_not_text_is_unclear() -> None:
    assert classify(None, "affirm", 1.0) is UNCLEAR  # type: ignore[arg-type]
    assert classify(["yes"], "affirm", 1.0) is UNCLEAR  # type: ignore[arg-type]
