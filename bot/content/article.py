"""The source article and its sections, the ground truth every answer is checked against.

The article is kept verbatim in ``mibg-article.txt`` (copied from the project brief). Sections are
found by a marker sentence so that a test can say "this answer cites `carcinoid`, and every figure
in it appears in that section".
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Tuple

ARTICLE_PATH = Path(__file__).with_name("mibg-article.txt")

#: Section key -> the first words of that section in the article. Order matters: a section runs
#: from its marker to the next one.
SECTION_MARKERS: List[Tuple[str, str]] = [
    ("destinations", "Due to the difficulties associated with the organization"),
    ("what_is_mibg", "Metaiodobenzylguanidine (MIBG) is a compound and structural analogue"),
    ("how_it_works", "Core of the treatment technique"),
    ("candidates", "Key factor for MIBG use"),
    ("pheochromocytoma", "Pheochromocytoma is a tumor of adrenal medulla"),
    ("paraganglioma", "Paraganglioma is a benign brain malformation"),
    ("carcinoid", "Carcinoid tumors represent malformations"),
    ("neuroblastoma", "Neuroblastoma is an embryonic tumor"),
    ("medullary_thyroid_cancer", "Medullary thyroid cancer is a comparatively rare"),
    ("contraindications", "Absolute medical contraindication"),
    ("side_effects", "Side effects are possible during the therapy course"),
    ("dosing_and_monitoring", "MIBG doses, the regimen of application"),
    ("preparation", "In addition to the technical complexity"),
    ("agency", "Booking Health is the medical tourism operator"),
    ("request", "To start planning your treatment"),
    ("end", "Choose treatment abroad and you will"),
]

NUMBER_RE = re.compile(r"\d+")


@lru_cache(maxsize=1)
def article_text() -> str:
    """The whole article as one string."""
    return ARTICLE_PATH.read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def sections() -> Dict[str, str]:
    """Section key -> section text, cut at the markers in ``SECTION_MARKERS``."""
    text = article_text()
    # The page repeats its teaser at the top; the sections start at the first marker's last
    # occurrence before the second marker, so search forward from the destinations notice.
    positions: List[Tuple[str, int]] = []
    start = 0
    for key, marker in SECTION_MARKERS:
        index = text.find(marker, start)
        if index < 0:
            raise ValueError(f"article marker for section {key!r} not found: {marker!r}")
        positions.append((key, index))
        start = index + len(marker)
    result: Dict[str, str] = {}
    for (key, begin), (_, end) in zip(positions, positions[1:] + [("", len(text))]):
        result[key] = text[begin:end].strip()
    return result


def numbers_in(text: str) -> List[str]:
    """Every run of digits in ``text``: "I-131" gives "131"; "ISO 9001:2015", "9001" and "2015"."""
    return NUMBER_RE.findall(text)
