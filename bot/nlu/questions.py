"""Finds the separate questions in one message, so each can be answered in the order asked.

"What are the contraindications and how long does a course last?" is two questions. The
message is cut into clauses, first at sentence ends, then at "and", "also" and the like, and
each clause is classified by a small TF-IDF logistic regression on raw text (the pipeline's own
classifier sees only the whole message's features). A cut is kept only when every clause is a
confident question of a different intent: "nausea and vomiting" stays one question.

When a message holds two or more questions, ``questions`` in the parse data lists them
(``intent``, ``confidence``, ``start``, ``end``, at most ``max_questions``), and the message's
intent becomes the first one's, so the rules route it to the answer action, which answers each.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion

from bot.i18n import locales
from bot.nlu.rule_component import StoredComponent
from bot.nlu.sparse_scoring import OneTextClassifier, TfidfRows

QUESTIONS_KEY = "questions"
PERSONAL_CASE = "personal_case"
OUT_OF_SCOPE = "out_of_scope"
#: Where one sentence ends and another begins.
SENTENCE_END = re.compile(r"[?!;]+\s*|\.\s+|\n+")
#: Words that join two questions in one sentence.
#: Our other languages' joints (bot/locales/*/vocabulary.yml, ``question_joints``).
LOCAL_JOINTS = locales.alternation(locales.phrases("question_joints"))
JOINER = re.compile(
    r",?\s+(?:and\s+also|and\s+then|and|also|plus|as\s+well\s+as|besides|or"
    + (f"|{LOCAL_JOINTS}" if LOCAL_JOINTS else "")
    + r")\s+"
    r"|,\s*(?=(?:what|how|is|are|can|could|does|do|will|would|which|who|where|when|why|"
    r"should|and)\b)",
    re.IGNORECASE,
)
Span = Tuple[int, int]


def _cut(text: str, pattern: re.Pattern, start: int, end: int) -> List[Span]:
    """``text[start:end]`` cut at ``pattern``, as (start, end) spans of the non-empty pieces."""
    spans: List[Span] = []
    position = start
    for match in pattern.finditer(text, start, end):
        if text[position : match.start()].strip():
            spans.append((position, match.start()))
        position = match.end()
    if text[position:end].strip():
        spans.append((position, end))
    return spans


def sentences(text: str) -> List[Span]:
    return _cut(text, SENTENCE_END, 0, len(text))


#: A sentence that tells the story ("Our oncologist mentioned MIBG therapy in Germany.") starts
#: with its teller or a time, ends with a full stop, and asks nothing.
NARRATIVE_START = re.compile(
    r"\s*(?:my|our|we|i|i'm|im|i've|he|she|they|his|her|their|last|yesterday|"
    r"in\s+\d{4}|(?:the|his|her|our|my)\s+(?:doctor|oncologist|"
    r"surgeon|hospital|clinic))\b",
    re.IGNORECASE,
)
ASKS = re.compile(
    r"\b(?:want|wish|wonder\w*|know|tell|explain|ask\w*|interested|question|need\s+to|"
    r"would\s+like|please|help|advise|recommend)\b",
    re.IGNORECASE,
)


def narrative(text: str, span: Span) -> bool:
    """Is the sentence ``text[span]`` part of the patient's story rather than a question?"""
    start, end = span
    sentence = text[start:end]
    return (
        text[end : end + 1] == "."
        and bool(NARRATIVE_START.match(sentence))
        and not ASKS.search(sentence)
    )


#: A sentence that starts with a joiner ("And how long...?") starts after it.
LEADING_JOINER = re.compile(r"\s*(?:and\s+also|and|also|plus|or)\s+", re.IGNORECASE)


def clauses(text: str, span: Span) -> List[Span]:
    start, end = span
    leading = LEADING_JOINER.match(text, start, end)
    return _cut(text, JOINER, leading.end() if leading else start, end)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class QuestionSplitter(StoredComponent):
    """Lists the questions of a compound message (see the module docstring)."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            # Intents that are not questions: never split off as a question of their own.
            "ignore_intents": [
                "greet",
                "goodbye",
                "thanks",
                "affirm",
                "deny",
                "inform",
                "change_field",
                "cancel",
                "skip",
                "out_of_scope",
                "request_treatment",
                "choose_item",
            ],
            # A clause counts as a question of its intent from this probability on.
            "min_confidence": 0.5,
            # One question after the patient's story stands for the message from this
            # probability on (the story's own words often say the topic better: "his kidneys
            # are failing. can he take mibg").
            "min_told_confidence": 0.9,
            # ... when the whole message was classified below this.
            "max_told_message": 0.7,
            "max_questions": 3,
            "C": 30.0,
        }

    FILE_NAME = "splitter.skops"

    def use(self, model: Optional[Dict[str, Any]]) -> None:
        #: The stored features and classifier, asked one text at a time (None: untrained).
        self.scorer: Optional[OneTextClassifier] = None
        if model:
            features, clf = model["features"], model["clf"]
            self.scorer = OneTextClassifier(
                TfidfRows.of_union(features),
                clf,
                lambda texts: clf.predict_proba(features.transform(texts)),
            )

    @staticmethod
    def write(path: Path, model: Dict[str, Any]) -> None:
        import skops.io as sio

        sio.dump(model, path)

    @staticmethod
    def read(path: Path) -> Dict[str, Any]:
        import skops.io as sio

        return sio.load(path, trusted=sio.get_untrusted_types(file=path))

    # ------------------------------------------------------------------ training
    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        if len({e.get(INTENT) for e in examples}) < 2:
            return self._resource
        features = FeatureUnion(
            [
                ("words", TfidfVectorizer(sublinear_tf=True)),
                (
                    "chars",
                    TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True),
                ),
            ]
        )
        X = features.fit_transform([e.get(TEXT) for e in examples])
        clf = LogisticRegression(
            C=float(self.config["C"]), max_iter=2000, class_weight="balanced", random_state=42
        )
        clf.fit(X, [e.get(INTENT) for e in examples])
        return self.store({"features": features, "clf": clf})

    # ------------------------------------------------------------------ inference
    def classify(self, texts: Sequence[str]) -> List[Tuple[str, float]]:
        """(intent, probability) of each text (bot/nlu/sparse_scoring.py: one text at a time)."""
        assert self.scorer is not None
        probabilities = self.scorer.predict_proba(list(texts))
        best = probabilities.argmax(axis=1)
        classes = self.scorer.classes_
        return [(str(classes[i]), float(probabilities[r, i])) for r, i in enumerate(best)]

    def questions(self, text: str, unsure: bool = True) -> List[Dict[str, Any]]:
        """The questions of ``text`` in order, or [] when it holds fewer than two (save one
        question told after the story, below).

        Every clause is classified; a clause that is no confident question (context such as
        "my son is 5") joins the question next to it, and neighbours of the same intent join
        into one ("nausea and vomiting?"). One question asked after the patient's story ("...
        Our oncologist mentioned MIBG therapy in Germany. How well does it work for this
        tumour?") is listed alone when the whole message was classified ``unsure``.
        """
        story: List[Span] = []
        spans: List[Span] = []
        for sentence in sentences(text):
            parts = clauses(text, sentence)
            spans += parts
            if narrative(text, sentence):
                story += parts
        if len(spans) < 2:
            return []
        classified = self.classify([text[s:e] for s, e in spans])
        found: List[Dict[str, Any]] = []
        pending: Optional[int] = None  # start of leading context waiting for its question
        for (start, end), (intent, confidence) in zip(spans, classified):
            if not self._is_question(intent, confidence) or (
                found and found[-1]["intent"] == intent
            ):
                if found:
                    found[-1]["end"] = end
                elif pending is None:
                    pending = start
                continue
            begin = start if pending is None else pending
            pending = None
            found.append({"intent": intent, "confidence": confidence, "start": begin, "end": end})
        if len({q["intent"] for q in found}) >= 2:
            return found[: int(self.config["max_questions"])]
        if not (story and unsure):
            return []
        asked = [
            (intent, confidence)
            for span, (intent, confidence) in zip(spans, classified)
            if span not in story and self._is_question(intent, confidence)
        ]
        sure = float(self.config["min_told_confidence"])
        if len(asked) == 1 and asked[0][0] != PERSONAL_CASE and asked[0][1] >= sure:
            return [
                {"intent": asked[0][0], "confidence": asked[0][1], "start": 0, "end": len(text)}
            ]
        return []

    def _is_question(self, intent: str, confidence: float) -> bool:
        return (
            intent not in self.config["ignore_intents"]
            and confidence >= self.config["min_confidence"]
        )

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            found: List[Dict[str, Any]] = []
            intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            if (
                self.scorer is not None
                and intent != OUT_OF_SCOPE  # judged out of our domain: nothing to answer
                and not text.startswith("/")
                and may_hold_two(text)
            ):
                whole = float((message.get(INTENT) or {}).get("confidence") or 0.0)
                found = self.questions(text, unsure=whole < self.config["max_told_message"])
            message.set(QUESTIONS_KEY, found or None, add_to_output=True)
            if found:
                _route_to_the_questions(message, found)
        return messages


def _route_to_the_questions(message: Message, found: List[Dict[str, Any]]) -> None:
    """Make the message's intent one of its questions, so the rules send it to the answer.

    An emergency stays an emergency; "is it right for me?" next to a real question is left to
    the answer's personal note, so the first other question leads.
    """
    intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
    topics = [q["intent"] for q in found if q["intent"] != PERSONAL_CASE]
    if intent == "emergency" or not topics or intent in topics:
        return
    confidence = min(q["confidence"] for q in found)
    message.set(INTENT, {INTENT_NAME_KEY: topics[0], "confidence": confidence}, True)


def may_hold_two(text: str) -> bool:
    """Cheap test before any classification: is there anything to cut at?"""
    return bool(SENTENCE_END.search(text.rstrip("?!. \n")) or JOINER.search(text))
