"""The content lists of bot/content/ (countries, tumour titles) fit what uses them."""

from __future__ import annotations

import pytest
from babel import Locale

from bot.content import countries, tumours


def test_every_tumour_group_has_a_stored_title() -> None:
    assert set(tumours.GROUP_TITLES) == set(tumours.GROUPS)
    assert tumours.title("ppgl") == "Pheochromocytoma / paraganglioma (PPGL)"
    assert tumours.title("neuroendocrine") == "Neuroendocrine tumour"
    assert tumours.title("neuroblastoma") == "Neuroblastoma"
    assert tumours.title("something else") == "something else"


def test_aliases_and_destinations_name_countries_the_form_stores() -> None:
    english = dict(Locale("en").territories)
    english.update(countries.DISPLAY_NAMES)
    stored = {name for code, name in english.items() if code not in countries.NOT_COUNTRIES}
    assert set(countries.ALIASES.values()) <= stored
    assert set(countries.NOT_SERVED_DESTINATIONS) <= stored
    assert all(alias == alias.lower() for alias in countries.ALIASES)


@pytest.mark.parametrize(
    "question", ["who calls, a doctor or a sales guy?", "how long until they reply"]
)
def test_who_contacts_you_and_when_finds_the_request_passage(question: str) -> None:
    from bot.content import passages

    (best, _score), *_ = passages.index("en").search(question, limit=1)
    assert "same day" in best.cleaned
