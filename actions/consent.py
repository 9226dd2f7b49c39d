"""Is the patient's answer at a yes/no step a clear yes, a clear no, or neither?

Used where the answer has legal weight: the privacy consent (GDPR art. 9(2)(a): explicit consent
for health data) and the "Shall I send it?" confirmation. The NLU intent alone is not enough
there: it reads "not yes", "yes?" or "I will not say yes" as ``affirm``. So the text decides:

- ``YES`` only for the consent button (``/affirm``, exactly) or a short message that says yes
  and nothing else: an affirmative word, otherwise only neutral words ("yes please send it"),
  and no negation, question, hedge or "but" anywhere;
- ``NO`` for the ``/deny`` button or a refusal ("no thanks", "I do not agree", "nope") that does
  not also say yes;
- ``UNCLEAR`` for everything else: mixed ("yes no"), negated ("not yes", "I don't say yes"),
  questions ("ok?", "do I have to agree?"), hedges ("maybe later"), words we do not know.

Words we do not know make a message ``UNCLEAR`` rather than ``YES``: asking once more costs the
patient one tap, storing health data without consent cannot be undone. The NLU may only make a
clear yes unclear (a confident ``deny``) or a refusal with unknown words a no (a confident
``deny``); it never turns anything into a yes. Pure functions, no Rasa types.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass
from typing import FrozenSet, List, Optional, Tuple

from bot.i18n import locales


class Answer(str, enum.Enum):
    YES = "yes"
    NO = "no"
    UNCLEAR = "unclear"


#: The button payloads: only these exact texts count as a click on Yes / No.
YES_PAYLOAD = "/affirm"
NO_PAYLOAD = "/deny"
#: A confident NLU ``deny`` vetoes a textual yes and lets a refusal with unknown words count.
DENY_CONFIDENCE = 0.8
#: Longer messages are not a plain yes or no (and the word lists were not made for them).
MAX_WORDS = 15
QUESTION_MARKS = "?¿？؟"

#: Said as "n't" / without apostrophe; expanded first so "don't" is "do not" everywhere below.
CONTRACTIONS: Tuple[Tuple[str, str], ...] = (
    (r"\b(?:can't|cant|cannot)\b", "can not"),
    (r"\b(?:won't|wont)\b", "will not"),
    (r"\bshan't\b", "shall not"),
    (r"\bain't\b", "am not"),
    (r"n't\b", " not"),
    (
        r"\b(do|does|did|is|are|was|were|have|has|had|would|should|could|must|need)nt\b",
        r"\1 not",
    ),
    (r"\b(?:i'm|im)\b", "i am"),
    (r"'s\b", " is"),
    (r"'re\b", " are"),
    (r"'ll\b", " will"),
    (r"'d\b", " would"),
    (r"'ve\b", " have"),
)

#: Phrases read as one unit before the single words (most specific first). Refusals that negate
#: a consent verb ("I do not agree") are a clear no, although they contain "agree"; a negated
#: refusal ("I don't disagree", "I wouldn't say no") is a double negation, so not clear.
HEDGE_PHRASES: Tuple[str, ...] = (
    r"(?:not|never) (?:disagree|refuse|object|decline|deny|reject|mind)\w*",
    r"not (?:say|saying) no",
    r"not (?:sure|certain|now|yet|today|really|at the moment|right now)",
    r"no idea",
    r"(?:do|does) not know",
    r"i guess",
    r"let me (?:think|see|check)",
    r"hold on",
    r"kind of",
    r"sort of",
    r"for now",
)
REFUSAL_PHRASES: Tuple[str, ...] = (
    r"(?:(?:i|we) )?(?:(?:do|does|did|will|would|can|could|shall|should|am|are) )?"
    r"(?:not|never) (?:agree|agreed|agreeing|consent|consented|consenting|accept|accepted|"
    r"accepting|allow|approve|want)",
    r"(?:absolutely|definitely|certainly|surely|of course) not",
    r"no way",
    r"hell no",
)
AFFIRM_PHRASES: Tuple[str, ...] = (
    r"go ahead",
    r"go on",
    r"of course",
    r"all right",
    r"for sure",
    r"please do(?! not)",
    r"i do(?! not)",
    r"i am in",
)


def _local_phrases(key: str) -> Tuple[str, ...]:
    """Our other languages' yes or no (bot/locales/*/vocabulary.yml), as word sequences."""
    phrases = {" ".join(re.findall(r"[^\W_]+", p)) for p in locales.phrases(key)}
    return tuple(re.escape(p) for p in sorted(phrases - {""}, key=len, reverse=True))


#: "nicht einverstanden", "не согласен" before "einverstanden", "согласен": refusals first.
REFUSAL_PHRASES += _local_phrases("no_words")
AFFIRM_PHRASES += _local_phrases("yes_words")

#: Words that say yes on their own, with the usual typos ("yse", "yess", "okey", "ye").
YES_WORDS: FrozenSet[str] = frozenset(
    {
        "yes", "yeah", "yea", "yeh", "yah", "ya", "ye", "yep", "yup", "yeap", "yse", "ys",
        "yesh", "yas", "ok", "okay", "okey", "okie", "oki", "k", "kk", "sure", "shure",
        "agree", "agreed", "accept", "accepted", "consent", "confirm", "confirmed", "approve",
        "fine", "alright", "allright", "absolutely", "certainly", "definitely", "correct",
        "proceed", "send", "submit",
    }
)  # fmt: skip
#: Typos no list can hold: "yess", "yeees", "yeahh", "okk", "ookay", "agreee".
YES_PATTERN = re.compile(r"y+e+s+|y+e+a+h+|y+u+p+|o+k+(?:a+y+|e+y+)?|a+g+r+e+e+d?")
#: Other languages' yes: a yes only when the message says nothing else (thanks aside), since
#: "si" is also "if", "ja" and "da" are parts of other sentences.
FOREIGN_YES: FrozenSet[str] = frozenset({"da", "tak", "ja", "si", "oui", "да", "так"})
FOREIGN_THANKS: FrozenSet[str] = frozenset(
    {"danke", "merci", "gracias", "grazie", "dziekuje", "dzieki", "spasibo", "спасибо", "tack"}
)
#: Negations and refusals (and other languages' no). Any of them makes a yes unclear.
NEGATIONS: FrozenSet[str] = frozenset(
    {
        "no", "not", "never", "nope", "nah", "naw", "nay", "noo", "nooo", "nop", "neither",
        "nor", "nothing", "none", "disagree", "disagreed", "refuse", "refused", "decline",
        "declined", "deny", "reject", "rejected", "object", "withdraw", "against",
        "nein", "nie", "net", "niet", "non", "nee", "ne", "нет", "ні",
    }
)  # fmt: skip
NEGATION_PATTERN = re.compile(r"n+o+|n+a+h+")
#: "Yes, but ...": whatever follows changes the yes, so it is not clear.
CONTRASTS: FrozenSet[str] = frozenset(
    {"but", "however", "although", "though", "except", "unless", "without", "otherwise"}
)
#: Hedges and conditions: not a decision yet ("maybe", "later", "yes if ...").
HEDGES: FrozenSet[str] = frozenset(
    {
        "maybe", "perhaps", "probably", "possibly", "later", "guess", "suppose", "think",
        "unsure", "um", "umm", "uh", "erm", "idk", "dunno", "depends", "kinda", "sorta",
        "wait", "if", "first", "tomorrow", "soon", "partly", "mostly", "somewhat",
    }
)  # fmt: skip
HEDGE_PATTERN = re.compile(r"h+m+")
#: Question words anywhere, and words that start a question ("do I have to agree").
QUESTION_WORDS: FrozenSet[str] = frozenset(
    {"what", "whats", "why", "how", "hows", "when", "where", "wheres", "who", "whom", "whose"}
    | {"which"}
)
QUESTION_STARTS: FrozenSet[str] = frozenset(
    {
        "do", "does", "did", "can", "could", "may", "might", "must", "should", "would", "will",
        "shall", "is", "are", "am", "was", "were", "have", "has", "had", "need",
    }
)  # fmt: skip
#: Neutral words a clear yes or no may contain ("yes, please send it", "no thank you"). Any word
#: outside all these lists makes the message unclear: the lists are what we understand.
NEUTRAL: FrozenSet[str] = frozenset(
    {
        "i", "we", "me", "my", "our", "you", "your", "it", "that", "this", "them", "is", "am",
        "are", "be", "so", "please", "pls", "plz", "thanks", "thank", "thx", "ty", "very",
        "much", "a", "the", "to", "with", "by", "for", "of", "and", "all", "just", "now",
        "then", "do", "can", "will", "would", "say", "want", "happy", "glad", "good", "great",
        "perfect", "totally", "fully", "completely", "really", "indeed", "go", "right", "away",
        "oh", "well", "store", "keep", "use", "save", "stored", "kept", "used", "saved",
        "details", "data", "information", "info", "request", "everything", "rather", "dear",
        "doctor", "hi", "hello",
    }
)  # fmt: skip

_YES, _NO, _HEDGE = "<yes>", "<no>", "<hedge>"


@dataclass(frozen=True)
class _Reading:
    """What the words of one message are (see ``_read``)."""

    words: Tuple[str, ...]
    question: bool
    yes: bool
    foreign_yes: bool
    foreign_yes_only: bool
    no: bool
    contrast: bool
    hedge: bool
    unknown: bool


def classify(text: str, intent: Optional[str] = None, confidence: float = 0.0) -> Answer:
    """``YES``, ``NO`` or ``UNCLEAR`` for ``text`` answering a yes/no question (see the module).

    ``intent`` and ``confidence`` are the NLU's reading of the same message.
    """
    text = text.strip() if isinstance(text, str) else ""
    if text.startswith("/"):
        return {YES_PAYLOAD: Answer.YES, NO_PAYLOAD: Answer.NO}.get(text, Answer.UNCLEAR)
    reading = _read(text)
    if not reading.words or len(reading.words) > MAX_WORDS:
        return Answer.UNCLEAR
    if reading.question or reading.contrast or reading.hedge:
        return Answer.UNCLEAR
    confident_deny = intent == "deny" and confidence >= DENY_CONFIDENCE
    if (reading.yes or reading.foreign_yes_only) and not reading.no:
        clear = reading.foreign_yes_only or not reading.unknown
        return Answer.YES if clear and not confident_deny else Answer.UNCLEAR
    if (
        reading.no
        and not (reading.yes or reading.foreign_yes)
        and (not reading.unknown or confident_deny)
    ):
        return Answer.NO
    return Answer.UNCLEAR


def reads_as_question(text: str) -> bool:
    """Whether ``text`` asks something: a question mark, a question word, or "do/can/is ..."
    first ("how fast do they get back to me" has no question mark)."""
    return _read(text if isinstance(text, str) else "").question


def mentions_yes_or_no(text: str) -> bool:
    """Whether ``text`` contains a word of yes or no ("is it ok?", "what if I say no?").

    The form uses it to tell a question about the choice itself, which gets the yes/no
    explanation, from a question about something else, which the rules answer.
    """
    reading = _read(text if isinstance(text, str) else "")
    return reading.yes or reading.no or reading.foreign_yes


def _normalise(text: str) -> str:
    """Lower case, curly quotes straight, accents off (Cyrillic kept), contractions expanded."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[’‘`´]", "'", text)
    text = "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )
    for pattern, replacement in CONTRACTIONS:
        text = re.sub(pattern, replacement, text)
    return text


def _read(text: str) -> _Reading:
    normalised = _normalise(text)
    words = re.findall(r"[^\W_]+", normalised)
    joined = " ".join(words)
    for phrases, marker in (
        (HEDGE_PHRASES, _HEDGE),
        (REFUSAL_PHRASES, _NO),
        (AFFIRM_PHRASES, _YES),
    ):
        for phrase in phrases:
            joined = re.sub(rf"(?<!\S){phrase}(?!\S)", f" {marker} ", joined)
    tokens: List[str] = joined.split()
    starts_question = bool(words) and words[0] in QUESTION_STARTS and words[1:2] != ["not"]
    foreign_only = bool(tokens) and all(t in FOREIGN_YES | FOREIGN_THANKS for t in tokens)
    return _Reading(
        words=tuple(words),
        question=any(mark in text for mark in QUESTION_MARKS)
        or starts_question
        or any(t in QUESTION_WORDS for t in tokens),
        yes=any(_is_yes(t) for t in tokens),
        foreign_yes=any(t in FOREIGN_YES for t in tokens),
        foreign_yes_only=foreign_only and any(t in FOREIGN_YES for t in tokens),
        no=any(_is_no(t) for t in tokens),
        contrast=any(t in CONTRASTS for t in tokens),
        hedge=any(t == _HEDGE or t in HEDGES or HEDGE_PATTERN.fullmatch(t) for t in tokens),
        unknown=any(not _known(t) for t in tokens),
    )


def _is_yes(token: str) -> bool:
    return token == _YES or token in YES_WORDS or bool(YES_PATTERN.fullmatch(token))


def _is_no(token: str) -> bool:
    return token == _NO or token in NEGATIONS or bool(NEGATION_PATTERN.fullmatch(token))


def _known(token: str) -> bool:
    return _is_yes(token) or _is_no(token) or token in NEUTRAL or token in FOREIGN_THANKS
