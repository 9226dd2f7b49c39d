"""Stored values shown to the patient in their language: the request summary, "my data".

Requests are stored in English (country names as Babel's English names, tumours by their
English titles) so staff read one language; the patient reads them in the conversation's
language. No Rasa imports: the action server uses this.
"""

from __future__ import annotations

from functools import cache
from typing import Dict, Optional

from babel import Locale

from bot import domain
from bot.content import countries
from bot.i18n import locales

#: The words for an empty answer, by language; English is the default.
NOT_GIVEN_EN = "not given"
#: Responses whose button titles name stored values (tumours, the destination).
VALUE_BUTTONS = ("utter_ask_diagnosis", "utter_ask_destination")


def not_given(language: str) -> str:
    """ "not given" in ``language`` (vocabulary.yml ``not_given``)."""
    return str(locales.vocabulary(language).get("not_given") or NOT_GIVEN_EN)


@cache
def _country_codes() -> Dict[str, str]:
    """English country name -> territory code."""
    codes = {name: code for code, name in Locale("en").territories.items() if len(code) == 2}
    codes.update({name: code for code, name in countries.DISPLAY_NAMES.items()})
    return codes


@cache
def _button_titles(language: str) -> Dict[str, str]:
    """English button title -> the same button's title in ``language``."""
    english = domain.load()["responses"]
    local = locales.responses(language)
    titles: Dict[str, str] = {}
    for name in VALUE_BUTTONS:
        for variation, translation in zip(english.get(name, []), local.get(name, [])):
            for button, title in zip(
                variation.get("buttons") or [], translation.get("buttons") or []
            ):
                titles[button["title"]] = str(title)
    return titles


def display(value: Optional[str], language: str) -> str:
    """``value`` as the patient should read it in ``language``."""
    if not value:
        return not_given(language)
    if language == locales.DEFAULT_LANGUAGE:
        return value
    titled = _button_titles(language).get(value)
    if titled:
        return titled
    code = _country_codes().get(value)
    if code:
        return str(Locale.parse(language).territories.get(code, value))
    return value
