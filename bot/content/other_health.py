"""Other illnesses, medicines and treatments: questions about them are outside our domain.

"Side effects of ibuprofen" shares every word but one with "side effects of MIBG"; a
bag-of-words classifier cannot be taught the difference for every drug. A message that names
one of these, and neither MIBG (or a tumour or term of the article) nor the therapy it is
considering ("can he have it if he has diabetes"), is out of scope (bot/nlu/out_of_domain.py).
Words the article itself uses (allergic reaction, kidneys, blood pressure drugs) are
deliberately not here; chemotherapy is, because a comparison with it names MIBG or the therapy
("will mibg make her sick like chemo did", "is it better than chemo").
"""

from __future__ import annotations

import re
from typing import Any, Dict, Iterable, List, Tuple

OTHER_HEALTH_TERMS: Tuple[str, ...] = (
    # illnesses
    "diabetes", "diabetic", "asthma", "flu", "influenza", "covid", "coronavirus", "cold sore",
    "common cold", "migraine", "migraines", "eczema", "psoriasis", "arthritis", "rheumatism",
    "alzheimer", "alzheimers", "alzheimer's", "dementia", "parkinson", "parkinsons",
    "parkinson's", "depression", "anxiety", "adhd", "hiv", "aids", "hepatitis", "malaria",
    "tuberculosis", "pneumonia", "bronchitis", "cholesterol", "obesity", "acne", "gout",
    "hay fever", "sinusitis", "tonsillitis", "chickenpox", "measles", "shingles", "lupus",
    "multiple sclerosis", "epilepsy", "insomnia", "constipation", "diarrhea", "diarrhoea",
    "hemorrhoids", "haemorrhoids", "uti", "urinary infection", "yeast infection", "thrush",
    "osteoporosis", "anemia", "anaemia", "endometriosis", "pcos", "menopause", "sciatica",
    "back pain", "knee pain", "toothache", "cavity", "gum disease", "conjunctivitis",
    "breast cancer", "lung cancer", "prostate cancer", "colon cancer", "bowel cancer",
    "skin cancer", "cervical cancer", "ovarian cancer", "pancreatic cancer", "leukemia",
    "leukaemia", "lymphoma", "melanoma", "myeloma", "sarcoma", "glioblastoma", "glioma",
    "bone cancer", "brain cancer", "stomach cancer", "liver cancer", "kidney cancer",
    "bladder cancer", "throat cancer", "blood cancer", "papillary", "follicular", "anaplastic",
    "hyperthyroidism", "hyperthyroid", "hypothyroidism", "hypothyroid", "graves disease",
    "hashimoto", "hashimotos", "thyroiditis", "goiter", "goitre", "thyroid nodule",
    "thyroid nodules", "kidney stones", "kidney stone", "gallstones", "gallbladder", "hernia",
    "cataract", "cataracts", "glaucoma", "stomach ulcer", "gastritis", "acid reflux",
    "heartburn", "crohn", "crohns", "crohn's", "colitis", "celiac", "coeliac",
    "irritable bowel", "ibs", "pancreatitis", "cirrhosis", "fatty liver", "sleep apnea",
    "sleep apnoea", "heart failure", "atrial fibrillation", "arrhythmia", "angina",
    "varicose", "thrombosis", "fibromyalgia", "tinnitus", "vertigo", "herpes",
    "autism", "testicular cancer", "uterine cancer", "endometrial cancer",
    "esophageal cancer", "oesophageal cancer", "mesothelioma", "retinoblastoma",
    "osteosarcoma", "hodgkin", "hodgkins",
    # medicines and other treatments
    "ibuprofen", "paracetamol", "acetaminophen", "aspirin", "tylenol", "advil", "nurofen",
    "antibiotic", "antibiotics", "amoxicillin", "penicillin", "insulin", "metformin",
    "statin", "statins", "viagra", "antihistamine", "antihistamines", "melatonin", "vitamin",
    "vitamins", "vaccine", "vaccines", "vaccination", "botox", "physiotherapy", "physio",
    "chiropractor", "acupuncture", "homeopathy", "ivf", "contraception", "birth control",
    "pregnancy test", "morning after pill", "dentist", "braces", "glasses", "contact lenses",
    "lasik", "tamoxifen", "herceptin", "keytruda", "immunotherapy", "mammogram",
    "chemotherapy", "chemo", "radiotherapy",
    # other nuclear-medicine therapies (MIBG's own radioactive iodine is named by MIBG)
    "radioiodine", "lutetium", "psma", "radium", "xofigo", "pluvicto",
    # other tests and the thyroid's own medicines
    "gadolinium", "shellfish",
    "levothyroxine", "thyroxine", "euthyrox", "synthroid", "tsh",
)  # fmt: skip

#: Terms of the article that other illnesses share ("radium for bone metastases", "radioactive
#: iodine for Graves"): they do not tie a message naming another illness to our domain.
SHARED_TERMS = frozenset(
    {"metastases", "iodine", "regression", "bone_marrow", "isolation", "contraindication",
     "peripheral_blood", "leukocytes", "hormone_active", "antihypertensives"}
)  # fmt: skip

#: The confidence of ``out_of_scope`` when a rule of bot/nlu/out_of_domain.py judged the message
#: outside our domain (another illness, words our domain never uses); the answer action reads
#: such a judgement as final, even in a conversation.
OUT_OF_DOMAIN_CONFIDENCE = 0.75

#: Words that tie a message to our domain whatever else it names.
DOMAIN_ANCHORS = re.compile(
    r"\b(?:mibg|metaiodobenzylguanidine|m\.i\.b\.g|radionuclide|radiopharmaceutical|"
    r"radiotracer|i-?131|booking\s+health)\b",
    re.IGNORECASE,
)

#: "...can he have it", "is this therapy safe", "the treatment", "stop it before?": the therapy
#: being considered or its preparation.
THERAPY_REFERENCE = re.compile(
    r"\b(?:this|the|that|your)\s+(?:therapy|treatment|procedure|infusion|radiation)\b"
    r"|\b(?:have|get|do|take|start|receive|undergo|try)\s+(?:it|this|that)\b"
    r"|\b(?:is|does|will|would|can|could|might|may)\s+it\b"
    r"|\bstop(?:ping)?\s+(?:taking|(?:it|that|them|those|these)\s+(?:too|also|as\s+well|before))\b"
    r"|\b(?:pause|keep\s+taking|continue\s+taking)\b",  # the preparation
    re.IGNORECASE,
)

OTHER_HEALTH_RE = re.compile(
    r"\b(?:" + "|".join(re.escape(t) for t in OTHER_HEALTH_TERMS) + r")\b", re.IGNORECASE
)


def mentions_other_health(text: str) -> bool:
    """Does ``text`` name another illness or medicine at all ("i have diabetes, is it a
    problem for mibg?")?"""
    return bool(OTHER_HEALTH_RE.search(text))


def names_other_health(text: str) -> bool:
    """Does ``text`` name another illness or medicine, and nothing of our domain ("does it
    work the same for papillary thyroid cancer")?"""
    return mentions_other_health(text) and not DOMAIN_ANCHORS.search(text)


#: Words around an illness's name that say nothing more ("my papillary thyroid cancer too").
ILLNESS_WORDS = ("cancer", "tumour", "tumor", "thyroid", "disease", "illness", "condition", "too")


def other_health_words(text: str) -> List[str]:
    """The words of ``text`` that name another illness or medicine, and the words for one."""
    named = [w for m in OTHER_HEALTH_RE.finditer(text) for w in m.group(0).lower().split()]
    return named + list(ILLNESS_WORDS) if named else []


def about_other_health(text: str) -> bool:
    """True when ``text`` asks about another illness or medicine and not about our therapy."""
    return names_other_health(text) and not THERAPY_REFERENCE.search(text)


def ties_to_our_domain(entities: Iterable[Dict[str, Any]], text: str) -> bool:
    """Does the message name something of our domain: a tumour, MIBG, or an article term (one
    that other illnesses share only when it names none of them: "what are metastases", not
    "radium-223 for bone metastases")?"""
    other = mentions_other_health(text)
    for e in entities:
        kind = e.get("entity")
        if kind == "tumour" or (kind == "term" and not (other and e.get("value") in SHARED_TERMS)):
            return True
    return bool(DOMAIN_ANCHORS.search(text))
