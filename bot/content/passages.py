"""The article's quotable sentences and a ranking over them: the answer of last resort.

``passages.yml`` pairs each article sentence (``original``, as written) with a cleaned copy
(``cleaned``: spelling and grammar only, the same facts). When no intent is confident but a
question is about the therapy, the answer action quotes the best-matching cleaned sentence and
names its section. Ranking is TF-IDF over words and character n-grams (scikit-learn, which Rasa
already ships), so typos still match; nothing is downloaded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np
import yaml
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion

from bot.content.framing_phrases import RELATIVES
from bot.i18n import locales

PASSAGES_PATH = Path(__file__).with_name("passages.yml")
#: ``metadata.source`` of the response that quotes a passage (its text is only placeholders).
QUOTE_SOURCE = "passages"

#: Section key (bot/content/article.py) -> the title a patient sees in "under *...*".
SECTION_TITLES: Dict[str, str] = {
    "destinations": "Where treatment is organised",
    "what_is_mibg": "What MIBG is",
    "how_it_works": "Core of the treatment technique",
    "candidates": "Which tumours MIBG is used for",
    "pheochromocytoma": "Pheochromocytoma",
    "paraganglioma": "Paraganglioma",
    "carcinoid": "Carcinoid tumours",
    "neuroblastoma": "Neuroblastoma",
    "medullary_thyroid_cancer": "Medullary thyroid cancer",
    "contraindications": "Contraindications",
    "side_effects": "Side effects",
    "dosing_and_monitoring": "Dosing and monitoring",
    "preparation": "Treatment of neuroendocrine tumours abroad",
    "agency": "Booking Health",
    "request": "Leaving a request",
}

#: Words that say nothing about which sentence answers a question: function words, the
#: people patients write about, and filler.
_STOP_TEXT = """a an the is are was were be been do does did can could will would should shall may
    might must i me my we our you your he she it its they them his her their this that these
    those what which who whom how when where why of in on at to for from with by about as and
    or but if so not no yes please tell explain know want there here any some much many more
    mibg therapy treatment lot lots really very also just get got have has had him us them
    im ive dont doesnt cant thing things something anything then whats ok okay
    youre theyre hes shes thats theres wont isnt arent wasnt ill youll ur tho though even
    exactly actually precisely basically usually normally bit bits part stuff"""
STOP_WORDS = frozenset(_STOP_TEXT.split()) | frozenset(RELATIVES)


#: Medicines by name -> the drug class the article says is stopped or replaced before MIBG.
DRUG_CLASSES: Dict[str, str] = {
    "amlodipine": "antihypertensive drugs",
    "bisoprolol": "antihypertensive drugs",
    "metoprolol": "antihypertensive drugs",
    "lisinopril": "antihypertensive drugs",
    "ramipril": "antihypertensive drugs",
    "enalapril": "antihypertensive drugs",
    "losartan": "antihypertensive drugs",
    "valsartan": "antihypertensive drugs",
    "nifedipine": "antihypertensive drugs",
    "labetalol": "antihypertensive drugs",
    "haloperidol": "neuroleptics drugs",
    "olanzapine": "neuroleptics drugs",
    "risperidone": "neuroleptics drugs",
    "quetiapine": "neuroleptics drugs",
    "tamoxifen": "antihormonal agents drugs",
    "letrozole": "antihormonal agents drugs",
    "anastrozole": "antihormonal agents drugs",
    "aripiprazole": "neuroleptics drugs",
    "clozapine": "neuroleptics drugs",
    "chlorpromazine": "neuroleptics drugs",
    "ziprasidone": "neuroleptics drugs",
    "paliperidone": "neuroleptics drugs",
    "carvedilol": "antihypertensive drugs",
    "propranolol": "antihypertensive drugs",
    "atenolol": "antihypertensive drugs",
    "verapamil": "antihypertensive drugs",
    "diltiazem": "antihypertensive drugs",
    "doxazosin": "antihypertensive drugs",
    "phenoxybenzamine": "antihypertensive drugs",
    "hydrochlorothiazide": "antihypertensive drugs",
}

#: Words patients use -> the article's words for the same thing, added to a question before it
#: is ranked ("will he throw up" finds the side-effects sentence). Lower case, whole words.
QUERY_SYNONYMS: Dict[str, str] = {
    "call": "contact",
    "phone": "contact",
    "reply": "contact",
    "respond": "contact",
    "answer": "contact",
    "fast": "same day",
    "quickly": "same day",
    "soon": "same day",
    "money": "funds invoices",
    "refund": "return unspent funds",
    "again": "repeating previous examinations",
    "repeat": "repeating previous examinations",
    "redo": "repeating previous examinations",
    "spread": "metastases malignant",
    "spreads": "metastases malignant",
    "dangerous": "life-threatening malignant",
    "deadly": "life-threatening malignant",
    "serious": "life-threatening malignant",
    "cancerous": "malignant",
    "sick": "nausea vomiting",
    "throw": "vomiting",
    "threw": "vomiting",
    "throwing": "vomiting",
    "vomit": "vomiting",
    "nauseous": "nausea",
    "puke": "vomiting",
    "hormones": "catecholamine hormones",
    "given": "parenteral administration",
    "administered": "parenteral administration",
    "injection": "parenteral administration",
    "infusion": "parenteral administration",
    "drip": "parenteral administration",
    "tablet": "parenteral digestive tract",
    "pill": "parenteral digestive tract",
    "swallow": "parenteral digestive tract",
    "translator": "interpreter",
    "translation": "interpreter",
    "hotel": "hotels",
    "flight": "plane tickets",
    "flights": "plane tickets",
    "doctor": "physician",
    "oncologist": "physician",
    "tests": "examinations",
    "exams": "examinations",
    "scans": "examinations",
    "renal": "kidneys",
    "experience": "15 years",
    "years": "15 years",
    "certified": "iso certificate",
    "quality": "iso certificate standards",
    "diagnosis": "diagnostics",
    "diagnose": "diagnostics",
    "shrink": "reduces size",
    "long": "duration length",
    "planned": "chosen individually regimen",
    "plan": "chosen individually regimen",
    "smaller": "reduces size",
    "medicine": "medicines drugs",
    "often": "repeatedly",
    "frequently": "repeatedly",
    "regularly": "repeatedly",
    "fix": "improve",
    "fixed": "improve",
    "done": "completed",
    "finished": "completed",
    "calls": "contact",
    "operation": "operated",
    "surgery": "operated",
    "operate": "operated",
    "removed": "operated",
    "remove": "operated",
    "down": "lower reduces decrease",
    "similar": "structural analogue",
    "resemble": "structural analogue",
    "resembles": "structural analogue",
    "cheaper": "favourable costs saving",
    "cheap": "favourable costs saving",
    "discount": "favourable costs saving",
    "medication": "medicines drugs",
    "deposit": "funds invoices",
    "refunded": "returns unspent funds",
    "leftover": "unspent funds",
    "bill": "invoices",
    "bills": "invoices",
    "pills": "medicines drugs",
    "isotope": "radioactive iodine",
    "radioactivity": "radioactive radiation",
    "origin": "arise",
    # Medicines a patient takes, by the drug class the article names (stopped before MIBG)
    "pressure": "antihypertensive drugs",
    "hypertension": "antihypertensive drugs",
    "antipsychotic": "neuroleptics drugs",
    "antipsychotics": "neuroleptics drugs",
    **DRUG_CLASSES,
}


#: Phrases made only of stop words that still say what is asked, and the article's words for
#: it: "what can they do about it?" after a contraindication asks for the treatment first.
PHRASE_SYNONYMS: Tuple[Tuple[re.Pattern, str], ...] = (
    (
        re.compile(
            r"\b(?:do\s+about|be\s+done|what\s+(?:will|would|can|could|do)\s+they\s+do)\b",
            re.IGNORECASE,
        ),
        "first treatment improve",
    ),
    # "how long have they been doing this" asks how long the agency has worked, not the course
    (re.compile(r"\bhow\s+long\s+(?:have|has)\s+\w+(?:\s+\w+)?\s+been\b", re.I), "15 years"),
    # "is the radiation a lot?" asks for an amount; "a lot of questions" does not
    (re.compile(r"\ba\s+lot\b(?!\s+of)", re.IGNORECASE), "amount"),
    # "who calls, a doctor or a sales guy?", "how long until they reply": who contacts you, when
    (
        re.compile(
            r"\bwho\s+(?:will\s+|would\s+)?(?:calls?|contacts?|phones?|rings?|answers?|replies)\b"
            r"|\b(?:when|how\s+(?:long|soon|fast|quickly)(?:\s+until|\s+before)?)\s+"
            r"(?:will|would|do|does|did)?\s*(?:they|you|someone|somebody|anyone)\s+"
            r"(?:call|contact|reply|answer|respond|get\s+back|write)\b",
            re.IGNORECASE,
        ),
        "patient case manager medical advisor contact same day",
    ),
    # "so not tablets, ok", "is it a pill?", "does she swallow it": how MIBG is given
    (
        re.compile(
            r"\b(?:not|no|a|as|in)\s+(?:tablets?|pills?|capsules?)\b|\bby\s+mouth\b|"
            r"\bswallow\w*|\boral(?:ly)?\b",
            re.IGNORECASE,
        ),
        "parenteral parenterally given",
    ),
    # "do we get the rest back?": what happens to money not spent
    (
        re.compile(
            r"\b(?:get|give|pay|send)\s+(?:us\s+|me\s+)?(?:the\s+)?(?:rest|money|remainder|"
            r"difference|change)\s+back\b|\bmoney\s+back\b",
            re.IGNORECASE,
        ),
        "returns unspent funds",
    ),
    # "how much radiation?", "how much of it": an amount (not "how much does it cost")
    (
        re.compile(r"\bhow\s+much\b(?!\s+(?:does|do|did|is|will|would|money|for|cost))", re.I),
        "amount small",
    ),
    # "where do carcinoids come from, what cells": their origin ("they arise from ... cells")
    (re.compile(r"\b(?:come|comes|coming|originate|start|starts)\s+from\b", re.I), "arise"),
)


@dataclass(frozen=True)
class Passage:
    """One article sentence: where it stands, as written, and as the assistant quotes it.

    In another language ``cleaned`` is the translation of the cleaned English sentence
    (bot/locales/<code>/passages.yml) and ``title`` the translated section title.
    """

    id: str
    section: str
    original: str
    cleaned: str
    title: str = ""
    #: It gives a reason or a mechanism: what "why?" after its section is answered with.
    explains: bool = False


def section_title(section: str, language: str = locales.DEFAULT_LANGUAGE) -> str:
    """The section's title in ``language`` (English where a translation lacks it)."""
    local = locales.passage_sections(language) if language != locales.DEFAULT_LANGUAGE else {}
    return str(local.get(section) or SECTION_TITLES[section])


@cache
def passages(language: str = locales.DEFAULT_LANGUAGE) -> Tuple[Passage, ...]:
    """Every quotable passage, in article order, with ids ``<section>-<n>``, in ``language``.

    A translation is matched by position and must name the same section; a passage it lacks
    is quoted in English.
    """
    english = _english_passages()
    if language == locales.DEFAULT_LANGUAGE:
        return english
    local = locales.passages(language)
    result = []
    for position, passage in enumerate(english):
        entry = local[position] if position < len(local) else {}
        text = entry.get("text") if entry.get("section") == passage.section else None
        result.append(
            replace(
                passage,
                cleaned=" ".join(str(text).split()) if text else passage.cleaned,
                title=section_title(passage.section, language),
            )
        )
    return tuple(result)


@lru_cache(maxsize=1)
def _english_passages() -> Tuple[Passage, ...]:
    entries = yaml.safe_load(PASSAGES_PATH.read_text(encoding="utf-8"))["passages"]
    counts: Dict[str, int] = {}
    result: List[Passage] = []
    for entry in entries:
        section = entry["section"]
        counts[section] = counts.get(section, 0) + 1
        result.append(
            Passage(
                id=f"{section}-{counts[section]}",
                section=section,
                original=" ".join(entry["original"].split()),
                cleaned=" ".join(entry["cleaned"].split()),
                title=SECTION_TITLES[section],
                explains=bool(entry.get("explains")),
            )
        )
    return tuple(result)


def passage(passage_id: str, language: str = locales.DEFAULT_LANGUAGE) -> Passage:
    """The passage with this id (KeyError if there is none)."""
    for candidate in passages(language):
        if candidate.id == passage_id:
            return candidate
    raise KeyError(passage_id)


def _words(text: str) -> List[str]:
    return [w for w in re.findall(r"[^\W_]+", text.lower()) if w not in STOP_WORDS]


class PassageIndex:
    """TF-IDF (words + character n-grams) over the cleaned passages and their section titles."""

    def __init__(self, items: Tuple[Passage, ...]) -> None:
        self.items = items
        self.vectorizer = FeatureUnion(
            [
                ("words", TfidfVectorizer(analyzer=_words, sublinear_tf=True)),
                (
                    "chars",
                    TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True),
                ),
            ]
        )
        documents = [f"{p.title}. {p.cleaned}" for p in items]
        self.matrix = self.vectorizer.fit_transform(documents)

    def search(
        self, text: str, limit: int = 3, sections: Tuple[str, ...] = (), boost: float = 0.0
    ) -> List[Tuple[Passage, float]]:
        """The best passages for ``text``, best first, with cosine scores (0-1, blocks / 2).

        Passages of ``sections`` (what the conversation is about) get ``boost`` added, so a
        follow-up such as "does it spread?" is read in the context of the last answer.
        """
        words = _words(text)
        words += [meant for pattern, meant in PHRASE_SYNONYMS if pattern.search(text)]
        if not words:
            return []
        expanded = words + [QUERY_SYNONYMS[w] for w in words if w in QUERY_SYNONYMS]
        query = self.vectorizer.transform([" ".join(expanded)])
        scores = np.asarray((self.matrix @ query.T).todense()).ravel() / 2.0
        if sections and boost:
            scores = scores + boost * np.array([p.section in sections for p in self.items])
        order = np.argsort(-scores)[:limit]
        return [(self.items[i], float(scores[i])) for i in order if scores[i] > 0]


@cache
def index(language: str = locales.DEFAULT_LANGUAGE) -> PassageIndex:
    """The index over every passage in ``language``, built once per process (milliseconds)."""
    return PassageIndex(passages(language))


DRUG_RE = re.compile(r"\b(?:" + "|".join(DRUG_CLASSES) + r")\b", re.IGNORECASE)


def names_a_drug(text: str) -> bool:
    """Does ``text`` name a medicine of a class the article says is paused before MIBG?"""
    return bool(DRUG_RE.search(text))
