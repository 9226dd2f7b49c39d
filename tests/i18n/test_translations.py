"""Every translation says what its English original says: the same figures, placeholders,
buttons and ``metadata.source``, so the grounding test of the English answers covers every
language (tests/content/test_content_grounding.py)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Dict, List, Tuple

import pytest
import yaml

from bot.content import passages
from bot.content.article import numbers_in
from bot.content.glossary import TERMS
from bot.content.tumours import SYNONYMS
from bot.i18n import locales
from bot.i18n.nlg import localised_responses, translated

ROOT = Path(__file__).resolve().parents[2]
ENGLISH: Dict[str, List[dict]] = yaml.safe_load((ROOT / "domain.yml").read_text("utf-8"))[
    "responses"
]
OTHERS = locales.languages()[1:]
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


def spoken(variation: dict) -> str:
    return "\n".join(
        [variation.get("text", "")] + [b["title"] for b in variation.get("buttons") or []]
    )


def pairs(language: str) -> List[Tuple[str, int, dict, dict]]:
    local = localised_responses(ENGLISH)[language]
    return [
        (name, index, variation, local[name][index])
        for name, variations in ENGLISH.items()
        for index, variation in enumerate(variations)
    ]


def test_there_are_other_languages() -> None:
    assert set(OTHERS) >= {"de", "ru"}


@pytest.mark.parametrize("language", OTHERS)
def test_every_response_is_translated(language: str) -> None:
    local = locales.responses(language)
    assert set(local) == set(ENGLISH), set(local) ^ set(ENGLISH)
    for name, variations in ENGLISH.items():
        assert len(local[name]) == len(variations), name
        for english, translation in zip(variations, local[name]):
            assert translation.get("text"), name
            assert len(translation.get("buttons") or []) == len(english.get("buttons") or []), name


@pytest.mark.parametrize("language", OTHERS)
def test_translations_keep_figures_placeholders_and_sources(language: str) -> None:
    problems = []
    for name, index, english, local in pairs(language):
        if Counter(numbers_in(spoken(english))) != Counter(numbers_in(spoken(local))):
            problems.append(f"{name}[{index}] figures")
        if set(PLACEHOLDER.findall(spoken(english))) != set(PLACEHOLDER.findall(spoken(local))):
            problems.append(f"{name}[{index}] placeholders")
        if english.get("metadata") != local.get("metadata"):
            problems.append(f"{name}[{index}] metadata")
        payloads = [b["payload"] for b in english.get("buttons") or []]
        if payloads != [b["payload"] for b in local.get("buttons") or []]:
            problems.append(f"{name}[{index}] payloads")
    assert not problems, problems


def test_a_missing_translation_falls_back_to_english() -> None:
    result = translated(ENGLISH, {"utter_greet": [{"text": "Hallo"}]})
    assert result["utter_greet"][0]["text"] == "Hallo"
    assert result["utter_goodbye"] == ENGLISH["utter_goodbye"]
    assert ENGLISH["utter_greet"][0]["text"] != "Hallo"  # the English original is untouched


@pytest.mark.parametrize("language", OTHERS)
def test_passages_are_translated_with_the_same_figures(language: str) -> None:
    english = passages.passages()
    local = passages.passages(language)
    assert len(locales.passages(language)) == len(english)
    for original, translation in zip(english, local):
        assert translation.cleaned != original.cleaned, original.id
        assert Counter(numbers_in(original.cleaned)) == Counter(numbers_in(translation.cleaned))
        assert translation.title and translation.title == passages.section_title(
            original.section, language
        )
    assert set(locales.passage_sections(language)) == set(passages.SECTION_TITLES)


@pytest.mark.parametrize("language", OTHERS)
def test_vocabulary_names_only_known_tumours_and_terms(language: str) -> None:
    words = locales.vocabulary(language)
    assert set(words["tumours"]) <= set(SYNONYMS)
    assert set(words["terms"]) <= set(TERMS)
    for key in ("emergency", "personal_cues", "question_joints", "language_switch"):
        assert len(words[key]) >= 5, key


@pytest.mark.parametrize("language", OTHERS)
def test_widget_texts_cover_every_key(language: str) -> None:
    english_keys = set(locales.widget_strings("en") or locales.widget_strings(language))
    assert set(locales.widget_strings(language)) >= english_keys
