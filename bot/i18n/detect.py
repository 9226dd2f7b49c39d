"""Which language a patient writes in, offline.

Two detectors vote, because each fails where the other is strong:

- ``py3langid`` (BSD; its model ships inside the wheel) knows general German, Russian and
  English well, but calls Russian written in Latin letters ("u mamy neiroblastoma") English;
- a character n-gram classifier trained on our own examples of each language
  (``data/nlu/<code>/``, Latin transliteration included), stored in the Rasa model, knows how
  patients write about this domain, typos included.

Ours decides when it is sure; otherwise py3langid when it is sure; otherwise nobody, and the
conversation keeps its language. So do messages too short to tell ("ok", "MIBG?"). A request
to switch ("auf Deutsch", "по-русски", "English please") always decides.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple

import yaml

from bot.i18n import locales
from bot.nlu.sparse_scoring import OneTextClassifier, TfidfRows
from bot.settings import ROOT

#: Fewer letters than this, or a single word, cannot be told apart reliably.
MIN_LETTERS = 8
MIN_WORDS = 2
#: How sure each detector must be to decide.
OURS_MIN_PROBABILITY = 0.8
LANGID_MIN_PROBABILITY = 0.95
#: Messages whose guess is kept (in memory only) so one message is not told twice.
GUESSES_REMEMBERED = 64

NLU_DIR = ROOT / "data" / "nlu"
_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)

SWITCH_INTENT = "switch_language"
#: Answers to the request form (names, e-mails, phone numbers) say nothing about the language a
#: patient reads: "Olena Shevchenko" must not turn an English conversation Ukrainian-Russian.
NO_LANGUAGE_INTENTS = frozenset({"inform"})
#: Longest message still read as a plain switch request.
MAX_SWITCH_CHARS = 60


def training_files(language: str) -> List[Path]:
    """The NLU files of ``language``: ``data/nlu/<code>/``; English's are the top-level ones."""
    if language == locales.DEFAULT_LANGUAGE:
        return sorted(NLU_DIR.glob("*.yml"))
    return sorted((NLU_DIR / language).glob("**/*.yml"))


def examples_in(path: Path) -> Iterable[str]:
    """The plain text of every intent example in one Rasa NLU file (annotations removed)."""
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    for block in document.get("nlu") or []:
        if "intent" not in block:
            continue
        for line in str(block.get("examples") or "").splitlines():
            line = line.strip()
            if line.startswith("- "):
                yield _ANNOTATION.sub(r"\1", line[2:]).strip()


def labelled_examples() -> Tuple[List[str], List[str]]:
    """(texts, language codes) of every training example of every language.

    Requests to switch language are left out: "speak german" is a German file's example
    written in English, and would teach that "i dont speak german, interpreter?" is German.
    """
    texts: List[str] = []
    labels: List[str] = []
    for language in locales.languages():
        for path in training_files(language):
            for text in examples_in(path):
                if text and not requested_language(text):
                    texts.append(text)
                    labels.append(language)
    return texts, labels


def train_classifier(texts: List[str], labels: List[str]) -> Any:
    """Character n-grams (within words) and a logistic regression: small, fast, typo-robust."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    model = make_pipeline(
        TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, min_df=2),
        LogisticRegression(max_iter=1000, C=10),
    )
    model.fit([text.lower() for text in texts], labels)
    return model


#: The n-gram classifier of the model this process serves (set when the model loads), so the
#: first reply's language (bot/i18n/hint.py, before the NLU runs) is told the same way.
_served: Dict[str, Any] = {}


def serve(classifier: Any) -> None:
    """Remember the loaded model's classifier (``None``: an untrained one, forget it)."""
    _served["classifier"] = classifier


class LanguageScorer(OneTextClassifier):
    """The trained pipeline's ``predict_proba``, one text at a time on its own n-grams.

    The pipeline's vectoriser and ``predict_proba`` check and copy for batches; for one message
    that was ~1 ms of the ~1.5 ms of telling its language (bot/nlu/sparse_scoring.py).
    """

    def __init__(self, pipeline: Any) -> None:
        rows = TfidfRows([pipeline[0]] if len(pipeline) == 2 else [])
        super().__init__(rows, pipeline[-1], pipeline.predict_proba)


def served() -> Any:
    return _served.get("classifier")


@lru_cache(maxsize=1)
def _langid() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_pickled_model(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(locales.languages()))
    return identifier


@lru_cache(maxsize=1)
def switch_phrases() -> Tuple[Tuple[str, str], ...]:
    """(phrase, language) pairs that name a language, longest first.

    Each language's vocabulary.yml says how its speakers name our languages
    (``language_names: {code: [phrases]}``; ``language_switch`` lists requests for itself).
    """
    pairs: List[Tuple[str, str]] = []
    for language in locales.languages():
        words = locales.vocabulary(language)
        for code, items in (words.get("language_names") or {}).items():
            pairs.extend((str(item).lower(), str(code)) for item in items or [])
        pairs.extend((str(item).lower(), language) for item in words.get("language_switch") or [])
    return tuple(
        sorted({p for p in pairs if locales.supported(p[1])}, key=lambda pair: -len(pair[0]))
    )


@lru_cache(maxsize=1)
def _any_switch_phrase() -> re.Pattern[str]:
    """One pattern for all switch phrases: most messages name no language, told in one search."""
    alternatives = "|".join(re.escape(phrase) for phrase, _ in switch_phrases())
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


#: Said just before a language's name, it is no request for it: "i dont speak german".
_NEGATED = re.compile(
    r"(?<!\w)(?:don'?t|do\s+not|doesn'?t|can'?t|cannot|not|no|never|nicht|kein\w*|не)"
    r"\s+(?:\w+\s+){0,2}$"
)


def requested_language(text: str) -> Optional[str]:
    """The language a short message names ("auf deutsch bitte" -> "de"), if any; not when it
    is negated ("i dont speak german, interpreter?" asks for an interpreter)."""
    lowered = " ".join(text.lower().replace("’", "'").split())
    found = _any_switch_phrase().search(lowered) if len(lowered) <= MAX_SWITCH_CHARS else None
    if not found or _NEGATED.search(lowered[: found.start()]):
        return None
    for phrase, code in switch_phrases():
        if _has_phrase(lowered, phrase):
            return code
    return None


#: "will somebody speak russian for us", "do the doctors speak english": someone else speaking
#: the language is a question about the stay, not a wish for our replies in it.
_SOMEONE_ELSE = re.compile(
    r"\b(?:somebody|someone|anyone|anybody|nobody|who|doctors?|staff|nurses?|interpreters?|"
    r"translators?|they|he|she|people|coordinators?)\s+(?:\w+\s+){0,2}$"
)


def requested_by_own_phrase(text: str, code: str) -> bool:
    """Whether ``text`` holds one of ``code``'s own ``language_switch`` phrases ("auf deutsch"),
    said as a wish for our replies (not "will somebody speak russian for us")."""
    lowered = " ".join(text.lower().split())
    own = locales.vocabulary(code).get("language_switch") or []
    for phrase in own:
        for found in _whole_words(str(phrase).lower()).finditer(lowered):
            if not _SOMEONE_ELSE.search(lowered[: found.start()]):
                return True
    return False


def _whole_words(phrase: str) -> re.Pattern[str]:
    """``phrase`` as a pattern that matches it only as whole words."""
    return re.compile(rf"(?<!\w){re.escape(phrase)}(?!\w)")


def _has_phrase(lowered: str, phrase: str) -> bool:
    """``phrase`` as whole words in ``lowered``."""
    return _whole_words(phrase).search(lowered) is not None


#: A name as the form asks for it: a few capitalised words and nothing else ("Jonas Behalten").
_NAME_LIKE = re.compile(r"\s*(?:[A-ZÀ-ÞА-ЯЁ][^\W\d_]*[.'’-]?\s*){1,4}")


def looks_like_a_name(text: str) -> bool:
    """Whether ``text`` is only a person's name: it says nothing about the reader's language."""
    return bool(_NAME_LIKE.fullmatch(text))


def too_short(text: str) -> bool:
    return len(_LETTER.findall(text)) < MIN_LETTERS or len(text.split()) < MIN_WORDS


def langid_language(text: str) -> str:
    """py3langid's best guess among our languages, however unsure."""
    return str(_langid().classify(text)[0])


def detect(text: str, classifier: Any = None, intent: Optional[str] = None) -> Optional[str]:
    """The language of ``text``, or ``None`` when it cannot be told (keep the current one).

    When the message asks to switch (``intent``, or a language switch phrase of its own
    language), the language it names wins: "English please" written in German means English.
    """
    if not isinstance(text, str) or not text.strip():
        return None
    requested = requested_language(text)
    if requested and (intent == SWITCH_INTENT or requested_by_own_phrase(text, requested)):
        return requested
    if too_short(text) or intent in NO_LANGUAGE_INTENTS or looks_like_a_name(text):
        return None
    return guess(text, classifier)


@lru_cache(maxsize=GUESSES_REMEMBERED)
def guess(text: str, classifier: Any = None) -> Optional[str]:
    """What the two detectors say of ``text`` (ours first, then py3langid), if either is sure.

    Remembered for a few messages: the first-reply hint (bot/i18n/hint.py) and the NLU ask
    the same of the same message, and this is the costly part of telling (~0.7 ms).
    """
    if classifier is not None:
        probabilities: Dict[str, float] = dict(
            zip(classifier.classes_, classifier.predict_proba([text.lower()])[0])
        )
        best = max(probabilities, key=probabilities.__getitem__)
        if probabilities[best] >= OURS_MIN_PROBABILITY:
            return best
    code, probability = _langid().classify(text)
    return code if probability >= LANGID_MIN_PROBABILITY else None
