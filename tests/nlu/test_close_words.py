"""``CloseWords`` finds the same close match as difflib over all known words."""

from __future__ import annotations

import difflib
import random

import pytest

from bot.content import glossary, tumours
from bot.nlu.vocabulary import FUZZY_CUTOFF, CloseWords


def typos(word: str, rng: random.Random) -> list:
    """A few one-letter slips of ``word``: dropped, doubled, swapped and replaced letters."""
    out = []
    for _ in range(3):
        i = rng.randrange(len(word))
        out += [
            word[:i] + word[i + 1 :],
            word[:i] + word[i] + word[i:],
            word[:i] + rng.choice("aeioukxz") + word[i + 1 :],
        ]
    return out


@pytest.mark.parametrize(
    "known", [tumours.FUZZY_WORDS, glossary.FUZZY_WORDS], ids=["tumours", "terms"]
)
def test_same_match_as_difflib_over_every_word(known: dict) -> None:
    rng = random.Random(7)
    words = [typo for word in known for typo in typos(word, rng)]
    words += ["catecholamines", "chemotherapy", "something", "paragangliomas", "xxxxxxxxxx"]
    close = CloseWords(known)
    matched = 0
    for word in words:
        expected = difflib.get_close_matches(word, known, n=1, cutoff=FUZZY_CUTOFF)
        assert close.key(word) == (known[expected[0]] if expected else None), word
        matched += bool(expected)
    assert matched > len(words) / 2  # most slips are still recognised


def test_candidates_leave_out_only_lengths_that_cannot_reach_the_cutoff() -> None:
    close = CloseWords({"ab": "x", "abcdefghij": "y", "abcdefghijklmnopqrst": "z"})
    assert close.candidates("abcdefghik") == ["abcdefghij"]
    assert close.key("abcdefghik") == "y"
    assert close.candidates("ab") == ["ab"] and close.key("ab") == "x"
