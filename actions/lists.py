"""What each list-shaped answer lists, so "the third one, please" can be answered.

Items are answer units (``Unit``, actions/answers.py): ``tumour:<key>``, ``term:<key>``,
``passage:<id>`` or ``response:<name>``, in the order the response shows them.
"""

from __future__ import annotations

from typing import Dict, List

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

LIST_ITEMS: Dict[str, List[str]] = {
    "utter_candidates": _TUMOUR_ITEMS,
    "utter_ask_which_tumour": _TUMOUR_ITEMS,
    "utter_greet": _TOPIC_ITEMS,
    "utter_help": _TOPIC_ITEMS,
    "utter_out_of_scope": _TOPIC_ITEMS,
    # The bullets: the relative contraindications (the absolute one is the paragraph above).
    "utter_contraindications": [
        "passage:contraindications-2",
        "passage:contraindications-3",
        "term:myelosuppression",
        "passage:contraindications-5",
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
    "utter_preparation": ["passage:preparation-2", "passage:preparation-3"],
    "utter_services": [f"passage:agency-{n}" for n in range(3, 15)],
}
