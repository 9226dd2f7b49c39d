"""What each list-shaped answer lists, so "the third one, please" can be answered.

Items are answer units (``Unit``, actions/answers.py): ``tumour:<key>``, ``term:<key>``,
``passage:<id>`` or ``response:<name>``, in the order the response shows them.
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Tuple

from bot.content.tumours import TUMOURS

_TUMOUR_ITEMS = [f"tumour:{key}" for key in TUMOURS]
#: The topic buttons of the greeting, help and out-of-scope replies, in their order.
_TOPIC_ITEMS = [
    "response:utter_what_is_mibg",
    "response:utter_candidates",
    "response:utter_side_effects",
    "response:utter_treatment_abroad",
    "response:utter_costs",
]

#: What a relative contraindication means: treatment to improve first, then MIBG.
RELATIVE_MEANS = "contraindications-6"
#: The medicines stopped or replaced before the procedure (antihypertensives, neuroleptics...).
MEDICINES_PAUSED = "preparation-3"


LIST_ITEMS: Dict[str, List[str]] = {
    "utter_candidates": _TUMOUR_ITEMS,
    "utter_ask_which_tumour": _TUMOUR_ITEMS,
    "utter_tumour_comparison": _TUMOUR_ITEMS,
    "utter_greet": _TOPIC_ITEMS,
    "utter_help": _TOPIC_ITEMS,
    "utter_out_of_scope": _TOPIC_ITEMS,
    # The bullets: the relative contraindications (the absolute one is the paragraph above),
    # each with the article's sentence on what a relative contraindication means.
    "utter_contraindications": [
        f"passage:contraindications-2+{RELATIVE_MEANS}",
        f"passage:contraindications-3+{RELATIVE_MEANS}",
        "term:myelosuppression",
        f"passage:contraindications-5+{RELATIVE_MEANS}",
    ],
    "utter_side_effects": [
        "passage:side_effects-1",
        "passage:side_effects-1",
        "term:bone_marrow",
    ],
    "utter_monitoring": [
        "passage:dosing_and_monitoring-2",
        "term:catecholamines",
        "passage:dosing_and_monitoring-3",
    ],
    "utter_preparation": ["passage:preparation-2", f"passage:{MEDICINES_PAUSED}"],
    # Turkey, Switzerland, South Korea, India: one reason for all four
    "utter_destinations": ["passage:destinations-1"] * 4,
    "utter_services": [f"passage:agency-{n}" for n in range(3, 15)],
}

#: What patients call a list's items ("the kidney one", "the allergy one", "the relative ones"):
#: a word stem -> the item, in the order tried. Items off the numbering count too (the absolute
#: contraindication is a paragraph, not a bullet). Tumours are named by bot/content/tumours.py.
LIST_NAMES: Dict[str, List[Tuple[str, str]]] = {
    "utter_contraindications": [
        ("allerg", "passage:contraindications-1"),
        ("anaphyla", "passage:contraindications-1"),
        ("rash", "passage:contraindications-1"),
        ("hives", "passage:contraindications-1"),
        ("swell", "passage:contraindications-1"),
        ("reaction", "passage:contraindications-1"),
        ("intoleran", "passage:contraindications-1"),
        ("absolute", "passage:contraindications-1"),
        ("isolat", f"passage:contraindications-2+{RELATIVE_MEANS}"),
        ("alone", f"passage:contraindications-2+{RELATIVE_MEANS}"),
        ("kidney", f"passage:contraindications-3+{RELATIVE_MEANS}"),
        ("renal", f"passage:contraindications-3+{RELATIVE_MEANS}"),
        ("creatin", f"passage:contraindications-3+{RELATIVE_MEANS}"),
        ("egfr", f"passage:contraindications-3+{RELATIVE_MEANS}"),
        ("ckd", f"passage:contraindications-3+{RELATIVE_MEANS}"),
        ("nephro", f"passage:contraindications-3+{RELATIVE_MEANS}"),
        ("myelo", f"passage:contraindications-4+{RELATIVE_MEANS}"),
        ("white", f"passage:contraindications-4+{RELATIVE_MEANS}"),
        ("neutro", f"passage:contraindications-4+{RELATIVE_MEANS}"),
        ("leuko", f"passage:contraindications-4+{RELATIVE_MEANS}"),
        ("blood", f"passage:contraindications-5+{RELATIVE_MEANS}"),
        ("platelet", f"passage:contraindications-5+{RELATIVE_MEANS}"),
        ("haemoglobin", f"passage:contraindications-5+{RELATIVE_MEANS}"),
        ("hemoglobin", f"passage:contraindications-5+{RELATIVE_MEANS}"),
        ("anemi", f"passage:contraindications-5+{RELATIVE_MEANS}"),
        ("anaemi", f"passage:contraindications-5+{RELATIVE_MEANS}"),
        ("relative", "passage:" + "+".join(f"contraindications-{n}" for n in range(2, 7))),
    ],
    "utter_side_effects": [
        ("nause", "passage:side_effects-1"),
        ("sick", "passage:side_effects-1"),
        ("vomit", "passage:side_effects-1"),
        ("throw", "passage:side_effects-1"),
        ("marrow", "term:bone_marrow"),
        ("bone", "term:bone_marrow"),
    ],
    "utter_monitoring": [
        ("imag", "passage:dosing_and_monitoring-2"),
        ("scan", "passage:dosing_and_monitoring-2"),
        ("size", "passage:dosing_and_monitoring-2"),
        ("catechol", "term:catecholamines"),
        ("hormon", "term:catecholamines"),
        ("marrow", "passage:dosing_and_monitoring-3"),
        ("kidney", "passage:dosing_and_monitoring-3"),
        ("blood", "passage:dosing_and_monitoring-3"),
    ],
    "utter_preparation": [
        ("contraindicat", "passage:preparation-2"),
        ("check", "passage:preparation-2"),
        ("drug", f"passage:{MEDICINES_PAUSED}"),
        ("medic", f"passage:{MEDICINES_PAUSED}"),
        ("pill", f"passage:{MEDICINES_PAUSED}"),
        ("tablet", f"passage:{MEDICINES_PAUSED}"),
    ],
}


def named_item(shown: str, text: str) -> Optional[str]:
    """The item of the list ``shown`` (a response name) whose name ``text`` uses, if any."""
    words = re.findall(r"[a-z]+", text.lower())
    for stem, item in LIST_NAMES.get(shown, []):
        if any(w.startswith(stem) for w in words):
            return item
    return None
