"""How patients say that a question is about their own or a relative's case.

Framing is not a topic: "my son has neuroblastoma, what are his chances?" asks about
neuroblastoma, and the answer gives the article's figures, then one sentence that only a
specialist can say whether it suits this person. The patterns are matched on the lower-cased
message (bot/nlu/framing.py); apostrophes are optional because phones drop them.
"""

from __future__ import annotations

import re
from typing import Tuple

from bot.i18n import locales

#: Family and other people a patient writes about.
RELATIVES: Tuple[str, ...] = (
    "mother", "mum", "mom", "mommy", "mummy", "mama", "father", "dad", "daddy", "papa",
    "son", "daughter", "child", "children", "kid", "kids", "baby", "boy", "girl", "wife",
    "husband", "spouse", "partner", "sister", "brother", "sibling", "aunt", "auntie", "uncle",
    "grandmother", "grandma", "granny", "grandfather", "grandpa", "grandson", "granddaughter",
    "niece", "nephew", "cousin", "friend", "boyfriend", "girlfriend", "fiance", "fiancee",
    "parents", "family", "relative", "patient", "neighbour", "neighbor", "colleague",
    "mother-in-law", "father-in-law",
)  # fmt: skip

#: Things of one's own that make a question personal ("my tumour", "my kidneys").
OWN_THINGS: Tuple[str, ...] = (
    "tumour", "tumor", "tumours", "tumors", "cancer", "condition", "case", "diagnosis",
    "kidneys", "kidney", "blood", "scan", "results", "tests", "doctor", "oncologist",
    "situation", "disease", "illness", "mets", "metastases", "treatment", "surgery",
    "medication", "medicines", "pills", "allergy", "heart", "liver", "bones",
)  # fmt: skip

_ALT = "|".join

#: Each pattern alone marks a message as personally framed.
PERSONAL_PATTERNS: Tuple[str, ...] = (
    rf"\b(?:my|our)\s+(?:[\w-]+\s+){{0,3}}(?:{_ALT(RELATIVES)})s?\b",
    rf"\b(?:my|our)\s+(?:{_ALT(OWN_THINGS)})\b",
    r"\bi\s*(?:'?ve|have|had|got)\s+(?:been\s+)?(?:told|diagnosed|found|got|a|an|the|some|"
    r"stage|metast|cancer|tumou?r|pheo|neuro|para|carcin|mtc|net|medullary|kidney|low|high|bad)",
    r"\bi\s*(?:was|am|m|'m)\s+(?:diagnosed|told|found|allergic|pregnant|on|a\s+patient|\d+|"
    r"being|scheduled|going\s+to\s+have|suffering)",
    r"\bim\s+(?:diagnosed|allergic|pregnant|on\b|a\s+patient|\d+|suffering)",
    r"\b(?:can|could|will|would|should|may|do|does|am|shall)\s+i\b",
    r"\b(?:can|could|will|would|should|may|does|is)\s+(?:he|she|they|we)\b",
    r"\b(?:he|she|they)\s+(?:has|have|had|is|was|were|got|suffers)\b",
    r"\bfor\s+(?:me|him|her|us|them)\b",
    r"\b(?:help|save|cure|treat)\s+(?:me|him|her|us|them)\b",
    r"\bmyself\b",
    r"\b(?:his|her)\s+(?:chances|tumou?r|cancer|kidneys?|blood|condition|case|disease)\b",
)

PERSONAL_RE = re.compile("|".join(f"(?:{p})" for p in PERSONAL_PATTERNS))

#: Our other languages say it with whole phrases (bot/locales/*/vocabulary.yml): "ich habe",
#: "meine Mutter", "у мамы", "мой сын".
LOCAL_PHRASES: Tuple[str, ...] = tuple(
    sorted(
        {*locales.phrases("personal_cues"), *locales.phrases("relatives"),
         *locales.phrases("own_things")},
        key=len,
        reverse=True,
    )
)  # fmt: skip
LOCAL_RE = (
    re.compile(r"(?<!\w)(?:" + "|".join(re.escape(p) for p in LOCAL_PHRASES) + r")(?!\w)")
    if LOCAL_PHRASES
    else None
)


def is_personal(text: str) -> bool:
    """True when ``text`` speaks about the writer's or a relative's own case."""
    lowered = text.lower().replace("’", "'")
    return bool(PERSONAL_RE.search(lowered) or (LOCAL_RE and LOCAL_RE.search(lowered)))
