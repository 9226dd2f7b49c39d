"""Tumour vocabulary: canonical keys, how patients write them, and the button titles.

One place for every spelling the assistant understands. The spaCy rule component
(``bot/nlu/vocabulary.py``) builds its phrase patterns from ``SYNONYMS`` and its typo
tolerance from ``FUZZY_WORDS``; the answer action maps the canonical key to a response.
"""

from __future__ import annotations

from typing import Dict, List, Tuple

from bot.i18n import locales

#: The tumours the article reports results for, with the button title shown to patients.
TUMOURS: Dict[str, str] = {
    "pheochromocytoma": "Pheochromocytoma",
    "paraganglioma": "Paraganglioma",
    "carcinoid": "Carcinoid tumours",
    "neuroblastoma": "Neuroblastoma",
    "medullary_thyroid_cancer": "Medullary thyroid cancer",
}

#: Keys that are not one tumour of the article but map onto several (or onto the general answer).
GROUPS: Dict[str, Tuple[str, ...]] = {
    # "PPGL" is the usual shorthand for pheochromocytoma and paraganglioma together.
    "ppgl": ("pheochromocytoma", "paraganglioma"),
    # A neuroendocrine tumour without a type: the article's general indication applies.
    "neuroendocrine": (),
}

#: What the form stores for a group key (the request record, read by staff).
GROUP_TITLES: Dict[str, str] = {
    "ppgl": "Pheochromocytoma / paraganglioma (PPGL)",
    "neuroendocrine": "Neuroendocrine tumour",
}

#: Canonical key -> phrases (lower case) that name it, including abbreviations and the
#: misspellings patients actually type. Multi-word phrases are matched as token sequences.
SYNONYMS: Dict[str, List[str]] = {
    "pheochromocytoma": [
        "pheochromocytoma",
        "pheochromocytomas",
        "phaeochromocytoma",
        "phaeochromocytomas",
        "pheo",
        "pheos",
        "phaeo",
        "pheochromocytom",
        "pheocromocytoma",
        "feochromocytoma",
        "pheochromacytoma",
        "pheochromocitoma",
        "adrenal medulla tumour",
        "adrenal medulla tumor",
        "adrenal tumour",
        "adrenal tumor",
        "tumour of the adrenal gland",
        "tumor of the adrenal gland",
        "tumour in the adrenal gland",
        "tumor in the adrenal gland",
        "tumour in adrenal gland",
        "tumor in adrenal gland",
        "tumour on the adrenal gland",
        "tumor on the adrenal gland",
    ],
    "paraganglioma": [
        "paraganglioma",
        "paragangliomas",
        "paragangliom",
        "paraganglyoma",
        "paragangioma",
        "paraganglioma tumour",
        "glomus tumour",
        "glomus tumor",
        "chemodectoma",
    ],
    "carcinoid": [
        "carcinoid",
        "carcinoids",
        "carcinoid tumour",
        "carcinoid tumor",
        "carcinoid tumours",
        "carcinoid tumors",
        "karcinoid",
        "carcinoyd",
        "carsinoid",
        "carcenoid",
        "net of the gut",
        "gut net",
        "neuroendocrine tumour of the gut",
        "neuroendocrine tumor of the gut",
        "neuroendocrine tumour of the bowel",
        "neuroendocrine tumor of the bowel",
        "pancreatic net",
        "pancreatic neuroendocrine tumour",
        "pancreatic neuroendocrine tumor",
        "small intestine net",
        "gastrointestinal net",
        "gep-net",
        "gep net",
        "intestinal carcinoid",
    ],
    "neuroblastoma": [
        "neuroblastoma",
        "neuroblastomas",
        "neuroblastom",
        "neroblastoma",
        "neuroblastoma tumour",
        "nueroblastoma",
        "neuroblastoma in children",
        # a name half remembered: "the kids tumour, neuro-something"
        "neuro-something",
        "neuro something",
        "neuro-whatever",
        "neuroblast",
        "neuro blastoma",
    ],
    "medullary_thyroid_cancer": [
        "medullary thyroid cancer",
        "medullary thyroid carcinoma",
        "medullary carcinoma",
        "medullary cancer",
        "mtc",
        "medullary thyroid",
        "medulary thyroid cancer",
        "medullary tyroid cancer",
        "thyroid cancer",
        "thyroid carcinoma",
        "tyroid cancer",
        "cancer of the thyroid",
        "cancer of thyroid",
        "thyroid medullary cancer",
        "cancer of tyroid",
        "cancer of the tyroid",
        "tyroid carcinoma",
        "medullary tyroid",
        "medullary type",
        "medullary kind",
        "medullary form",
        "medullary variant",
        "medullary ca",
        "medullary carcinom",
        "medullary thyroid ca",
        "thyroid ca",
    ],
    "ppgl": ["ppgl", "pheochromocytoma and paraganglioma", "pheo and paraganglioma", "pheo/para"],
    "neuroendocrine": [
        "net",
        "nets",
        "neuroendocrine tumour",
        "neuroendocrine tumor",
        "neuroendocrine tumours",
        "neuroendocrine tumors",
        "neuroendocrine cancer",
        "neuroendocrine carcinoma",
        "neuro endocrine tumour",
        "neuro endocrine tumor",
        "nen",
    ],
}

#: Where the article places each tumour or what it calls it, as a patient points back at one in
#: a follow-up: "and the brain one?", "the one in the gut". Only read with a tumour already in
#: the conversation: on its own, "a brain tumour" is not a paraganglioma.
DESCRIBED_AS: Dict[str, Tuple[str, ...]] = {
    "pheochromocytoma": ("adrenal",),
    "paraganglioma": ("brain", "benign", "paraganglionic"),
    "carcinoid": ("gut", "bowel", "intestine", "intestinal", "digestive", "pancreas", "stomach"),
    "neuroblastoma": ("embryonic", "sympathetic"),
    "medullary_thyroid_cancer": ("thyroid",),
}

#: A word just before a tumour's name that makes it another illness: "papillary thyroid
#: cancer" is not the medullary thyroid cancer the article reports on.
OTHER_KINDS: Dict[str, Tuple[str, ...]] = {
    "medullary_thyroid_cancer": ("papillary", "follicular", "anaplastic", "differentiated"),
}

#: English alone (test conversations in English pick their words here).
ENGLISH_SYNONYMS: Dict[str, List[str]] = dict(SYNONYMS)
#: The same tumours as patients write them in our other languages (bot/locales/*/vocabulary.yml).
SYNONYMS = locales.with_translations(SYNONYMS, "tumours")

#: Single words long enough to recognise with a typo ("pheocromocitoma", "nueroblastom").
FUZZY_WORDS: Dict[str, str] = {
    word: key
    for key, phrases in SYNONYMS.items()
    for word in phrases
    if " " not in word and len(word) >= 8
}


def title(key: str) -> str:
    """The English title the form stores for a tumour or group key (others stay as they are)."""
    return TUMOURS.get(key) or GROUP_TITLES.get(key) or key
