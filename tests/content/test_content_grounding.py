"""Every answer is traceable to the article: the section it cites exists and holds its figures."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, List

import pytest
import yaml

from bot.channels import text as channel_text
from bot.content import article, glossary, passages
from bot.content.tumours import TUMOURS
from bot.domain import response_sources
from bot.settings import Settings, policy_figures

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
RESPONSES: Dict[str, List[dict]] = DOMAIN["responses"]
#: Texts about how the assistant works (privacy, safety, form steps): no article facts allowed.
POLICY = "policy"
SHARED_ARTICLE = ROOT.parent / "shared" / "seed" / "mibg-article.txt"


def spoken_text(variation: dict) -> str:
    """What the patient sees: the text and the button titles, without {slot} placeholders."""
    parts = [variation.get("text", "")] + [b["title"] for b in variation.get("buttons", [])]
    return re.sub(r"\{[a-z_]+\}", "", "\n".join(parts))


#: The only figures a policy text may say (bot/settings.py).
RETENTION_DAYS = set(policy_figures())

ALL_VARIATIONS = [(name, v) for name, variations in RESPONSES.items() for v in variations]


def test_article_sections_are_found_in_order() -> None:
    sections = article.sections()
    assert list(sections) == [key for key, _ in article.SECTION_MARKERS]
    assert "88%" in sections["pheochromocytoma"] and "88%" not in sections["carcinoid"]
    assert "ISO 9001: 2015" in sections["agency"]


@pytest.mark.skipif(not SHARED_ARTICLE.exists(), reason="shared/ not beside the repo")
def test_article_copy_matches_the_shared_seed() -> None:
    assert article.article_text() == SHARED_ARTICLE.read_text(encoding="utf-8")


@pytest.mark.parametrize("name,variation", ALL_VARIATIONS, ids=[n for n, _ in ALL_VARIATIONS])
def test_every_response_names_a_known_source(name: str, variation: dict) -> None:
    sources = response_sources(variation)
    assert sources, f"{name} has no metadata.source"
    known = set(article.sections()) | {POLICY, passages.QUOTE_SOURCE}
    assert set(sources) <= known, f"{name} cites unknown section(s) {set(sources) - known}"


@pytest.mark.parametrize("name,variation", ALL_VARIATIONS, ids=[n for n, _ in ALL_VARIATIONS])
def test_every_number_in_a_response_is_in_its_article_section(name: str, variation: dict) -> None:
    cited = " ".join(article.sections().get(s, "") for s in response_sources(variation))
    allowed = set(article.numbers_in(cited))
    if response_sources(variation) == [POLICY]:  # the privacy texts say the retention periods
        allowed |= RETENTION_DAYS
    said = article.numbers_in(spoken_text(variation))
    assert set(said) <= allowed, (
        f"{name} says {set(said) - allowed}, not in {response_sources(variation)}"
    )


def test_the_privacy_texts_say_the_retention_settings() -> None:
    """Changing a retention default means changing these texts (and the notice version)."""
    closed = f"{Settings.request_retention_days_after_close} days after your request is"
    for name in ("utter_privacy", "utter_ask_privacy_consent"):
        (variation,) = RESPONSES[name]
        assert closed in " ".join(variation["text"].split()), name
    transcripts = f"{Settings.transcript_retention_days} days after its last message"
    assert transcripts in " ".join(RESPONSES["utter_privacy"][0]["text"].split())


def test_every_number_the_code_can_say_is_in_the_article() -> None:
    """Texts that channels send without the domain (service errors) carry no figures."""
    for value in (channel_text.SERVICE_ERROR_TEXT,):
        assert not set(article.numbers_in(value)) - set(article.numbers_in(article.article_text()))


@pytest.mark.parametrize("key", list(TUMOURS))
def test_each_tumour_answer_gives_all_figures_of_its_section(key: str) -> None:
    (variation,) = RESPONSES[f"utter_tumour_{key}"]
    section_figures = set(article.numbers_in(article.sections()[key]))
    assert section_figures, key
    assert section_figures <= set(article.numbers_in(variation["text"]))
    assert response_sources(variation) == [key]


@pytest.mark.parametrize(
    "response,facts",
    [
        ("utter_how_it_works", ["I-131", "norepinephrine", "adrenal glands", "kills"]),
        ("utter_candidates", ["cannot be operated", "neuroendocrine", "medullary thyroid"]),
        ("utter_contraindications", ["allergic", "kidney", "myelosuppression", "isolation"]),
        ("utter_side_effects", ["nausea", "vomiting", "bone marrow"]),
        ("utter_dosing", ["individually"]),
        ("utter_monitoring", ["catecholamine", "bone marrow", "kidneys", "size"]),
        ("utter_preparation", ["antihypertensives", "neuroleptics", "antihormonal"]),
        ("utter_services", ["interpreter", "coordinator", "hotels", "transfers", "unspent funds"]),
        ("utter_agency", ["15 years", "ISO 9001:2015"]),
        ("utter_destinations", ["Germany", "Turkey", "Switzerland", "South Korea", "India"]),
        ("utter_costs", ["50%", "foreign patients", "request"]),
    ],
)
def test_answers_carry_the_articles_key_facts(response: str, facts: List[str]) -> None:
    text = RESPONSES[response][0]["text"]
    for fact in facts:
        assert fact in text, f"{response} lacks {fact!r}"


def test_costs_answer_quotes_no_price() -> None:
    text = RESPONSES["utter_costs"][0]["text"]
    assert not re.search(r"(€|\$|EUR|euro|USD)\s*\d|\d\s*(€|\$|EUR|euro)", text, re.IGNORECASE)


# ---------------------------------------------------------------- the passage index (issue 10)
ALL_PASSAGES = passages.passages()


def _flat(text: str) -> str:
    return " ".join(text.replace("’", "'").split())


@pytest.mark.parametrize("passage", ALL_PASSAGES, ids=[p.id for p in ALL_PASSAGES])
def test_each_passage_is_an_article_sentence_of_its_section(passage: passages.Passage) -> None:
    section = _flat(article.sections()[passage.section])
    assert _flat(passage.original) in section, passage.id


@pytest.mark.parametrize("passage", ALL_PASSAGES, ids=[p.id for p in ALL_PASSAGES])
def test_each_cleaned_passage_keeps_the_figures_of_its_sentence(
    passage: passages.Passage,
) -> None:
    assert sorted(article.numbers_in(passage.cleaned)) == sorted(
        article.numbers_in(passage.original)
    ), passage.id


def test_the_passages_cover_every_answerable_section_once_in_order() -> None:
    covered = [p.section for p in ALL_PASSAGES]
    order = [key for key, _ in article.SECTION_MARKERS if key in covered]
    assert covered == sorted(covered, key=order.index)
    assert set(covered) == set(article.sections()) - {"end"}
    assert set(passages.SECTION_TITLES) == set(covered)


def test_the_quote_response_carries_nothing_but_the_passage() -> None:
    (variation,) = RESPONSES["utter_article_quote"]
    assert response_sources(variation) == [passages.QUOTE_SOURCE]
    assert "{quote}" in variation["text"] and "{section}" in variation["text"]
    assert not article.numbers_in(variation["text"])


@pytest.mark.parametrize("key", list(glossary.TERMS))
def test_each_glossary_term_has_a_grounded_response(key: str) -> None:
    term = glossary.TERMS[key]
    assert term.response in RESPONSES, term.response
    (variation,) = RESPONSES[term.response]
    assert set(response_sources(variation)) - {POLICY}, f"{term.response} cites no article section"
