"""Terms the article uses, how patients write them, and the response that explains each.

"What does myelosuppression mean?" is answered with the article's own definition. Where the
article uses a word without explaining it (enterochromaffin, bone marrow), the response says
what the article says about it and no more. The ``term`` entity (bot/nlu/vocabulary.py) is
matched from ``SYNONYMS``; the answer action sends ``Term.response``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Tuple

from bot.i18n import locales


@dataclass(frozen=True)
class Term:
    """A word the article uses, the phrases that name it, and the response that explains it."""

    key: str
    phrases: Tuple[str, ...]
    response: str
    #: The article explains the word. Where it only uses it, the answer says first that the
    #: article does not cover it, then what the article says around it.
    defined: bool = True


def _term(key: str, *phrases: str, response: str = "", defined: bool = True) -> Term:
    return Term(key, phrases, response or f"utter_define_{key}", defined)


#: Every explainable term. Responses without ``utter_define_`` reuse a topic answer.
TERMS: Dict[str, Term] = {
    term.key: term
    for term in (
        _term(
            "myelosuppression",
            "myelosuppression",
            "myelosupression",
            "mielosuppression",
            "mielosupression",
            "myelo suppression",
            "myelosuppresion",
            "myelosupresion",
        ),
        _term("parenteral", "parenteral", "parenterally", "parental administration", "parenteraly"),
        _term(
            "regression", "regression", "regress", "regresses", "regressed", "reverse development"
        ),
        _term(
            "metastases",
            "metastases",
            "metastasis",
            "metastasize",
            "metastasise",
            "metastatic",
            "mets",
            "daughter formations",
            "metastasies",
            "metastazes",
        ),
        _term(
            "catecholamines",
            "catecholamines",
            "catecholamine",
            "catecholamine hormones",
            "catecolamines",
            "catecholamins",
            "katecholamines",
            "epinephrine",
            "adrenaline",
        ),
        _term(
            "radiopharmaceutical",
            "radiopharmaceutical",
            "radiopharmaceuticals",
            "radiopharmaceutical agent",
            "radiotracer",
            "radio tracer",
            "radionuclide",
            "radionuclide therapy",
            "radiopharmaceutic",
        ),
        _term(
            "norepinephrine",
            "norepinephrine",
            "noradrenaline",
            "neurotransmitter",
            "structural analogue",
            "analogue",
            "analog",
            "norepinefrine",
        ),
        _term("iodine", "i-131", "i131", "i 131", "iodine-131", "radioactive iodine", "iodine 131"),
        _term("hormone_active", "hormone-active", "hormone active", "hormonally active"),
        _term(
            "enterochromaffin",
            "enterochromaffin",
            "enterochromafin",
            "entero chromaffin",
            defined=False,
        ),
        _term(
            "embryonic",
            "embryonic tumour",
            "embryonic tumor",
            "embryonic",
            "embrionic",
            defined=False,
        ),
        _term(
            "adrenal",
            "adrenal medulla",
            "adrenal glands",
            "adrenal gland",
            "adrenals",
            defined=False,
        ),
        _term(
            "neuroendocrine_tissue",
            "neuroendocrine tissue",
            "neuroendocrine tissues",
            "adrenergic innervation",
            "adrenergic",
            "neurodermal",
            "neurodermal origin",
            defined=False,
        ),
        _term("paraganglionic", "paraganglionic", "paraganglionic cells", defined=False),
        _term(
            "sympathetic",
            "sympathetic nervous system",
            "sympathetic part",
            "sympathetic",
            defined=False,
        ),
        _term(
            "leukocytes",
            "leukocytes",
            "leucocytes",
            "leukocyte",
            "white blood cells",
            "neutrophils",
            "basophils",
            "eosinophils",
        ),
        _term("peripheral_blood", "peripheral blood", defined=False),
        _term("bone_marrow", "bone marrow", "bonemarrow", "marrow", defined=False),
        _term(
            "antihypertensives",
            "antihypertensive",
            "antihypertensives",
            "antihypertensive drugs",
            "neuroleptics",
            "neuroleptic",
            "antihormonal",
            "antihormonal agents",
            defined=False,
        ),
        _term("isolation", "isolation", "isolated", "isolating", defined=False),
        _term(
            "contraindication",
            "contraindication",
            "contraindications",
            "contra indication",
            "absolute contraindication",
            "relative contraindication",
            response="utter_contraindications",
        ),
        _term(
            "control_study",
            "control study",
            "control studies",
            "visualization",
            "visualisation",
            response="utter_monitoring",
        ),
    )
}

#: Canonical key -> the phrases (lower case) that name it, for the phrase matcher.
#: Our other languages' phrases for the same terms come from bot/locales/*/vocabulary.yml.
SYNONYMS: Dict[str, List[str]] = locales.with_translations(
    {key: list(term.phrases) for key, term in TERMS.items()}, "terms"
)

#: Single words long enough to recognise with a typo ("myelosupresion").
FUZZY_WORDS: Dict[str, str] = {
    phrase: key
    for key, phrases in SYNONYMS.items()
    for phrase in phrases
    if " " not in phrase and "-" not in phrase and len(phrase) >= 9
}
