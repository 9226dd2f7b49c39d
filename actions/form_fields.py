"""Parse and check what a patient types into the treatment-request form.

Pure functions, no Rasa types: each returns the normalised value or ``None`` when the text is not
a plausible answer, so the form can tell an answer from a question typed mid-form. A value that
is not a string (a number, a list, a dict from a typed payload) is no answer either.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from functools import lru_cache
from typing import Dict, Optional

import phonenumbers
from babel import Locale

from bot.content import countries
from bot.i18n import locales

#: The longest message for the coordinator that is stored.
MAX_MESSAGE_CHARS = 2000
EMAIL_RE = re.compile(
    r"(?<![\w.+-])([a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63})(?![\w-])",
    re.IGNORECASE,
)
PHONE_CANDIDATE_RE = re.compile(r"(?:\+|00)?\d[\d\s().\-/]{5,22}\d")
NAME_PREFIX_RE = re.compile(
    r"^(?:(?:actually|sorry|no|ok|okay)[,\s]+)?(?:my (?:full )?name is|the name is|name is|"
    r"i am|i'm|im|this is|it's|its|it is|patient is|the patient is|patient name is|"
    r"the patient's name is|call me)\s+",
    re.IGNORECASE,
)


def _local_prefix_re(key: str) -> Optional[re.Pattern]:
    """ "ich heiße", "меня зовут", "ich wohne in", "я живу в" (bot/locales/*/vocabulary.yml)."""
    phrases = locales.phrases(key)
    if not phrases:
        return None
    return re.compile(rf"^(?:{locales.alternation(phrases)})(?:\s+|\s*[:\-]\s*)", re.IGNORECASE)


LOCAL_NAME_PREFIX_RE = _local_prefix_re("name_prefixes")
LOCAL_COUNTRY_PREFIX_RE = _local_prefix_re("country_prefixes")
#: Country names this long may be inflected ("Казахстане"); that close counts as the name.
MIN_INFLECTED_CHARS = 6
INFLECTED_CUTOFF = 0.85
NAME_CORRECTION_RE = re.compile(
    r"\b(?:my (?:full )?name is|the patient's name is|patient name is)\s+(.+)$", re.IGNORECASE
)
COUNTRY_PREFIX_RE = re.compile(
    r"^(?:i (?:live|am living|stay|reside) in|i am from|i'm from|im from|from|we live in|"
    r"we are from|living in|in|it is|it's|country is|my country is)\s+(?:the\s+)?",
    re.IGNORECASE,
)


def _fold(text: str) -> str:
    """Lower case without accents, single spaces: "  Côte d’Ivoire " -> "cote d'ivoire".

    Only the accents go: Cyrillic letters stay ("Россия" -> "россия").
    """
    decomposed = unicodedata.normalize("NFKD", text.replace("’", "'"))
    text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"\s+", " ", text).strip().lower()


@lru_cache(maxsize=1)
def _countries() -> Dict[str, str]:
    names = {
        code: name
        for code, name in Locale("en").territories.items()
        if len(code) == 2 and code.isalpha() and code not in countries.NOT_COUNTRIES
    }
    names.update(countries.DISPLAY_NAMES)  # what patients write, not Babel's name
    english = set(names.values()) | set(countries.ALIASES.values())
    lookup = {_fold(name): name for name in names.values()}
    # The same countries in our other languages: Babel's names, then the locale's aliases.
    for language in locales.languages()[1:]:
        for code, local_name in Locale.parse(language).territories.items():
            if code in names:
                lookup.setdefault(_fold(local_name), names[code])
        aliases = locales.vocabulary(language).get("country_aliases") or {}
        lookup.update({_fold(str(a)): str(n) for a, n in aliases.items() if str(n) in english})
    lookup.update({_fold(alias): name for alias, name in countries.ALIASES.items()})
    return lookup


def _text(value: object) -> str:
    """``value`` if it is a string, else ``""``: a value of another type is no answer."""
    return value if isinstance(value, str) else ""


def parse_email(text: str) -> Optional[str]:
    """The first email address in ``text``, lower-cased, or ``None``."""
    match = EMAIL_RE.search(_text(text))
    return match.group(1).lower() if match else None


def parse_phone(text: str) -> Optional[str]:
    """A valid phone number in ``text`` in international format ("+49 1512 3456789")."""
    for candidate in PHONE_CANDIDATE_RE.findall(_text(text)):
        number = candidate.strip()
        if number.startswith("00"):
            number = "+" + number[2:]
        if not number.startswith("+"):
            continue
        try:
            parsed = phonenumbers.parse(number, None)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed):
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return None


def looks_like_phone_attempt(text: str) -> bool:
    """True when the text is mostly digits, i.e. meant as a phone number."""
    digits = sum(ch.isdigit() for ch in _text(text))
    return digits >= 5


def parse_name(text: str) -> Optional[str]:
    """A person's name from "Anna Kowalska" or "my name is anna kowalska", else ``None``."""
    cleaned = NAME_PREFIX_RE.sub("", _text(text).strip()).strip(" .,!")
    if LOCAL_NAME_PREFIX_RE:
        cleaned = LOCAL_NAME_PREFIX_RE.sub("", cleaned).strip(" .,!")
    words = cleaned.split()
    if not 1 <= len(words) <= 6 or len(cleaned) > 100:
        return None
    if not all(re.fullmatch(r"[^\W\d_]+(?:['’.\-][^\W\d_]*)*\.?", word) for word in words):
        return None
    if sum(ch.isalpha() for ch in cleaned) < 2:
        return None
    return " ".join(word[:1].upper() + word[1:] if word.islower() else word for word in words)


def name_correction(text: str) -> Optional[str]:
    """The new name in "actually my name is ...", anywhere in the form."""
    match = NAME_CORRECTION_RE.search(_text(text))
    return parse_name(match.group(1)) if match else None


def parse_country(text: str) -> Optional[str]:
    """The country named in ``text`` ("I live in poland" -> "Poland"), else ``None``."""
    stripped = COUNTRY_PREFIX_RE.sub("", _text(text).strip()).strip(" .,!")
    folded = _fold(
        LOCAL_COUNTRY_PREFIX_RE.sub("", stripped) if LOCAL_COUNTRY_PREFIX_RE else stripped
    )
    countries = _countries()
    if folded in countries:
        return countries[folded]
    if len(folded) < MIN_INFLECTED_CHARS:
        return None
    # "я живу в Казахстане", "из Беларуси": Russian declines country names.
    close = difflib.get_close_matches(folded, countries, n=1, cutoff=INFLECTED_CUTOFF)
    return countries[close[0]] if close else None
