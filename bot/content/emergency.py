"""Phrases that mean an emergency is happening now: they always get the emergency answer.

Matched on lower-cased spaCy tokens by bot/nlu/emergency_override.py. Recall matters more than
precision: a false alarm costs one extra sentence, a missed emergency could cost a life. The
phrases name what is happening ("not breathing", "vomiting blood"), not the topics a patient
may ask about ("what if i have an allergic reaction to mibg" is a question, not an emergency).
"""

from __future__ import annotations

import re
from typing import List

from bot.i18n import locales

#: Phrases that signal an acute emergency. Apostrophes are optional because patients on phones
#: skip them ("cant breathe").
EMERGENCY_PHRASES: List[str] = [
    "chest pain",
    "chest pains",
    "pain in my chest",
    "pain in the chest",
    "heart attack",
    "can't breathe",
    "cant breathe",
    "cannot breathe",
    "can not breathe",
    "not breathing",
    "stopped breathing",
    "trouble breathing",
    "struggling to breathe",
    "hard to breathe",
    "short of breath",
    "choking",
    "fainted",
    "fainting",
    "passed out",
    "unconscious",
    "collapsed",
    "not waking up",
    "seizure",
    "seizures",
    "convulsions",
    "severe bleeding",
    "bleeding heavily",
    "a lot of blood",
    "stroke",
    "suicidal",
    "suicide",
    "kill myself",
    "killing myself",
    "end my life",
    "ending my life",
    "take my life",
    "want to die",
    "wanna die",
    "don't want to live",
    "dont want to live",
    "do not want to live",
    "hurt myself",
    "harm myself",
    "self harm",
    "overdose",
    "overdosed",
    "too many pills",
    "too many tablets",
    "whole pack of",
    "whole packet of",
    "whole bottle of",
    "entire bottle of",
    "entire pack of",
    "all my pills",
    "all of my pills",
    "all my sleeping pills",
    "all my tablets",
    "turning blue",
    "lips are blue",
    "no reason to live",
    "no reason to go on living",
    "not worth living",
    "want it all to end",
    # added in issue 10: unresponsive, bleeding, stroke signs, severe allergy, poisoning, crisis
    "not responding",
    "unresponsive",
    "wont wake up",
    "won't wake up",
    "cant wake him",
    "cant wake her",
    "can't wake him",
    "can't wake her",
    "lost consciousness",
    "losing consciousness",
    "blacked out",
    "gasping for air",
    "cant catch my breath",
    "can't catch my breath",
    "cant get air",
    "can't get air",
    "choking on",
    "throat is swelling",
    "throat is closing",
    "tongue is swelling",
    "face is swelling",
    "anaphylactic",
    "anaphylaxis",
    "having an allergic reaction",
    "having a severe allergic reaction",
    "coughing up blood",
    "vomiting blood",
    "throwing up blood",
    "blood in his vomit",
    "blood in her vomit",
    "bleeding a lot",
    "bleeding wont stop",
    "bleeding won't stop",
    "wont stop bleeding",
    "won't stop bleeding",
    "face is drooping",
    "face drooping",
    "slurred speech",
    "slurring his words",
    "slurring her words",
    "cant move his arm",
    "cant move her arm",
    "one side of his body",
    "one side of her body",
    "worst headache",
    "heart stopped",
    "no pulse",
    "cardiac arrest",
    "convulsing",
    "having a fit",
    "poisoned",
    "swallowed bleach",
    "drank bleach",
    "call an ambulance",
    "calling an ambulance",
    "need an ambulance",
    "ambulance",
    "emergency room",
    "hang myself",
    "cut myself",
    "jump off",
    "no point in living",
    "better off dead",
    "want to end it",
    "going to end it",
    "end it all",
]

#: The same in our other languages (bot/locales/*/vocabulary.yml, ``emergency``).
EMERGENCY_PHRASES += locales.phrases("emergency")

#: A symptom that is serious when it is happening now ...
ACUTE_SYMPTOMS = (
    r"(?:severe|terrible|unbearable|extreme|crushing|sharp|sudden)\s+(?:\w+\s+)?(?:pain|headache)"
    r"|pain\s+(?:in|on)\s+(?:his|her|my|the)\s+(?:chest|heart|left\s+arm)"
    r"|(?:breath\w*|breathing)\s+(?:problems?|difficult\w*|badly|heavily|fast)"
    r"|(?:can'?t|cannot|can\s+not|not\s+able\s+to|unable\s+to)\s+(?:\w+\s+or\s+)?"
    r"(?:breath\w*|speak|talk|move|stand|walk|see|wake)"
    r"|(?:face|mouth)\s+(?:\w+\s+)?droop\w*|droop\w*\s+(?:face|mouth)|numb\w*\s+(?:on\s+)?one\s+side"
    r"|(?:fell|collapsed|fainted|passed\s+out|blacked\s+out|unconscious|seizure|convuls\w*)"
    r"|(?:bleeding|blood\s+everywhere|vomit\w*\s+blood|cough\w*\s+blood)"
    r"|(?:lips|face|skin)\s+(?:is|are|turned|turning|going)\s+(?:blue|grey|gray|white)"
    r"|(?:heart|pulse)\s+(?:is\s+)?(?:racing|pounding|stopped|very\s+fast|irregular)"
    r"|(?:very|extremely)\s+high\s+(?:blood\s+pressure|fever|temperature)"
    r"|(?:swollen|swelling)\s+(?:throat|tongue|face|lips)"
)
#: ... as these words say.
URGENCY = (
    r"\b(?:right\s+now|now|just\s+now|at\s+the\s+moment|currently|suddenly|this\s+minute|"
    r"help|urgent\w*|emergency|quick\w*|asap|immediately|what\s+do\s+i\s+do|what\s+should\s+i\s+do|"
    r"is\s+happening|started|since\s+(?:an?\s+)?(?:hour|minutes?))\b|!{2,}"
)
ACUTE_RE = re.compile(ACUTE_SYMPTOMS, re.IGNORECASE)
#: An emergency word said in the present ("she is having a seizure", "he is collapsing").
ACUTE_PRESENT_RE = re.compile(
    r"\b(?:is|are|am|keeps?)\s+(?:\w+\s+)?(?:having|collapsing|fainting|seizing|convulsing)\b",
    re.IGNORECASE,
)
URGENCY_RE = re.compile(URGENCY, re.IGNORECASE)


#: Emergencies a patient may have had once, and tell as part of their history ("she had
#: anaphylaxis to penicillin before, can she do mibg"). Never those about ending one's life.
HISTORY_PHRASES = frozenset(
    {
        "anaphylaxis", "anaphylactic", "stroke", "seizure", "seizures", "convulsions",
        "heart attack", "cardiac arrest", "fainted", "fainting", "passed out", "collapsed",
    }
)  # fmt: skip
#: Words that put an event in the past.
PAST_RE = re.compile(
    r"\b(?:had|has\s+had|have\s+had|history\s+of|(?:\d+|a|few|some|many)\s+(?:years?|months?|"
    r"weeks?)\s+ago|last\s+(?:year|month|summer|winter|spring|autumn)|in\s+(?:19|20)\d\d|"
    r"previously|in\s+the\s+past|once\s+had|before)\b",
    re.IGNORECASE,
)


def only_history(text: str, phrases: List[str]) -> bool:
    """Are the emergency phrases found (``phrases``) only a past event the patient tells of,
    with nothing acute or urgent now ("she had anaphylaxis to penicillin before")?"""
    return (
        bool(phrases)
        and all(p.lower() in HISTORY_PHRASES for p in phrases)
        and bool(PAST_RE.search(text))
        and not URGENCY_RE.search(text)
        and not ACUTE_PRESENT_RE.search(text)
    )


def sounds_urgent(text: str) -> bool:
    """A serious symptom said to be happening now ("my dad suddenly cant breathe, help")."""
    return bool(ACUTE_RE.search(text) and URGENCY_RE.search(text))


#: A general question about a symptom of the therapy ("and is the throwing up constant?",
#: "does the nausea last long"): asked about the treatment, not about someone now.
GENERAL_QUESTION_RE = re.compile(
    r"^\W*(?:(?:and|so|but|also|ok|okay)\W+)?(?:is|are|does|do|will|would|can|could|"
    r"how\s+(?:long|often|bad|common))\s+(?:the|this|that|it|such|mibg)\b",
    re.IGNORECASE,
)


def asks_in_general(text: str) -> bool:
    """A general question about the therapy's effects, with nothing acute or urgent in it."""
    return bool(
        GENERAL_QUESTION_RE.search(text) and not ACUTE_RE.search(text)
        and not URGENCY_RE.search(text)
    )  # fmt: skip
