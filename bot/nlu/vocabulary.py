"""spaCy rule-based extractors for the ``tumour`` and ``term`` entities.

Patients name their tumour in many ways ("pheo", "PPGL", "MTC", "NET of the gut") and misspell
it ("pheocromocitoma"). A statistical extractor would need hundreds of annotated examples to
learn that; a phrase matcher built from ``bot.content.tumours`` gets it right from the first
message, and a close-match step catches typos in long single words. The entity value is always
the canonical key, so no synonym mapper is needed downstream.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from functools import lru_cache
from typing import Any, Dict, List, Mapping, Optional

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.utils.spacy_utils import SpacyModel
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from bot.content import glossary
from bot.content.tumours import FUZZY_WORDS, OTHER_KINDS, SYNONYMS
from bot.nlu.rule_component import RuleComponent, SpacyRuleComponent, override_intent

ENTITY_NAME = "tumour"
#: How close a word must be to a known tumour word to count as a typo of it.
FUZZY_CUTOFF = 0.82
#: Shorter words are too easy to confuse ("carcino" vs "cardio"), so they must match exactly.
FUZZY_MIN_LENGTH = 7
#: Distinct words whose close match is remembered (in memory only; words, not messages).
CLOSE_MATCHES_REMEMBERED = 2048


class CloseWords:
    """difflib's close match of one word among known words, asked only of words that can match.

    ``difflib.get_close_matches`` scores every known word (546 across three languages) for
    every long token, a third of the NLU's time. A ratio can never exceed
    ``2 * min(a, b) / (a + b)`` for words of lengths a and b (difflib's ``real_quick_ratio``),
    so known words of a length that cannot reach the cutoff are left out: the result is the
    same, since difflib keeps the best score at or above the cutoff whatever the order.
    """

    def __init__(self, words: Mapping[str, str], cutoff: float = FUZZY_CUTOFF) -> None:
        self.words = dict(words)
        self.cutoff = cutoff
        by_length: Dict[int, List[str]] = defaultdict(list)
        for word in self.words:
            by_length[len(word)].append(word)
        self.by_length = dict(by_length)
        self.key = lru_cache(maxsize=CLOSE_MATCHES_REMEMBERED)(self._key)

    def candidates(self, word: str) -> List[str]:
        """The known words whose length lets them reach the cutoff against ``word``."""
        n = len(word)
        return [
            known
            for length, words in self.by_length.items()
            if 2.0 * min(n, length) / (n + length) >= self.cutoff
            for known in words
        ]

    def _key(self, word: str) -> Optional[str]:
        """The value of the known word closest to ``word``, if one reaches the cutoff."""
        close = difflib.get_close_matches(word, self.candidates(word), n=1, cutoff=self.cutoff)
        return self.words[close[0]] if close else None


TUMOUR_WORDS = CloseWords(FUZZY_WORDS)
TERM_WORDS = CloseWords(glossary.FUZZY_WORDS)


def build_matcher(nlp: Language, synonyms: Mapping[str, List[str]] = SYNONYMS) -> PhraseMatcher:
    """A case-insensitive phrase matcher with one label per canonical key of ``synonyms``."""
    matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
    for key, phrases in synonyms.items():
        matcher.add(key, [nlp.make_doc(phrase) for phrase in phrases])
    return matcher


def find_mentions(
    doc: Doc,
    matcher: PhraseMatcher,
    fuzzy_words: CloseWords = TUMOUR_WORDS,
    entity: str = "tumour",
) -> List[Dict[str, Any]]:
    """Mentions in ``doc`` as Rasa entity dicts, longest match first, no overlaps.

    Used for tumours (the defaults) and, with the glossary's vocabulary, for terms.
    """
    vocab = doc.vocab
    spans = sorted(
        ((start, end, vocab.strings[match_id]) for match_id, start, end in matcher(doc)),
        key=lambda item: (item[0] - item[1], item[0]),
    )
    taken: set = set()
    found: List[Dict[str, Any]] = []
    for start, end, key in spans:
        if taken.intersection(range(start, end)):
            continue
        around = {doc[i].lower_ for i in (start - 1, end) if 0 <= i < len(doc)}
        if around & set(OTHER_KINDS.get(key, ())):
            continue  # "papillary thyroid cancer", "thyroid cancer papillary": another illness
        taken.update(range(start, end))
        span = doc[start:end]
        found.append(_entity(span.start_char, span.end_char, key, entity))
    for token in doc:
        if token.i in taken or len(token.text) < FUZZY_MIN_LENGTH or not token.is_alpha:
            continue
        close = fuzzy_words.key(token.lower_)
        if close:
            found.append(_entity(token.idx, token.idx + len(token.text), close, entity))
    return sorted(found, key=lambda entity: entity["start"])


def _entity(start: int, end: int, key: str, entity: str = ENTITY_NAME) -> Dict[str, Any]:
    return {
        "entity": entity,
        "start": start,
        "end": end,
        "value": key,
        "confidence": 1.0,
    }


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False, model_from="SpacyNLP"
)
class TumourEntityExtractor(SpacyRuleComponent, EntityExtractorMixin):
    """Finds tumour names with a spaCy ``PhraseMatcher`` plus a typo-tolerant close match."""

    @staticmethod
    def build_matcher(nlp: Language) -> PhraseMatcher:
        return build_matcher(nlp)

    def process(self, messages: List[Message], model: SpacyModel) -> List[Message]:
        matcher = self.matcher(model)
        for message in messages:
            text = message.get(TEXT) or ""
            entities = self.add_extractor_name(find_mentions(model.model.make_doc(text), matcher))
            message.set(ENTITIES, message.get(ENTITIES, []) + entities, add_to_output=True)
        return messages


TERM_ENTITY = "term"


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False, model_from="SpacyNLP"
)
class TermEntityExtractor(SpacyRuleComponent, EntityExtractorMixin):
    """Finds the article's terms (bot/content/glossary.py) the same way, as the ``term`` entity.

    "What does myelosupression mean?" then names the term to explain, typo or not.
    """

    @staticmethod
    def build_matcher(nlp: Language) -> PhraseMatcher:
        return build_matcher(nlp, glossary.SYNONYMS)

    def process(self, messages: List[Message], model: SpacyModel) -> List[Message]:
        matcher = self.matcher(model)
        for message in messages:
            doc = model.model.make_doc(message.get(TEXT) or "")
            found = find_mentions(doc, matcher, TERM_WORDS, TERM_ENTITY)
            entities = self.add_extractor_name(found)
            message.set(ENTITIES, message.get(ENTITIES, []) + entities, add_to_output=True)
        return messages


#: A message this short, naming a tumour, is a question about that tumour ("pheo", "MTC?").
BARE_MENTION_MAX_EXTRA_CHARS = 12


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class BareTumourIntent(RuleComponent):
    """Reads a message that is little more than a tumour name as ``ask_tumour``.

    Patients often type just "pheo" or "neuroblastoma?". Bag-of-words classifiers have too
    little to go on and fall back; the entity extractor has already found the tumour, so the
    question is clear. Put it after the intent classifier and before the ``FallbackClassifier``.
    """

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {"intent": "ask_tumour"}

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = (message.get(TEXT) or "").strip()
            tumours = [e for e in message.get(ENTITIES, []) if e.get("entity") == ENTITY_NAME]
            if text.startswith("/") or not tumours:
                continue
            named = sum(e["end"] - e["start"] for e in tumours)
            if len(text) - named <= BARE_MENTION_MAX_EXTRA_CHARS:
                override_intent(message, self._config["intent"])
        return messages
