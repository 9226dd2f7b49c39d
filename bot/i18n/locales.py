"""The languages the assistant speaks, discovered from files.

English is the source language: its texts are the responses in ``domain.yml`` and the content
modules of ``bot/content``. Every other language is a directory ``bot/locales/<code>/`` with

- ``responses.yml``: the text and button titles of every response, in domain order;
- ``passages.yml``: the article passages quoted as the answer of last resort;
- ``vocabulary.yml``: how patients write tumours, terms, emergencies, their own case, a
  language switch and the form's answers in that language;
- ``widget.yml``: the chat widget's own texts,

plus its training examples in ``data/nlu/<code>/``. Adding a language means adding those files
(docs/languages.md); no code names a language except English as the default.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any, Dict, Iterable, List, Mapping, Tuple

import yaml

from bot.settings import ROOT

DEFAULT_LANGUAGE = "en"
LOCALES_DIR = ROOT / "bot" / "locales"


@cache
def languages() -> Tuple[str, ...]:
    """English first, then every language with a ``responses.yml``, in code order."""
    found = sorted(
        path.parent.name
        for path in LOCALES_DIR.glob("*/responses.yml")
        if path.parent.name != DEFAULT_LANGUAGE
    )
    return (DEFAULT_LANGUAGE, *found)


def supported(code: Any) -> bool:
    """Whether ``code`` names a language we speak (any other value is no language)."""
    return isinstance(code, str) and code in languages()


def normalise(code: Any) -> str:
    """A language code from a browser or a messenger ("de-AT", "RU") as ours, else English."""
    if isinstance(code, str):
        short = code.strip().lower().replace("_", "-").split("-")[0]
        if supported(short):
            return short
    return DEFAULT_LANGUAGE


@cache
def _load(language: str, name: str) -> Any:
    path = LOCALES_DIR / language / name
    if not path.is_file():
        return {}
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def responses(language: str) -> Dict[str, List[Dict[str, Any]]]:
    """Translated variations per response name (text and button titles only)."""
    return dict(_load(language, "responses.yml").get("responses") or {})


def passages(language: str) -> List[Dict[str, Any]]:
    """Translated passages, in the order of bot/content/passages.yml."""
    return list(_load(language, "passages.yml").get("passages") or [])


def passage_sections(language: str) -> Dict[str, str]:
    """Translated section titles of the article (``sections`` of passages.yml)."""
    return {
        str(k): str(v) for k, v in (_load(language, "passages.yml").get("sections") or {}).items()
    }


def vocabulary(language: str) -> Dict[str, Any]:
    """The language's ``vocabulary.yml`` as a mapping (empty for English)."""
    return dict(_load(language, "vocabulary.yml"))


def widget_strings(language: str) -> Dict[str, str]:
    """The widget's texts in ``language`` ({} when the language has none)."""
    return {str(k): str(v) for k, v in _load(language, "widget.yml").items()}


def phrases(key: str) -> List[str]:
    """Every other language's phrases under ``key`` of vocabulary.yml (a list), lower case."""
    found: List[str] = []
    for language in languages()[1:]:
        for phrase in vocabulary(language).get(key) or []:
            if isinstance(phrase, str) and phrase.strip():
                found.append(phrase.strip().lower())
    return found


def phrases_by_key(key: str) -> Dict[str, List[str]]:
    """Every other language's ``key: {canonical: [phrases]}`` mapping, merged, lower case."""
    merged: Dict[str, List[str]] = {}
    for language in languages()[1:]:
        mapping: Mapping[str, Any] = vocabulary(language).get(key) or {}
        for canonical, items in mapping.items():
            merged.setdefault(str(canonical), []).extend(
                str(item).strip().lower() for item in items or [] if str(item).strip()
            )
    return merged


def with_translations(english: Mapping[str, List[str]], key: str) -> Dict[str, List[str]]:
    """``english`` (canonical -> phrases) with every language's phrases for the same keys.

    Keys another language adds that English does not know are ignored: the canonical keys are
    defined once, in English (bot/content).
    """
    extra = phrases_by_key(key)
    return {
        canonical: list(dict.fromkeys([*items, *extra.get(canonical, [])]))
        for canonical, items in english.items()
    }


def alternation(phrases: Iterable[str], stems: bool = False) -> str:
    """A regex alternation of ``phrases``, longest first, spaces matching any whitespace
    (``stems``: any word ending may follow), for the patterns built from vocabulary.yml."""
    ending = r"\w*" if stems else ""
    return "|".join(
        re.escape(p).replace("\\ ", r"\s+") + ending
        for p in sorted(set(phrases), key=len, reverse=True)
    )
