"""Two out-of-domain judgements the intent classifier cannot make on its own.

1. **Other illnesses and medicines** ("side effects of ibuprofen"): see
   bot/content/other_health.py. A rule, no training.
2. **Words our domain never uses** ("how much does it cost to replace a clutch"): the
   classifier knows "how much does it cost" and cannot weigh "clutch", a word it has never
   seen. ``DomainVocabulary`` learns every word of the in-domain training examples, of the
   article and of the world's country and language names (patients say where they live); a
   question with two such unknown content words, or one and a classifier confidence below
   ``min_confidence``, is out of scope. A personally framed question carries context ("we
   live in delhi and flying is hard for him"), so it needs ``personal_unknown`` unknown words,
   or one and a confidence below ``personal_min_confidence``. Measured on the blind splits
   (docs/intents.md): 1.0 % of held-out in-domain questions rejected, 96.6 % of out-of-domain
   sentences.

Neither applies to a message that names a tumour, an article term or MIBG itself, nor to
intents that are not questions (form answers, yes/no, greetings). The override's confidence is
``OUT_OF_DOMAIN_CONFIDENCE``: below the 0.8 from which the request form takes ``out_of_scope``
as "not an answer", so a free-text form answer ("lung cancer", a foreign name) is still
judged by the form, with the field in view.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Set

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_NAME_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.content.article import article_text
from bot.content.framing_phrases import is_personal
from bot.content.other_health import (
    OUT_OF_DOMAIN_CONFIDENCE,
    about_other_health,
    ties_to_our_domain,
)
from bot.content.passages import QUERY_SYNONYMS, STOP_WORDS
from bot.nlu.questions import may_hold_two
from bot.nlu.rule_component import RuleComponent, StoredComponent, intent_name

OUT_OF_SCOPE = "out_of_scope"
#: Intents that are not questions about a topic: never judged here.
NOT_QUESTIONS = frozenset(
    {"inform", "affirm", "deny", "greet", "goodbye", "thanks", "cancel", "skip"}
    | {"change_field", "choose_item", "request_treatment", "emergency", OUT_OF_SCOPE}
    | {"human_handoff", "nlu_fallback", "erase_data", "withdraw_consent", "show_my_data"}
)
#: Not judged as questions, but another illness named makes them surely out of scope ("what
#: helps her chemo sickness" said after our side effects would otherwise be read in context).
UNSURE = frozenset({OUT_OF_SCOPE, "nlu_fallback"})
WORD_RE = re.compile(r"[a-z]+")


def content_words(text: str) -> List[str]:
    """Lower-case words of three letters or more that carry meaning."""
    return [w for w in WORD_RE.findall(text.lower()) if len(w) >= 3 and w not in STOP_WORDS]


#: "at home in baku", "we are from delhi": the writer's own town, a name no vocabulary holds.
HOME_TOWN_RE = re.compile(r"\b(?:in|from|near)\s+([^\W\d_]{3,})", re.IGNORECASE)


def without_home_towns(text: str) -> str:
    """``text`` without the place names a patient says they live in or come from."""
    return HOME_TOWN_RE.sub(" ", text)


def _in_our_domain(message: Message) -> bool:
    return ties_to_our_domain(message.get(ENTITIES) or [], message.get(TEXT) or "")


def _judged(message: Message) -> bool:
    text = message.get(TEXT) or ""
    return not text.startswith("/") and intent_name(message) not in NOT_QUESTIONS


def _question_confidence(message: Message, text: str) -> float:
    """How sure the classifier is that the message asks our questions: its top intent's
    confidence, and in a message that may hold two questions ("do you book hotels, and how
    much can we save?": services 0.50, costs 0.49) the next intent's as well."""
    ranking = message.get("intent_ranking") or []
    top = float((message.get(INTENT) or {}).get("confidence") or 0.0)
    if not may_hold_two(text) or len(ranking) < 2 or ranking[1].get("name") == OUT_OF_SCOPE:
        return top
    return top + float(ranking[1].get("confidence") or 0.0)


def _reject(message: Message, above_the_rest: bool = False) -> None:
    """Make the intent ``out_of_scope`` (first in the ranking) with the override confidence.

    ``above_the_rest``: the other intents are scaled below it, so that the FallbackClassifier
    does not find "side effects of chemotherapy" ambiguous (ask_side_effects 0.97 under
    out_of_scope 0.75) and turn it into ``nlu_fallback``, which the answer action may quote.
    """
    intent = {INTENT_NAME_KEY: OUT_OF_SCOPE, "confidence": OUT_OF_DOMAIN_CONFIDENCE}
    ranking = [r for r in message.get("intent_ranking") or [] if r.get("name") != OUT_OF_SCOPE]
    if above_the_rest:
        rest = 1.0 - OUT_OF_DOMAIN_CONFIDENCE
        ranking = [{**r, "confidence": float(r.get("confidence") or 0.0) * rest} for r in ranking]
    message.set(INTENT, intent, add_to_output=True)
    message.set("intent_ranking", [intent] + ranking, add_to_output=True)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class OtherHealthOutOfScope(RuleComponent):
    """Questions about other illnesses and medicines are out of scope (judgement 1)."""

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            judged = _judged(message) or intent_name(message) in UNSURE
            if judged and not _in_our_domain(message) and about_other_health(text):
                _reject(message, above_the_rest=True)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class DomainVocabulary(StoredComponent):
    """Questions made of words our domain never uses are out of scope (judgement 2)."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            "min_confidence": 0.7,
            "personal_unknown": 3,
            "personal_min_confidence": 0.5,
            "min_unknown_share": 0.2,
        }

    FILE_NAME = "vocabulary.json"

    def use(self, model: Optional[Set[str]]) -> None:
        self.vocabulary: Set[str] = model or set()

    @staticmethod
    def write(path: Path, model: Set[str]) -> None:
        path.write_text(json.dumps(sorted(model)), encoding="utf-8")

    @staticmethod
    def read(path: Path) -> Set[str]:
        return set(json.loads(path.read_text(encoding="utf-8")))

    def train(self, training_data: TrainingData) -> Resource:
        words = set(content_words(article_text())) | place_and_language_words()
        # Patients' words that the passage index maps onto the article's ("exams", "puke").
        words |= set(content_words(" ".join(f"{k} {v}" for k, v in QUERY_SYNONYMS.items())))
        for example in training_data.intent_examples:
            if example.get(INTENT) != OUT_OF_SCOPE:
                words.update(content_words(example.get(TEXT) or ""))
        return self.store(words)

    def unknown_words(self, text: str) -> List[str]:
        return [w for w in content_words(text) if w not in self.vocabulary]

    def process(self, messages: List[Message]) -> List[Message]:
        if not self.vocabulary:
            return messages
        for message in messages:
            if not _judged(message) or _in_our_domain(message):
                continue
            text = message.get(TEXT) or ""
            personal = is_personal(text)
            # A patient's own case may name their town; a general question's place is its topic.
            unknown = len(self.unknown_words(without_home_towns(text) if personal else text))
            confidence = _question_confidence(message, text)
            if personal:
                enough, unsure = (
                    self.config["personal_unknown"],
                    self.config["personal_min_confidence"],
                )
            else:
                enough, unsure = 2, self.config["min_confidence"]
            # A long message (several questions, context) may hold a couple of new words.
            share = unknown / max(1, len(content_words(text)))
            if (unknown >= enough and share >= self.config["min_unknown_share"]) or (
                unknown >= 1 and confidence < unsure
            ):
                _reject(message)
        return messages


def place_and_language_words() -> Set[str]:
    """Words of every country and language name in English (Babel, which Rasa installs)."""
    from babel import Locale

    english = Locale("en")
    names = list(english.territories.values()) + list(english.languages.values())
    return {word for name in names for word in content_words(name)}
