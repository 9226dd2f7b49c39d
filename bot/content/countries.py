"""Countries as patients name them in English, and the names the form stores.

The form stores a country as its English name from Babel (``actions/form_fields.py``), so staff
read one language. This module holds what Babel does not know: the names patients write for a
country ("UK", "Holland"), where Babel's name is not the one patients use, the codes that are
not countries, and the destinations we do not organise treatment in. Other languages' names
for the same countries are in ``bot/locales/<code>/vocabulary.yml`` (``country_aliases``).
"""

from __future__ import annotations

from typing import Dict, FrozenSet

#: Territory code -> the name stored and shown instead of Babel's: patients write "Turkey",
#: Babel says "Türkiye".
DISPLAY_NAMES: Dict[str, str] = {"TR": "Turkey"}
#: Two-letter codes Babel lists that are not countries.
NOT_COUNTRIES: FrozenSet[str] = frozenset({"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ"})
#: How patients write a country (lower case) -> its stored English name.
ALIASES: Dict[str, str] = {
    "usa": "United States",
    "us": "United States",
    "america": "United States",
    "united states of america": "United States",
    "uk": "United Kingdom",
    "england": "United Kingdom",
    "scotland": "United Kingdom",
    "wales": "United Kingdom",
    "britain": "United Kingdom",
    "great britain": "United Kingdom",
    "northern ireland": "United Kingdom",
    "russian federation": "Russia",
    "czech republic": "Czechia",
    "turkey": "Turkey",
    "türkiye": "Turkey",
    "turkiye": "Turkey",
    "korea": "South Korea",
    "republic of korea": "South Korea",
    "holland": "Netherlands",
    "uae": "United Arab Emirates",
    "emirates": "United Arab Emirates",
    "ivory coast": "Côte d’Ivoire",
    "deutschland": "Germany",
    "moldavia": "Moldova",
    "kyrgyzstan": "Kyrgyzstan",
    "kirgizia": "Kyrgyzstan",
    "byelorussia": "Belarus",
}
#: Destinations patients ask for that we do not organise treatment in
#: (``utter_destination_not_served``).
NOT_SERVED_DESTINATIONS: FrozenSet[str] = frozenset(
    {"Turkey", "Switzerland", "South Korea", "India"}
)
