"""The one answer action: every question, its framing, several questions at once, follow-ups.

Rules send every question intent here (outside and inside the form). An answer is a list of
*units*, each one response from ``domain.yml``:

- each question of the message in the order asked (``questions`` from bot/nlu/questions.py,
  otherwise the message's intent), at most ``MAX_UNITS``;
- a tumour question without a tumour uses the last tumour discussed, "the third one" the last
  list shown, "what does that mean?" the terms of the last answer (slots ``last_tumour``,
  ``last_list``, ``last_topic``);
- when nothing is confident: a term's definition, else the best article passage quoted with
  its section, else an honest "the article does not cover this", else (a general question)
  the out-of-scope reply.

A personally framed question ("my son has ...") gets its topic's answer too; the action then
sets ``personal_note`` and a rule adds the one sentence that a specialist decides for this
person, with the request offer (not during the form, which is that offer already).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import cache, cached_property
from typing import Any, Dict, Iterable, List, Optional, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.followups import (
    REFERS_RE,
    asks_a_detail_never_stated,
    asks_about_outcome,
    asks_for_a_duration_or_count,
    asks_for_a_figure,
    asks_for_more,
    asks_why,
    changes_subject,
    continues,
    item_index,
    judges_figures,
    refers_back,
    states_a_duration,
)
from actions.form_fields import MAX_MESSAGE_CHARS
from actions.lists import LIST_ITEMS, MEDICINES_PAUSED, RELATIVE_MEANS, named_item
from bot import domain as domain_file
from bot.content import glossary, passages
from bot.content.other_health import (
    OUT_OF_DOMAIN_CONFIDENCE,
    THERAPY_REFERENCE,
    about_other_health,
    mentions_other_health,
    names_other_health,
    other_health_words,
    ties_to_our_domain,
)
from bot.content.tumours import DESCRIBED_AS, GROUPS, OTHER_KINDS, TUMOURS
from bot.domain import response_sources
from bot.i18n.conversation import conversation_language
from bot.i18n.locales import DEFAULT_LANGUAGE
from bot.i18n.nlg import localised_responses

#: Question intent -> the response that answers it.
ANSWERS: Dict[str, str] = {
    "ask_what_is_mibg": "utter_what_is_mibg",
    "ask_how_it_works": "utter_how_it_works",
    "ask_candidates": "utter_candidates",
    "ask_contraindications": "utter_contraindications",
    "ask_side_effects": "utter_side_effects",
    "ask_dosing": "utter_dosing",
    "ask_monitoring": "utter_monitoring",
    "ask_preparation": "utter_preparation",
    "ask_treatment_abroad": "utter_treatment_abroad",
    "ask_services": "utter_services",
    "ask_agency": "utter_agency",
    "ask_destinations": "utter_destinations",
    "ask_authors": "utter_authors",
    "ask_costs": "utter_costs",
    "ask_privacy": "utter_privacy",
    "ask_help": "utter_help",
    "ask_uncovered": "utter_not_covered",
    "bot_challenge": "utter_bot_challenge",
    "emergency": "utter_emergency",
    "personal_case": "utter_personal_case",
}

#: During the form these get a form-friendly answer instead of an offer to start a request.
IN_FORM_ANSWERS: Dict[str, str] = {
    "human_handoff": "utter_handoff_in_form",
    "personal_case": "utter_handoff_in_form",
}

#: Tumour key -> the response with its description and figures.
TUMOUR_RESPONSES: Dict[str, str] = {key: f"utter_tumour_{key}" for key in TUMOURS}

#: Every intent that is a question rather than an answer to a form field.
QUESTION_INTENTS = (
    frozenset(ANSWERS) | frozenset(IN_FORM_ANSWERS) | {"ask_tumour", "ask_definition"}
)
#: Answers that are not about a topic of the article: no personal note after them.
NOT_TOPICS = frozenset(
    {"utter_emergency", "utter_personal_case", "utter_default", "utter_out_of_scope"}
    | {"utter_help", "utter_bot_challenge", "utter_handoff_in_form", "utter_not_covered"}
    | {"utter_define_which", "utter_ask_which_tumour", "utter_privacy", "utter_anything_else"}
)
#: Intents a follow-up about the last tumour's results may be classified as ("does it shrink
#: it?" is easily read as how MIBG works, or as out of scope on its own).
ABOUT_A_TUMOUR = frozenset(
    {"ask_tumour", "ask_how_it_works", "ask_candidates", "ask_what_is_mibg", "ask_dosing"}
    | {"ask_contraindications", "out_of_scope", "nlu_fallback", "inform", "choose_item"}
    | {"affirm", "ask_uncovered"}
)
#: A question about how well the therapy does, which a named tumour's figures answer.
ASKS_HOW_WELL = re.compile(
    r"\b(?:how\s+well|how\s+good|chances?|success\w*|effective\w*|results?|cure[sd]?|"
    r"options?)\b",
    re.IGNORECASE,
)
#: A question that points at the tumour its message named before ("for this tumour").
REFERS_TO_A_TUMOUR = re.compile(
    r"\b(?:this|that|the|his|her|its|my|our)\s+(?:tumou?r|cancer|disease|illness)\b|"
    r"\bfor\s+(?:him|her|it)\b",
    re.IGNORECASE,
)
#: Intents too general for a message that names a tumour: "where are carcinoid tumours usually"
#: is about carcinoid tumours, not the list of tumours MIBG is used for.
GENERAL_WITH_A_TUMOUR = frozenset({"ask_candidates", "ask_what_is_mibg", "ask_how_it_works"})
#: A short follow-up ("why?", "the third one, how well does it work") has at most this many words.
SHORT_FOLLOWUP_WORDS = 10
#: A follow-up's best passage is quoted instead of a classified topic outside the conversation's
#: sections from this score on (context boost included): "and the hormones in the blood?" after
#: pheochromocytoma is about its hormones, not about monitoring.
PASSAGE_OVER_TOPIC = 0.4
#: After "not covered", the follow-up's closest passage of the conversation's sections is
#: quoted as what the article does say from this score on (context boost included).
PASSAGE_NEXT_TO_UNCOVERED = 0.3
#: A figure in an answer ("88%", "15 years"): a question for a number got one.
FIGURE = re.compile(r"\d")
#: Answers whose figures never answer a question for a number: the cost answer's one figure is
#: a saving ("up to 50%"), never a price.
NO_ANSWERING_FIGURES = frozenset({"utter_costs"})
#: From this confidence on, a classified topic is kept even for a follow-up that points back.
SURE = 0.8
#: A follow-up this short ("how often", "and the dose?") is read in the conversation's sections.
TERSE_WORDS = 3
#: What the request form is about, for questions asked while it is open ("how fast do they
#: get back to me").
FORM_SECTIONS = ("request", "agency")
#: "What is X", "what does X mean", "explain X": a question about a word.
DEFINE_CUE = re.compile(
    r"\b(?:what\s+(?:is|are|does|do)|meaning|means?|mean\b|explain|define|definition|"
    r"in\s+simple\s+words)",
    re.IGNORECASE,
)
#: A message that asks something, however short ("when exactly", "why").
ASKS = re.compile(r"\?|\b(?:what|when|where|why|how|which|who)\b", re.IGNORECASE)
#: A comparison with something else ("what is better, PRRT or MIBG"): the article compares
#: nothing, whatever tumour the question names.
COMPARES = re.compile(r"\b(?:better|worse|compar\w*|versus|vs)\b", re.IGNORECASE)
#: A question that ranks the tumours ("in which one does it accumulate best", "which cancer
#: responds better"): answered with every tumour's figures side by side.
COMPARES_TUMOURS = re.compile(
    r"\b(?:which|what)\s+(?:\w+\s+){0,2}?(?:one|ones|tumou?rs?|types?|kinds?|cancers?)\b"
    r"[^?.]*\b(?:best|most|better|more|highest|worst|least|lowest|less|worse)\b"
    r"(?!\s+(?:dangerous|serious|malignant|aggressive|common|rare|frequent|often))|"
    r"\bcompar\w*\s+(?:the\s+)?(?:tumou?rs|results|figures|numbers)\b|"
    r"\b(?:all|each|every|list)\s+(?:the\s+|of\s+the\s+)?tumou?rs?\b[^?.]*"
    r"\b(?:percent\w*|success\w*|results?|figures|numbers|rates?|statistics)\b|"
    r"\b(?:best|worst|highest|lowest)\s+(?:results?|response|uptake|accumulation)\b",
    re.IGNORECASE,
)
#: An item of the last list called by its name: "the kidney one", "and the allergy ones?".
NAMES_AN_ITEM = re.compile(r"\bthe\s+[a-z]+\s+(?:ones?|bit|part|thing)\b", re.IGNORECASE)
#: "so which is better" after tumours' figures: a ranking only in a conversation about them.
WHICH_IS_BETTER = re.compile(
    r"\bwhich\s+(?:one\s+)?(?:is|works|responds)\s+(?:better|best|worse)\b", re.IGNORECASE
)
#: "which tumour makes those hormones", "what cancer grows in the gut": the tumour whose
#: section says so.
ASKS_WHICH_TUMOUR = re.compile(
    r"\b(?:which|what)\s+(?:kind\s+of\s+|type\s+of\s+)?(?:tumou?rs?|cancers?)\s+"
    r"(?:\w+\s+)?(?:makes?|produces?|causes?|grows?|develops?|arises?|comes?|spreads?|forms?|"
    r"starts?|is\s+(?:in|from|found|located)|are\s+(?:in|from|found|located)|has|have|gives?)\b",
    re.IGNORECASE,
)
#: "what does that mean for him", "what does this mean for my dad": what it implies for
#: someone, not a question about a word.
MEANS_FOR_SOMEONE = re.compile(
    r"\bmeans?\s+for\s+(?:him|her|me|us|them|my\s+\w+|our\s+\w+|the\s+patient)\b",
    re.IGNORECASE,
)
#: "so he can't have it at all??", "does it stop the therapy?": whether a contraindication
#: rules MIBG out.
RULES_OUT = re.compile(
    r"\b(?:at\s+all|never|forbidden|not\s+allowed|rules?\s+(?:\w+\s+)?out|excluded?|"
    r"impossible|no\s+chance|stops?\s+(?:the\s+)?(?:therapy|treatment|mibg)|"
    r"(?:cannot|can\s*not|can'?t|still)\s+(?:have|get|do|take|start)\b)",
    re.IGNORECASE,
)
#: "is this allowed for him?", "can she have it?", "possible with those kidneys?": may this
#: person have the therapy.
MAY_THEY_HAVE_IT = re.compile(
    r"\b(?:is\s+(?:this|it|that|mibg)\s+(?:allowed|possible|safe|ok|okay)|"
    r"(?:allowed|possible|safe)\s+(?:for|with)\s+(?:him|her|me|them|th(?:o|e)se|this|that|his|my)|"
    r"(?:can|could|may)\s+(?:he|she|i|they|we)(?:\s+(?:have|get|take|do|receive|start|still))?\s*"
    r"(?:it|this|that|mibg|the\s+(?:therapy|treatment))?\s*\?|"
    r"(?:can|could|may)\s+(?:he|she|i|they|we)\s+(?:have|get|take|do|receive|start)\s+"
    r"(?:it|this|that|mibg|the\s+(?:therapy|treatment))|"
    r"(?:he|she|i|they|we)\s+(?:can|could|may)\s+(?:still\s+)?(?:have|get|take|do|receive|start)|"
    r"(?:is|am|are)\s+(?:he|she|i|they|we)\s+allowed|(?:he|she|i|they|we)\s+(?:is|am|are)\s+"
    r"allowed|\ballowed\s*\?|is\s+(?:it|that|this)\s+(?:a\s+)?problem|too\s+old)",
    re.IGNORECASE,
)
#: What may stand in the way that the article's contraindications do not name.
UNLISTED_CONDITION = re.compile(
    r"\bpregnan\w*|\bbreast\s*-?\s*feed\w*|\bnursing\b|\btoo\s+(?:old|young)\b|\bage\s+limit\b|"
    r"\b(?:old|elderly)\s+age\b",
    re.IGNORECASE,
)
#: "is this from mibg?", "is this normal?": is what the patient feels the therapy's doing.
FROM_THE_THERAPY = re.compile(
    r"\b(?:is|are)\s+(?:this|it|that|these|those)\s+(?:from|because\s+of|due\s+to|caused\s+by|"
    r"normal|usual|expected|common|ok|okay)\b|\b(?:from|because\s+of|due\s+to)\s+(?:the\s+)?"
    r"(?:mibg|therapy|treatment|radiation)\s*\?",
    re.IGNORECASE,
)
#: Blood pressure is the preparation's (its drugs are paused), not the blood counts' concern.
BLOOD_PRESSURE = re.compile(r"\bblood\s+pressure\b", re.IGNORECASE)
#: Intents whose own answer already speaks to what may stand in the way.
ELIGIBILITY_TOPICS = frozenset({"ask_contraindications", "ask_preparation", "ask_side_effects"})
#: "which tumour was that about?", "what cancer is this for": the tumour the last answer named.
WHICH_TUMOUR = re.compile(
    r"\b(?:which|what)\s+(?:tumou?r|cancer|disease|illness|one)\s+(?:was|is|were)\s+"
    r"(?:that|this|it)\b",
    re.IGNORECASE,
)
#: Sentences quoted for "tell me more" about a section.
MORE_SENTENCES = 5
#: Intents for which nothing confident is known.
FALLBACK_INTENTS = frozenset({"nlu_fallback", "out_of_scope", "inform"})
MAX_UNITS = 3
#: Fewer real words than this, and nothing recognised: "did not understand" rather than
#: "I can only help with MIBG therapy".
MIN_WORDS_FOR_A_QUESTION = 3
#: A message this long with a question mark is a question, whatever the classifier says.
MAX_YES_WORDS = 4
#: A passage is quoted from this score on (TF-IDF cosine, bot/content/passages.py).
PASSAGE_MIN_SCORE = 0.22
#: The same for a message that names nothing of ours, at the start of a conversation.
PASSAGE_MIN_UNANCHORED = 0.3
#: A question classified as not covered gets, after "not covered", a passage this close as
#: what the article does say (no context boost: on the blind sets, questions the article does
#: not answer scored at most 0.31).
PASSAGE_OVER_UNCOVERED = 0.36
#: From this score on, it is quoted alone: the article answers the question after all (also
#: when the classifier, unsure, read a question as the patient's case alone).
PASSAGE_ANSWERS_UNCOVERED = 0.45
#: A message the classifier put out of scope is answered by a passage of the last answer's
#: sections (plus the boost) this close: "which hormones are those?" after pheochromocytoma.
PASSAGE_IN_CONTEXT = 0.38
#: Added to the scores of passages from the sections the conversation is about.
CONTEXT_BOOST = 0.1
#: Below the fallback threshold, a question intent this likely still means "in our domain".
IN_DOMAIN_HINT = 0.2
#: A short message that points back ("what can they do about it?") with a classification
#: less sure than this is read in the last answer's context, not as a new subject.
VAGUE_MAX_CONFIDENCE = 0.5
VAGUE_MAX_WORDS = 9
#: A vague follow-up is answered by a passage of the last answer's sections from this score on
#: (context boost included); below it, by the first sentences of the first of them.
PASSAGE_VAGUE_IN_CONTEXT = 0.2
#: Intents a vague follow-up never overrides: they act, or they are about the conversation.
KEEPS_ITS_INTENT = frozenset(
    {
        "emergency", "request_treatment", "human_handoff", "cancel", "skip", "choose_item",
        "erase_data", "withdraw_consent", "show_my_data", "switch_language", "greet",
        "goodbye", "thanks", "deny", "personal_case", "change_field", "bot_challenge",
        "ask_definition",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Unit:
    """One response to send, with the template values it needs."""

    response: str
    values: Tuple[Tuple[str, str], ...] = ()
    tumour: Optional[str] = None
    #: The article section a quote comes from (not part of what is said, so not compared).
    section: Optional[str] = field(default=None, compare=False)
    #: A sentence found by ranking the article against the question (not picked by name,
    #: position or reason), so it may answer a neighbouring question.
    retrieved: bool = field(default=False, compare=False)


@dataclass
class Question:
    """One question of the message: its intent and the entities inside its part of the text."""

    intent: str
    entities: List[Dict[str, Any]] = field(default_factory=list)
    text: str = ""
    confidence: float = 1.0
    #: Tumours the rest of the message names ("my son has neuroblastoma. ... How well does it
    #: work for this tumour?").
    told: List[str] = field(default_factory=list)
    #: The whole message, when this question is one part of it.
    message: str = ""


def _values(entities: Iterable[Dict[str, Any]], name: str) -> List[str]:
    found = [e.get("value") for e in entities if e.get("entity") == name]
    return [v for v in found if isinstance(v, str)]


def tumour_units(tumours: List[str]) -> List[Unit]:
    """The tumour answers for the named tumour keys (PPGL is two, a bare NET the overview)."""
    units: List[Unit] = []
    for value in tumours:
        members = GROUPS.get(value, (value,))
        if not members:  # a neuroendocrine tumour without a type: the general answer
            units.append(Unit("utter_candidates"))
        for key in members:
            if key in TUMOUR_RESPONSES:
                units.append(Unit(TUMOUR_RESPONSES[key], tumour=key))
    return units


#: Words are compared by their first letters, so "isolating" and "isolation" count as one.
STEM_LETTERS = 5


def _content_words(text: str) -> set[str]:
    words = re.findall(r"[^\W\d_]{3,}", text.lower())
    return {w[:STEM_LETTERS] for w in words if w not in passages.STOP_WORDS}


def quote_unit(section: str, sentences: Iterable[passages.Passage], language: str) -> Unit:
    """Sentences of one section, quoted as one passage."""
    return Unit(
        "utter_article_quote",
        (
            ("section", passages.section_title(section, language)),
            ("quote", " ".join(p.cleaned for p in sentences)),
        ),
        section=section,
    )


def section_quote(section: str, language: str = DEFAULT_LANGUAGE) -> Unit:
    """The first sentences of a section, quoted as one passage ("tell me more")."""
    sentences = [p for p in passages.passages(language) if p.section == section]
    return quote_unit(section, sentences[:MORE_SENTENCES], language)


#: A "why?" that shares this much with one reason of the sections is answered with that one.
REASON_MATCH = 0.2
#: At most this many reasons of a section are quoted for a bare "why?".
MAX_REASONS = 3


def reason_units(text: str, context: Context) -> List[Unit]:
    """'Why?' after an answer: the sentences of its sections that give a reason or a mechanism
    (``explains`` in passages.yml), the one the question's words match if any; where the
    article gives no reason, the honest "not covered"."""
    sentences = passages.passages(context.language)
    explaining = [p for p in sentences if p.explains and p.section in context.sections]
    if not explaining and "contraindications" in context.sections:
        # "why is it a problem for mibg?" after a relative contraindication: no reason given,
        # but what such a contraindication means for the treatment
        relative = passage_unit(passages.passage(RELATIVE_MEANS, context.language))
        return [Unit("utter_not_covered"), relative]
    if not explaining:
        return [Unit("utter_not_covered")]
    ids = {p.id for p in explaining}
    hits = passages.index(context.language).search(text, limit=len(sentences))
    best = next(((p, score) for p, score in hits if p.id in ids), None)
    if best and best[1] >= REASON_MATCH:
        return [passage_unit(best[0])]
    with_reasons = {p.section for p in explaining}
    section = next(s for s in context.sections if s in with_reasons)
    chosen = [p for p in explaining if p.section == section][:MAX_REASONS]
    return [quote_unit(section, chosen, context.language)]


def section_topic(section: str, domain: Dict[str, Any]) -> Optional[str]:
    """The answer of ``domain`` whose source starts with the article section ``section``, so
    that its sections begin with it: a topic's answer before a term's definition, one with
    that section alone first, then in the domain's order."""
    found: List[Tuple[bool, int, int, str]] = []
    for order, (name, variations) in enumerate((domain.get("responses") or {}).items()):
        if name == "utter_article_quote":
            continue
        for variation in variations or []:
            sources = response_sources(variation)
            if sources and sources[0] == section:
                found.append((str(name).startswith("utter_define_"), len(sources), order, name))
    return str(min(found)[3]) if found else None


def tumours_named(text: str) -> List[str]:
    """Tumour keys whose title, or a word the article describes it with, ``text`` uses
    ("the thyroid one" -> MTC, "the brain one" -> paraganglioma)."""
    words = set(re.findall(r"[a-z]{3,}", text.lower())) - {"tumour", "tumours", "cancer"}
    return [
        key
        for key, title in TUMOURS.items()
        if words & (set(re.findall(r"[a-z]{5,}", title.lower())) | set(DESCRIBED_AS[key]))
        and not words & set(OTHER_KINDS.get(key, ()))  # "papillary thyroid cancer"
    ]


def term_units(keys: Iterable[str]) -> List[Unit]:
    """The explanation of each glossary term; for a word the article uses without explaining
    it ("enterochromaffin"), "not covered" first, then what the article says around it."""
    units: List[Unit] = []
    for key in keys:
        term = glossary.TERMS.get(key)
        if term:
            units += ([] if term.defined else [Unit("utter_not_covered")]) + [Unit(term.response)]
    return units


def passage_unit(passage: passages.Passage) -> Unit:
    return Unit(
        "utter_article_quote",
        (("section", passage.title), ("quote", passage.cleaned)),
        section=passage.section,
    )


def item_unit(item: str, language: str = DEFAULT_LANGUAGE) -> Optional[Unit]:
    """The unit for a list item key of actions/lists.py."""
    kind, _, key = item.partition(":")
    if kind == "tumour":
        return Unit(TUMOUR_RESPONSES[key], tumour=key)
    if kind == "term":
        return Unit(glossary.TERMS[key].response)
    if kind == "passage" and "+" in key:  # a bullet with the sentence that explains it
        sentences = [passages.passage(k, language) for k in key.split("+")]
        return quote_unit(sentences[0].section, sentences, language)
    if kind == "passage":
        return passage_unit(passages.passage(key, language))
    if kind == "response":
        return Unit(key)
    return None


class Context:
    """What the conversation was about (slots) and the domain's response texts."""

    def __init__(self, tracker: Tracker, domain: Dict[str, Any]) -> None:
        self.last_tumour = _str(tracker.get_slot("last_tumour"))
        self.last_topic = _str(tracker.get_slot("last_topic"))
        last_list = tracker.get_slot("last_list")
        self.last_list = (
            [i for i in last_list if isinstance(i, str)] if isinstance(last_list, list) else []
        )
        self.responses = domain.get("responses", {})
        self.language = conversation_language(tracker)
        self.in_form = bool((tracker.active_loop or {}).get("name"))

    def forget(self) -> None:
        """A new subject ("totally unrelated, but ..."): nothing to lean on."""
        self.last_tumour, self.last_topic, self.last_list = None, None, []
        self.in_form = False
        self.__dict__.pop("sections", None)

    def terms_of_last_answer(self) -> List[str]:
        """Glossary terms the last answer used, the least everyday first (glossary order)."""
        if not self.last_topic:
            return []
        text = self.last_answer_text().lower()
        return [
            key
            for key, term in glossary.TERMS.items()
            if term.response != self.last_topic and any(_has_word(text, p) for p in term.phrases)
        ]

    def item_named(self, text: str) -> Optional[str]:
        """The last list's item whose name the text uses ("the thyroid one", "the kidney one",
        "and the allergy one?"), names off the numbering included (actions/lists.py)."""
        tumours = tumours_named(text)
        for item in self.last_list:
            kind, _, key = item.partition(":")
            if kind == "tumour" and key in tumours:
                return item
        shown = next((r for r, items in LIST_ITEMS.items() if items == self.last_list), None)
        return named_item(shown, text) if shown else None

    def last_answer_text(self) -> str:
        """What the last topic answer said ("" when there was none)."""
        return self.text_of(Unit(self.last_topic)) if self.last_topic else ""

    def shares_words(self, text: str) -> bool:
        """Does ``text`` use a word of the last answer ("how long does the nausea last" after
        the side effects)? The words that name our scope itself (MIBG, therapy, Germany) do
        not count: "what's the weather in germany" is not about the treatment abroad."""
        shared = _content_words(text) & _content_words(self.last_answer_text())
        return bool(shared - scope_words(self.language))

    @property
    def about_a_tumour(self) -> bool:
        """Is a tumour, or the list of tumours, what the conversation is about?"""
        return bool(self.last_tumour) or any(i.startswith("tumour:") for i in self.last_list)

    def sources(self, response: str) -> Tuple[str, ...]:
        """The article sections ``response`` is drawn from."""
        return tuple(s for v in self.responses.get(response, []) for s in response_sources(v))

    def text_of(self, unit: Unit) -> str:
        """What ``unit`` says (its first variation, with its quote)."""
        variations = self.responses.get(unit.response) or [{}]
        return " ".join([str(variations[0].get("text") or ""), *dict(unit.values).values()])

    @cached_property
    def sections(self) -> Tuple[str, ...]:
        """The article sections the last answer (and the last tumour) came from (worked out
        once per message; ``forget`` clears it)."""
        found: List[str] = []
        for name in (self.last_topic, TUMOUR_RESPONSES.get(self.last_tumour or "")):
            found += self.sources(name or "")
        if self.in_form:
            found += FORM_SECTIONS
        return tuple(dict.fromkeys(s for s in found if s != "policy"))


@cache
def scope_words(language: str) -> frozenset[str]:
    """The word stems of the out-of-scope reply's text in ``language``: the words that say
    what we are about ("MIBG therapy and treatment in Germany")."""
    responses = localised_responses(domain_file.load()["responses"]).get(language) or {}
    text = " ".join(v.get("text") or "" for v in responses.get("utter_out_of_scope", []))
    return frozenset(_content_words(text))


@cache
def article_words(language: str) -> frozenset[str]:
    """The word stems of every quotable passage in ``language``."""
    return frozenset(_content_words(" ".join(p.cleaned for p in passages.passages(language))))


@cache
def patient_words() -> frozenset[str]:
    """The word stems of the patients' words the passage index reads as the article's ("often"
    for "repeatedly")."""
    return frozenset(_content_words(" ".join(passages.QUERY_SYNONYMS)))


def _str(value: Any) -> Optional[str]:
    return value if isinstance(value, str) and value else None


def _has_word(text: str, phrase: str) -> bool:
    return re.search(rf"(?<![a-z]){re.escape(phrase)}(?![a-z])", text) is not None


def is_followup(question: Question, context: Context) -> bool:
    """A short message in a conversation that already has a subject, not one that acts."""
    return (
        bool(context.sections)
        and question.intent not in KEEPS_ITS_INTENT
        and len(question.text.split()) <= SHORT_FOLLOWUP_WORDS
    )


def points_back(text: str) -> bool:
    """Does the message lean on the last answer: "and ...", "what about ...", "it", "the brain
    one", or a few words only ("how often")?"""
    return continues(text) or refers_back(text) or len(text.split()) <= TERSE_WORDS


def in_context_passage(question: Question, context: Context, minimum: float) -> Optional[Unit]:
    """The best passage for the question, if it is one of the conversation's sections."""
    hits = passages.index(context.language).search(
        question.text, limit=1, sections=context.sections, boost=CONTEXT_BOOST
    )
    if hits and hits[0][1] >= minimum and hits[0][0].section in context.sections:
        return replace(passage_unit(hits[0][0]), retrieved=True)
    return None


def units_for(question: Question, context: Context, in_form: bool) -> List[Unit]:
    """The units that answer one question (fallback intents give [] here), with the honest
    "not covered" first when it asks for a number and the answer has none."""
    units = topic_units(question, context, in_form)
    text = question.text
    stated = any(states_a_duration(t) for t in answer_texts(units, context))
    if asks_for_a_duration_or_count(text) and not stated and is_followup(question, context):
        # "how long have they been doing this" after the services: the conversation's sentence
        # that states a length of time, over a topic that states none
        near = in_context_passage(question, context, PASSAGE_NEXT_TO_UNCOVERED)
        if near and states_a_duration(context.text_of(near)):
            return [near]
    return honest(units, text, context)


def answer_texts(units: List[Unit], context: Context) -> List[str]:
    """What the units that answer (not "not covered", not the personal note) say, without
    the answers whose figures answer nothing asked (the costs' "up to 50%")."""
    return [
        context.text_of(u)
        for u in units
        if u.response not in NOT_TOPICS and u.response not in NO_ANSWERING_FIGURES
    ]


#: Words of a question that ask nothing of their own ("will she still need it afterwards").
_FILLER: Tuple[str, ...] = (
    "still", "need", "needs", "needed", "afterwards", "after", "before", "later", "again",
    "going", "happen", "happens", "right", "sure", "wonder", "think", "guess", "worry", "worried",
    "scared", "afraid", "thank", "thanks", "hello", "maybe", "possible", "every", "always",
    "never", "usually", "often", "time", "times", "first", "second", "third", "soon", "today",
    "would", "could", "should", "must", "like", "mean", "means", "meaning", "really", "know",
    "tell", "said", "says", "wrote", "mentioned", "talk", "asked", "question", "questions",
    "same", "thing", "kind", "sort", "type", "such", "other", "another", "different", "both",
    "either", "good", "great", "bad", "okay", "fine", "true", "real", "understand", "clear",
    "until", "back", "long", "much", "many", "fast", "quickly",
)  # fmt: skip
FILLER_STEMS = frozenset(w[:STEM_LETTERS] for w in _FILLER)


def leaves_words_unanswered(text: str, said: List[str]) -> bool:
    """Does a follow-up ask about something (a word, or the article's word for it) that the
    quoted sentence never mentions ("will she still need brain surgery afterwards" answered
    with where paraganglioma lies)?"""
    answered = _content_words(" ".join(said))
    for word in re.findall(r"[^\W\d_]{3,}", text.lower()):
        stems = _content_words(word) - FILLER_STEMS
        meant = _content_words(passages.QUERY_SYNONYMS.get(word, ""))
        if stems and not stems & answered and not meant & answered:
            return True
    return False


def honest(units: List[Unit], text: str, context: Context) -> List[Unit]:
    """``units`` with "not covered" first when the question asks for a number, or for a length
    of time or a count ("how long does the nausea last?"), that none of their answers states,
    or for a detail the article never gives (who pays for the hotel, how a test is done)."""
    if not any(u.response not in NOT_TOPICS for u in units):
        return units
    said = answer_texts(units, context)
    quotes_only = all(u.response in NOT_TOPICS or u.retrieved for u in units)
    if asks_a_detail_never_stated(text):  # "is the hotel for my husband paid?"
        missing = True
    elif (
        context.sections
        and quotes_only
        and context.language == DEFAULT_LANGUAGE
        and leaves_words_unanswered(text, said)
    ):
        missing = True  # a follow-up answered with a neighbouring sentence
    elif asks_for_a_duration_or_count(text):  # "a few days" answers "how many days?"
        missing = not any(states_a_duration(t) for t in said)
    else:
        missing = asks_for_a_figure(text) and not any(FIGURE.search(t) for t in said)
    if missing:
        return [Unit("utter_not_covered"), *units]
    return units


def asks_about_the_other(text: str) -> bool:
    """Does a message naming another illness ask something of its own about it ("what should
    she eat for that", "the normal radioiodine works as good?"), not only "and for X?"?"""
    if not about_other_health(text):
        return False
    return bool(_content_words(text) - _content_words(" ".join(other_health_words(text))))


def topic_units(question: Question, context: Context, in_form: bool) -> List[Unit]:
    """The units that answer one question (fallback intents give [] here)."""
    intent = question.intent
    text = question.text
    if in_form and intent in IN_FORM_ANSWERS:
        return [Unit(IN_FORM_ANSWERS[intent])]
    named = tumour_units(_values(question.entities, "tumour"))
    followup = is_followup(question, context)
    if context.sections and not named and continues(text) and names_other_health(text):
        # "and for breast cancer?", "does it work the same for papillary thyroid cancer": would
        # MIBG help; "she also has hashimoto, what should she eat for that?": the other illness
        return [Unit("utter_out_of_scope" if asks_about_the_other(text) else "utter_not_covered")]
    if context.sections and not named and WHICH_TUMOUR.search(text):
        keys = tumours_named(context.last_answer_text()) or (
            [context.last_tumour] if context.last_tumour else []
        )
        if keys:
            return tumour_units(keys[:MAX_UNITS])
    if not named and ASKS_WHICH_TUMOUR.search(text) and not COMPARES_TUMOURS.search(text):
        hits = passages.index(context.language).search(text, limit=5)
        described = tumours_named(text)  # "the gut" is the carcinoids' word
        found = described if len(described) == 1 else []
        found += [p.section for p, score in hits if p.section in TUMOURS and score > 0]
        if found:
            return tumour_units(found[:1])
    if intent not in {"ask_preparation", "out_of_scope"} and passages.names_a_drug(text):
        # "she takes olanzapine ... she now needs mibg for carcinoid. what with her olanzapine?"
        medicines = passage_unit(passages.passage(MEDICINES_PAUSED, context.language))
        return [medicines, *named]
    if intent != "out_of_scope" and MAY_THEY_HAVE_IT.search(text):
        # "...he got a strong reaction, rash all over, lips swelling. Is this allowed for him?":
        # the contraindication the story names
        story = question.message or text  # "...lips swelling. Is this allowed for him?"
        item = named_item("utter_contraindications", BLOOD_PRESSURE.sub(" ", story))
        unit = item_unit(item, context.language) if item else None
        if unit and intent not in ELIGIBILITY_TOPICS:
            return [unit, *named]
        if not item and (UNLISTED_CONDITION.search(story) or mentions_other_health(story)):
            # pregnancy, age, diabetes: the article lists no such contraindication (what it
            # does list follows when that was the question)
            listed = [Unit(ANSWERS[intent])] if intent in ELIGIBILITY_TOPICS else []
            return [Unit("utter_not_covered"), *listed, *named]
    if intent not in {"ask_side_effects", "out_of_scope"} and FROM_THE_THERAPY.search(text):
        # "...now he feels sick and vomits sometimes. this is from mibg?"
        item = named_item("utter_side_effects", question.message or text)
        if item:
            return [item_unit(item, context.language) or Unit("utter_side_effects"), *named]
    if "contraindications" in context.sections[:1] and not named and RULES_OUT.search(text):
        # "so he can't have it at all??" after the contraindications: the one they name
        # ("she is allergic"), else what a relative contraindication means
        item = context.item_named(text) if context.last_list else None
        unit = item_unit(item, context.language) if item else None
        return [unit or passage_unit(passages.passage(RELATIVE_MEANS, context.language))]
    ranks = len(named) != 1 and COMPARES_TUMOURS.search(text)
    ranks_them = context.about_a_tumour and not named and WHICH_IS_BETTER.search(text)
    if ranks_them or (ranks and (intent in ABOUT_A_TUMOUR or context.about_a_tumour)):
        return [Unit("utter_tumour_comparison")]  # the article's figures side by side
    if followup and asks_why(text) and not named and not _values(question.entities, "term"):
        return reason_units(text, context)  # "why?", "then why treat it", "how so"
    if asks_for_more(text) and context.sections:  # "tell me more", "anything else?"
        return [section_quote(context.sections[0], context.language)]
    acts = intent in KEEPS_ITS_INTENT or intent == "choose_item"
    if context.last_list and not acts:
        # "the third one, how well does it work?", "the fourth one is what my son has, how does
        # it do with that": an explicit pick wins over the classifier, however long the message
        index = item_index(text, len(context.last_list), strict=True)
        item = context.last_list[index] if index is not None else None
        if item is None and NAMES_AN_ITEM.search(text):  # "the kidney one - so she cannot ..."
            item = context.item_named(text)
        unit = item_unit(item, context.language) if item else None
        if unit:
            return [unit]
    if not named and followup and context.about_a_tumour and points_back(text):
        named = tumour_units(tumours_named(text))[:1]  # "and the brain one?"
        if named:
            return named
    outcome = intent == "ask_tumour" or asks_about_outcome(text) or judges_figures(text)
    leans_on_tumour = intent in ABOUT_A_TUMOUR or (followup and points_back(text))
    if leans_on_tumour and outcome and not named and context.last_tumour and not asks_why(text):
        # "and the thyroid one, do people stabilise?": the tumour its words name, else ("and its
        # results?", "does it shrink it?") the tumour the conversation is about
        return tumour_units(tumours_named(text)[:1] or [context.last_tumour])
    if named and intent in FALLBACK_INTENTS and continues(text):
        return named  # "what about for neuroblastma then": that tumour, as the last one was
    specific = [u for u in named if u.tumour]
    if not named and len(question.told) == 1 and REFERS_TO_A_TUMOUR.search(text):
        specific = tumour_units(question.told)
    if specific and intent in ANSWERS and ASKS_HOW_WELL.search(text):
        # "...our oncologist mentioned MIBG therapy in Germany. How well does it work for this
        # tumour?": the tumour's figures first, whatever topic the story leaned to
        return specific[:1] + [Unit(ANSWERS[intent])]
    if named and intent in GENERAL_WITH_A_TUMOUR:
        # "where are carcinoid tumours usually", "how does it work for neuroblastoma": that
        # tumour's answer first, then the general one the classifier chose
        return named + [Unit(ANSWERS[intent])]
    if intent == "affirm":  # a yes with nothing pending, or a short question read as one
        if context.sections and ASKS.search(text):  # "when exactly?"
            return [section_quote(context.sections[0], context.language)]
        if "?" in text and len(text.split()) > MAX_YES_WORDS:
            return []  # a real question read as a yes ("warum schauen die so genau ...?")
        return [Unit("utter_anything_else")]
    if intent == "ask_tumour":
        return named or [Unit("utter_ask_which_tumour")]
    if intent == "personal_case" and question.confidence < SURE:
        # "we paid a deposit ... do we get the rest back?": a case told with a question the
        # article answers in one sentence
        hit = best_passage(text, context, PASSAGE_ANSWERS_UNCOVERED, boost=0.0)
        if hit:
            return [hit]
    if intent == "ask_uncovered":
        specific = [u for u in named if u.tumour]
        if (
            specific
            and asks_about_outcome(text)
            and not COMPARES.search(text)
            and question.confidence < SURE
        ):
            # "my son has neuroblastoma ... in how many kids does the tumour go back": the
            # tumour's figures, which a long case story hides from the classifier
            return specific
        hit = best_passage(text, context, PASSAGE_ANSWERS_UNCOVERED, boost=0.0)
        if hit:  # the classifier was wrong: the article does answer it
            return [hit]
        near = best_passage(text, context, PASSAGE_OVER_UNCOVERED, boost=0.0)
        if not near and followup:
            near = in_context_passage(question, context, PASSAGE_NEXT_TO_UNCOVERED)
        # Not what was asked, but what the article says next to it ("the imaging bit, what is
        # that for?" after the checks during therapy).
        return [Unit("utter_not_covered"), *([near] if near else [])]
    if intent == "ask_definition":
        if (
            context.last_tumour
            and not _values(question.entities, "term")
            and not DEFINE_CUE.search(text)
            and refers_back(text)
            and asks_about_outcome(text)
        ):
            return tumour_units([context.last_tumour])  # "is it malignant" after carcinoids
        if not _values(question.entities, "term") and MEANS_FOR_SOMEONE.search(text):
            return []  # "what does that mean for him": what it implies, not what a word means
        terms = _values(question.entities, "term") or context.terms_of_last_answer()[:2]
        units = term_units(terms)
        # "what does that certificate mean": a word the glossary lacks, in the article's words
        hit = None if units else best_passage(text, context, PASSAGE_MIN_SCORE)
        return units or [hit or Unit("utter_define_which")]
    if intent == "choose_item" or (context.last_list and intent in FALLBACK_INTENTS):
        chosen = intent == "choose_item"
        index = item_index(text, len(context.last_list), strict=not chosen)
        item = context.last_list[index] if index is not None else context.item_named(text)
        unit = item_unit(item, context.language) if item else None
        if unit is None and chosen:  # "the thyroid one" with no list on screen
            unit = next(iter(tumour_units(tumours_named(text))), None)
        if unit or chosen:
            return [unit] if unit else []
    if intent in ANSWERS:
        topic = Unit(ANSWERS[intent])
        if followup and not named and points_back(text) and question.confidence < SURE:
            # "and the hormones in the blood?" after pheochromocytoma: its own sentence, not
            # the topic the classifier picked from outside the conversation; "how often?"
            # after the checks during therapy: the sentence that says how often
            outside = not set(context.sources(topic.response)) & set(context.sections)
            if outside or len(text.split()) <= TERSE_WORDS:
                near = in_context_passage(question, context, PASSAGE_OVER_TOPIC)
                if near:
                    return [near]
        # "what is a radiotracer?" read as "what is MIBG": explain the term first.
        defined = [
            Unit(glossary.TERMS[t].response)
            for t in _values(question.entities, "term")
            if t in glossary.TERMS and DEFINE_CUE.search(text)
        ]
        return [u for u in defined if u != topic] + [topic]
    return []


def best_passage(
    text: str,
    context: Context,
    minimum: float,
    terms: Iterable[str] = (),
    boost: float = CONTEXT_BOOST,
    within: bool = False,
) -> Optional[Unit]:
    """The best passage for ``text`` in the conversation's context, if it scores ``minimum``.

    When the message names article terms, only passages that use one of them are candidates;
    ``within``: only passages of the context's sections.
    """
    if not context.sections and not _content_words(text):
        return None  # "what can they do about it" means something only in a conversation
    phrases = [p for t in terms if t in glossary.TERMS for p in glossary.TERMS[t].phrases]
    hits = passages.index(context.language).search(
        text, limit=len(passages.passages()), sections=context.sections, boost=boost
    )
    for passage, score in hits:
        if score < minimum:
            break
        if within and passage.section not in context.sections:
            continue
        if not phrases or any(_has_word(passage.cleaned.lower(), p) for p in phrases):
            return replace(passage_unit(passage), retrieved=True)
    return None


def vague_followup(tracker: Tracker, context: Context) -> bool:
    """Is the latest message a short question that only makes sense after the last answer
    ("what can they do about it?", "how long does it take then?"), which the classifier did
    not place with confidence?"""
    message = tracker.latest_message or {}
    text = str(message.get("text") or "")
    intent = message.get("intent") or {}
    if not context.sections or intent.get("name") in KEEPS_ITS_INTENT:
        return False
    if len(message.get("questions") or []) > 1 or len(text.split()) > VAGUE_MAX_WORDS:
        return False
    entities = message.get("entities") or []
    if _values(entities, "tumour") or _values(entities, "term") or not points_back(text):
        return False
    known = article_words(context.language)
    if len(text.split()) <= TERSE_WORDS:  # "how often": nothing else in it to place it
        known |= patient_words()
    if not _content_words(REFERS_RE.sub(" ", text)) <= known:
        return False  # a word the article never uses: "can you write me a poem about them?"
    unsure = float(intent.get("confidence") or 0.0) < VAGUE_MAX_CONFIDENCE
    return intent.get("name") in {"nlu_fallback", None} or unsure


def vague_units(tracker: Tracker, context: Context) -> List[Unit]:
    """A vague follow-up's answer: the closest passage of the last answer's sections, else
    (unless the classifier put it out of scope) the first sentences of the first section."""
    message = tracker.latest_message or {}
    hit = best_passage(
        str(message.get("text") or ""), context, PASSAGE_VAGUE_IN_CONTEXT, within=True
    )
    if hit:
        return [hit]
    if (message.get("intent") or {}).get("name") == "out_of_scope":
        return []
    return [section_quote(context.sections[0], context.language)]


def fallback_units(tracker: Tracker, context: Context) -> List[Unit]:
    """The answer when no intent is confident (or the classifier said out of scope)."""
    message = tracker.latest_message or {}
    text = message.get("text") or ""
    entities = message.get("entities") or []
    intent = (message.get("intent") or {}).get("name")
    in_domain = ties_to_our_domain(entities, text)
    if intent == "out_of_scope" and not in_domain:
        # A word of the last answer pulls back only a message no rule judged outside our
        # domain: "how long does the nausea last" after the side effects, not "how much does a
        # tesla cost" after the costs.
        confidence = float((message.get("intent") or {}).get("confidence") or 0.0)
        judged = confidence >= OUT_OF_DOMAIN_CONFIDENCE
        shares = not judged and context.shares_words(text)
        if THERAPY_REFERENCE.search(text) and asks_a_detail_never_stated(text):
            return [Unit("utter_not_covered")]  # "is it safe for my grandkids after the therapy"
        if not (context.sections and (continues(text) or shares)):
            return [Unit("utter_out_of_scope")]
        # "and how long does the sickness last?" right after an answer: a follow-up
        follow_up = best_passage(text, context, PASSAGE_IN_CONTEXT)
        return [follow_up or Unit("utter_not_covered")]
    terms = [t for t in _values(entities, "term") if t in glossary.TERMS]
    tumours = tumour_units(_values(entities, "tumour"))
    specific = [u for u in tumours if u.tumour]
    if specific and asks_about_outcome(text) and not COMPARES.search(text):
        # a long case story that names the tumour and asks "what chance mibg works for him":
        # the tumour's figures, not the passage that shares most of the story's words
        return specific
    # Nothing of ours named and no conversation to lean on: only a close passage will do.
    minimum = PASSAGE_MIN_SCORE if in_domain or context.sections else PASSAGE_MIN_UNANCHORED
    hit = best_passage(text, context, minimum, terms)
    if hit:
        return [hit]
    if tumours:
        return tumours
    if terms:
        return term_units(terms[:1])
    ranking = message.get("intent_ranking") or []
    hinted = any(
        r.get("name") in QUESTION_INTENTS and r.get("confidence", 0) >= IN_DOMAIN_HINT
        for r in ranking
    )
    if in_domain or hinted:
        return [Unit("utter_not_covered")]
    # Words, but nothing of ours: say what we can help with. Only a word salad is "not understood".
    words = re.findall(r"[^\W\d_]{2,}", text)
    return [
        Unit("utter_out_of_scope" if len(words) >= MIN_WORDS_FOR_A_QUESTION else "utter_default")
    ]


def questions_of(tracker: Tracker) -> List[Question]:
    """The message's questions, each with the entities found inside its part of the text."""
    message = tracker.latest_message or {}
    text = message.get("text") or ""
    entities = [e for e in message.get("entities") or [] if isinstance(e, dict)]
    listed = message.get("questions")
    if isinstance(listed, list) and listed:
        found = []
        told = list(dict.fromkeys(_values(entities, "tumour")))
        for q in listed:
            if not isinstance(q, dict) or not isinstance(q.get("intent"), str):
                continue
            start, end = int(q.get("start", 0)), int(q.get("end", len(text)))
            inside = [e for e in entities if start <= int(e.get("start", -1)) < end]
            confidence = float(q.get("confidence") or 1.0)
            found.append(Question(q["intent"], inside, text[start:end], confidence, told, text))
        if found:
            intent = (message.get("intent") or {}).get("name")
            if intent == "emergency":  # safety first, then the questions
                found.insert(0, Question("emergency"))
            return found
    classified = message.get("intent") or {}
    confidence = float(classified.get("confidence") or 0.0)
    return [Question(classified.get("name") or "nlu_fallback", entities, text, confidence)]


def plan(tracker: Tracker, domain: Dict[str, Any], in_form: bool) -> List[Unit]:
    """Every unit to send for the latest message, in order, without repeats."""
    context = Context(tracker, domain)
    if changes_subject(str((tracker.latest_message or {}).get("text") or "")):
        context.forget()
    units: List[Unit] = []
    for question in questions_of(tracker):
        for unit in units_for(question, context, in_form):
            if unit not in units:
                units.append(unit)
    if len(units) > 1:  # a real answer makes "is it right for me?" the personal note's job
        units = [u for u in units if u.response != "utter_personal_case"] or units
    if not units and not in_form and vague_followup(tracker, context):
        units = vague_units(tracker, context)
    if not units:
        text = str((tracker.latest_message or {}).get("text") or "")
        units = honest(fallback_units(tracker, context), text, context)
    if len(units) > MAX_UNITS:  # three answers say more than "not covered" for one of them
        units = [u for u in units if u.response != "utter_not_covered"] or units
    return units[:MAX_UNITS]


def message_for_the_coordinator(tracker: Tracker, in_form: bool) -> Optional[str]:
    """At the form's free-text step, "please call me after five pm" is the message itself, not
    a request for a person (which the form answers with "a case manager will contact you")."""
    if not in_form or tracker.get_slot("requested_slot") != "message":
        return None
    message = tracker.latest_message or {}
    text = str(message.get("text") or "").strip()
    intent = (message.get("intent") or {}).get("name")
    if intent in IN_FORM_ANSWERS and text and not text.endswith("?") and not text.startswith("/"):
        return text[:MAX_MESSAGE_CHARS]
    return None


class ActionAnswer(Action):
    """Answer the latest message from the article (see the module docstring)."""

    def name(self) -> str:
        return "action_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        in_form = bool((tracker.active_loop or {}).get("name"))
        taken = message_for_the_coordinator(tracker, in_form)
        if taken:
            return [SlotSet("personal_note", None), SlotSet("message", taken)]
        units = plan(tracker, domain, in_form)
        for unit in units:
            dispatcher.utter_message(response=unit.response, **dict(unit.values))
        framing = (tracker.latest_message or {}).get("framing")
        # A topic answer, or "not covered": either way this person's case needs a specialist.
        topical = [u for u in units if u.response not in NOT_TOPICS - {"utter_not_covered"}]
        note = framing == "personal" and bool(topical) and not in_form
        events: List[EventType] = [SlotSet("personal_note", True if note else None)]
        last = units[-1]
        tumours = [u.tumour for u in units if u.tumour]
        if tumours:
            events.append(SlotSet("last_tumour", tumours[-1]))
        # A quote or "not covered" leaves the subject where it was: "and how long does it take?"
        # after "the article does not cover this" is still about the last topic.
        if last.response not in {"utter_article_quote", "utter_not_covered"}:
            events.append(SlotSet("last_topic", last.response))
        elif last.section and not tracker.get_slot("last_topic"):
            # With no subject yet, the quote's section becomes it: "go on" goes on there.
            topic = section_topic(last.section, domain)
            if topic:
                events.append(SlotSet("last_topic", topic))
        shown = [LIST_ITEMS[u.response] for u in units if u.response in LIST_ITEMS]
        if shown:  # a list stays the one "the second one" refers to until another is shown
            events.append(SlotSet("last_list", shown[-1]))
        return events
