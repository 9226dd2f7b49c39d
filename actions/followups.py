"""Reading follow-ups: "the third one", "the last one", "number 2", "the one before last"."""

from __future__ import annotations

import re
from typing import Dict, Optional

from bot.i18n import locales

_ORDINALS = {
    "first": 1, "1st": 1, "second": 2, "2nd": 2, "two": 2, "third": 3, "3rd": 3,
    "three": 3, "fourth": 4, "4th": 4, "four": 4, "fifth": 5, "5th": 5, "five": 5,
    "sixth": 6, "6th": 6, "six": 6, "seventh": 7, "7th": 7, "eighth": 8, "8th": 8,
    "ninth": 9, "9th": 9, "tenth": 10, "10th": 10, "eleventh": 11, "11th": 11,
    "twelfth": 12, "12th": 12,
}  # fmt: skip
_BEFORE_LAST = re.compile(
    r"\b(?:one\s+)?before\s+(?:the\s+)?last|second\s+(?:to|from)\s+(?:the\s+)?last|penultimate"
)
_LAST = re.compile(r"\b(?:last|final|bottom)\b")
_NUMBER = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\b")
_WORD = re.compile(r"\b(" + "|".join(sorted(_ORDINALS, key=len, reverse=True)) + r")\b")
#: "one" is a position only as "number one", "option one" or alone: "the thyroid one" names
#: an item, it does not pick the first.
_ONE = re.compile(r"\b(?:number|option|item|point|no\.?)\s+one\b|^\W*one\W*(?:please|pls)?\W*$")


#: Only these read as a choice in a message that was not classified as one ("does it last").
_STRICT = re.compile(
    r"\b(?:the|that|this)\s+(?:\w+\s+)?(?:one|option|item)\b|\bnumber\s+\w+|"
    r"\b\d{1,2}(?:st|nd|rd|th)\b|\bthe\s+(?:last|final|first|second|third|fourth|fifth)\b",
    re.IGNORECASE,
)


def _local_ordinals() -> Dict[str, int]:
    """Our other languages' ordinals ("zweite", "второй") -> 1-based position, "last" -> 0."""
    found: Dict[str, int] = {}
    for position, words in locales.phrases_by_key("ordinals").items():
        for word in words:
            found[word] = 0 if position == "last" else int(position)
    return found


LOCAL_ORDINALS = _local_ordinals()
_LOCAL_ORDINAL = (
    re.compile(rf"(?<!\w)({locales.alternation(list(LOCAL_ORDINALS))})(?!\w)")
    if LOCAL_ORDINALS
    else None
)
#: A choice said plainly in few words ("das zweite bitte", "последний"): no longer than this.
MAX_LOCAL_CHOICE_WORDS = 5


def _local_index(lowered: str, count: int, strict: bool) -> Optional[int]:
    match = _LOCAL_ORDINAL.search(lowered) if _LOCAL_ORDINAL else None
    if not match or (strict and len(lowered.split()) > MAX_LOCAL_CHOICE_WORDS):
        return None
    position = LOCAL_ORDINALS[match.group(1)]
    index = count - 1 if position == 0 else position - 1
    return index if 0 <= index < count else None


def item_index(text: str, count: int, strict: bool = False) -> Optional[int]:
    """The 0-based index in a list of ``count`` items that ``text`` picks, or None.

    ``strict``: the message was not classified as a choice, so it must say so plainly.
    """
    lowered = text.lower()
    local = _local_index(lowered, count, strict)
    if local is not None:
        return local
    if strict and not _STRICT.search(lowered):
        return None
    if _BEFORE_LAST.search(lowered):
        index = count - 2
    elif _LAST.search(lowered):
        index = count - 1
    else:
        # the first position said that the list has: "the second one... stage 3 kidney
        # disease" picks the second, not the third
        said = [(m.start(), int(m.group(1)) - 1) for m in _NUMBER.finditer(lowered)]
        said += [(m.start(), _ORDINALS[m.group(1)] - 1) for m in _WORD.finditer(lowered)]
        said += [(m.start(), 0) for m in _ONE.finditer(lowered)]
        index = next((i for _, i in sorted(said) if 0 <= i < count), -1)
    return index if 0 <= index < count else None


#: "tell me more", "go on", "how so", "why?", "and then?": more of what the last answer was about.
MORE_RE = re.compile(
    r"\s*(?:(?:and|so|ok|okay|ah)\s+)?(?:tell\s+me\s+more(?:\s+about\s+(?:it|that|this))?|more|"
    r"go\s+on|continue|how\s+so|why|why\s+is\s+that|what\s+else|more\s+details?|"
    r"explain\s+more|elaborate|and\s+then|then\s+what(?:\s+happens)?|what\s+happens\s+then|"
    r"and\s+after\s+that|what\s+next|and)\s*[?.!]*\s*(?:please|pls)?\s*[?.!]*\s*",
    re.IGNORECASE,
)
#: A question about how a treatment turns out (or what the tumour does): read as being about
#: the tumour just discussed.
OUTCOME_RE = re.compile(
    r"\b(?:shrinks?|smaller|reduc\w*|regress\w*|better|stabili[sz]\w*|help\w*|cur(?:e|es|ed)|"
    r"works?(?!\s+out)|effective|results?|chances?|success\w*|respond\w*|spread\w*|metasta\w*|"
    r"how\s+often|how\s+many|how\s+well|percent\w*|%|figures|numbers|stat(?:s|istics)|"
    r"outcome\w*|get\s+rid|how\s+much\s+(?:mibg|of\s+it|of\s+the\s+(?:drug|medicine))|goes\s+in(?:to)?|"
    r"hormones?|cancer(?:ous)?|malignan\w*|benign|harmless|grow\w*|pick\w*\s+(?:it\s+)?up|"
    r"tak(?:e|es|en)\s+up|absorb\w*|accumulat\w*|uptake|lower\w*|decreas\w*|"
    r"(?:bring|brings|get|gets|go|goes)\s+(?:\w+\s+)?down|(?:get|gets|go|goes)\s+(?:into|back)|"
    r"disappear\w*|remission|only\s+(?:option|alternative|choice|hope|treatment)|"
    r"options?\s+left|alternatives?|treat(?:s|ed|ing)?\s+(?:it|him|her|them|this|that))\b"
    r"|\b(?:do|does|did|work|works|help|helps)\s+(?:for|on|with|against|to)\s+"
    r"(?:it|that|this|them|that\s+one|this\s+one)\b",
    re.IGNORECASE,
)
#: Signs that a message continues the conversation rather than starting a new subject.
CONTINUES_RE = re.compile(
    r"^\s*(?:and|so|then|but|also|what\s+about|how\s+about)\b|\b(?:it|its|that|this|those|they|"
    r"them|then|there)\b|\b(?:also|too|as\s+well)\W*$",
    re.IGNORECASE,
)
#: "is that a lot?", "is this good", "are those high numbers": a judgement of the figures just
#: given, answered with those figures (the article judges none of them).
EVALUATES_RE = re.compile(
    r"^\W*(?:(?:and|so|but|ok|okay|hm+)[\s,.]+)?(?:is|are|was|were)\s+(?:that|this|it|those|these)"
    r"\s+(?:a\s+lot|a\s+good|good|bad|high|low|much|many|enough|normal|ok|okay|few|little)\b",
    re.IGNORECASE,
)


#: Words that point back at what was just said: "what can they do about it?".
REFERS_RE = re.compile(r"\b(?:it|its|that|this|those|these|they|them|one|ones)\b", re.IGNORECASE)


def _local(key: str, stems: bool = False) -> str:
    """Our other languages' phrases under ``key`` of vocabulary.yml as one alternation; one
    that matches nothing when no language has any (an empty alternation matches everything)."""
    return locales.alternation(locales.phrases(key), stems=stems) or r"(?!)"


#: The same in our other languages (bot/locales/*/vocabulary.yml, ``followup_*``).
LOCAL_MORE_RE = re.compile(rf"\s*(?:{_local('followup_more')})\s*[?.!]*\s*", re.IGNORECASE)
LOCAL_OUTCOME_RE = re.compile(
    rf"(?<!\w)(?:{_local('followup_outcome', stems=True)})",
    re.IGNORECASE,
)
LOCAL_REFERS_RE = re.compile(rf"(?<!\w)(?:{_local('followup_refers')})(?!\w)", re.IGNORECASE)
LOCAL_CONTINUES_RE = re.compile(
    rf"^\s*(?:{_local('followup_starts')})(?!\w)"
    rf"|{LOCAL_REFERS_RE.pattern}",
    re.IGNORECASE,
)


#: "anything else?", "what else", "apart from being sick?": the rest of the last answer's section.
ELSE_RE = re.compile(
    r"^\W*(?:(?:and|so|ok|okay)\s+)?(?:anything|something|what|any)\s+else\b|"
    r"\b(?:apart\s+from|other\s+than|aside\s+from|except\s+for)\b",
    re.IGNORECASE,
)
#: "why?", "how so", "then why treat it", "how come": a question for the reason of what was said.
WHY_RE = re.compile(
    r"^\W*(?:(?:and|so|then|but|ok|okay|ah|hm+|wait)[\s,.]+)*"
    r"(?:why|how\s+so|how\s+come|what\s+for|for\s+what\s+reason|what(?:'?s|\s+is)\s+the\s+reason)"
    r"(?!\w)",
    re.IGNORECASE,
)
LOCAL_WHY_RE = re.compile(rf"^\W*(?:{_local('followup_why')})(?!\w)", re.IGNORECASE)
#: A question that asks for a number: how many, how long, how often, a rate or a percentage.
FIGURE_RE = re.compile(
    r"\bhow\s+(?:many|much|often|long|frequently|big|large)\b|"
    r"\bwhat\s+(?:percentage|percent|proportion|number)\b|"
    r"\b(?:cure|survival|success|death|mortality|recurrence|relapse)\s+rates?\b|"
    r"\blife\s+expectancy\b|\b(?:price|euros?|dollars?|pounds|roughly|ballpark)\b|[€$£]|"
    r"\bwhat\s+(?:dose|dosage|activity)\b|\b(?:mci|gbq|mbq|millicuries?|becquerels?)\b|"
    r"\bdifference\s+(?:in|of)\s+(?:the\s+)?(?:dose|dosage|activity)\b",
    re.IGNORECASE,
)
#: "totally unrelated but ...", "by the way", "different question": a new subject, not a follow-up.
NEW_SUBJECT_RE = re.compile(
    r"\b(?:unrelated|off[\s-]topic|by\s+the\s+way|btw|(?:different|other|another|new)\s+"
    r"(?:question|topic|subject|thing)|change\s+(?:of\s+)?(?:the\s+)?subject)\b",
    re.IGNORECASE,
)
#: A question for a length of time or a count of things ("how long does the nausea last",
#: "how many blood tests"): only an answer that states one answers it, not any figure.
DURATION_OR_COUNT_RE = re.compile(
    r"\bhow\s+(?:long|soon|quickly)\b|\bfor\s+how\s+much\s+time\b|"
    r"\bhow\s+many\s+(?:\w+\s+)?(?:years?|months?|weeks?|days?|hours?|minutes?|nights?|"
    r"sessions?|courses?|cycles?|injections?|infusions?|doses?|tests?|scans?|times|visits?)\b|"
    r"\b(?:every|each|once\s+a|per)\s+(?:day|week|month)\b",
    re.IGNORECASE,
)
#: A length of time stated in an answer ("a few days", "15 years", "within 24 hours").
STATED_DURATION_RE = re.compile(
    r"\b(?:\d+|few|several|same)\s+(?:years?|months?|weeks?|days?|hours?|minutes?|day)\b",
    re.IGNORECASE,
)
LOCAL_FIGURE_RE = re.compile(rf"(?<!\w)(?:{_local('followup_figure')})(?!\w)", re.IGNORECASE)


def asks_for_more(text: str) -> bool:
    return bool(MORE_RE.fullmatch(text) or LOCAL_MORE_RE.fullmatch(text) or ELSE_RE.search(text))


def changes_subject(text: str) -> bool:
    return bool(NEW_SUBJECT_RE.search(text))


def asks_why(text: str) -> bool:
    return bool(WHY_RE.search(text) or LOCAL_WHY_RE.search(text))


#: Who pays for a part of the trip, or how ("is the hotel for my husband paid?", "is the
#: interpreter free of charge?", "can we pay in installments?"): the article never says.
PAYS_RE = re.compile(
    r"\b(?:is|are|be)\b[^.?!]{0,30}\b(?:paid|free|included)\b|\bfree\s+of\s+charge\b|"
    r"\b(?:for\s+free|extra\s+(?:cost|charge|fee)s?|who\s+pays|"
    r"pay\s+(?:for|in|by|with|later|monthly)|instal+ments?|payment\s+plan|in\s+parts|"
    r"credit\s+card|loan)\b",
    re.IGNORECASE,
)
#: How a check is done ("how do they test for this allergy, skin test?"): the article names
#: what is checked, never how.
TEST_METHOD_RE = re.compile(
    r"\bhow\s+(?:do|does|will|would|can)\s+(?:they|you|the\s+doctors?|doctors)\s+"
    r"(?:test|check|measure|find\s+out|know)\b|\b(?:skin|allergy|blood)\s+tests?\b",
    re.IGNORECASE,
)


#: Protecting the thyroid ("do i need potassium iodide drops?") and the family from the
#: radiation after the treatment ("can I hug my grandkids?", "do I glow?"): never in the article.
PROTECTION_RE = re.compile(
    r"\b(?:potassium\s+iodide|lugol\w*|iodide\s+(?:drops|tablets|pills)|thyroid\s+(?:block\w*|"
    r"protect\w*)|protect\w*\s+(?:the\s+|my\s+|his\s+|her\s+)?thyroid|hug\w*|kiss\w*|"
    r"(?:sit|sits|sitting)\s+on\s+(?:my|his|her)\s+lap|sleep\s+(?:next\s+to|with|beside)|"
    r"stay\s+away\s+from|glow\w*|contagious|radioactive\s+(?:after|for\s+others)|"
    r"(?:dangerous|safe)\s+for\s+(?:my|the|his|her|our)\s+(?:family|kids|children|grandkids|"
    r"grandchildren|wife|husband|baby|pets?))\b",
    re.IGNORECASE,
)


def asks_a_detail_never_stated(text: str) -> bool:
    """Does ``text`` ask who pays for something, how a check is done, or how to protect the
    thyroid or the family from the radiation?"""
    return bool(PAYS_RE.search(text) or TEST_METHOD_RE.search(text) or PROTECTION_RE.search(text))


def asks_for_a_figure(text: str) -> bool:
    return bool(FIGURE_RE.search(text) or LOCAL_FIGURE_RE.search(text))


def asks_for_a_duration_or_count(text: str) -> bool:
    return bool(DURATION_OR_COUNT_RE.search(text))


def states_a_duration(text: str) -> bool:
    return bool(STATED_DURATION_RE.search(text))


def asks_about_outcome(text: str) -> bool:
    return bool(OUTCOME_RE.search(text) or LOCAL_OUTCOME_RE.search(text))


def judges_figures(text: str) -> bool:
    return bool(EVALUATES_RE.search(text))


def refers_back(text: str) -> bool:
    """Does the message point back with a pronoun ("it", "they", "das", "это")?"""
    return bool(REFERS_RE.search(text) or LOCAL_REFERS_RE.search(text))


def continues(text: str) -> bool:
    return bool(CONTINUES_RE.search(text) or LOCAL_CONTINUES_RE.search(text))
