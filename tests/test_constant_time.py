"""Secrets compare in constant time and refuse, never raise, whatever a request brings."""

from __future__ import annotations

import hmac

import pytest

from bot.constant_time import same_secret
from bot.web.staff.auth import tokens_match

SECRET = "s3cret-token_AbC"


@pytest.mark.parametrize(
    "given",
    [
        None,
        "",
        "s3cret-token_AbD",
        "s3cret-token_AbCx",
        "ß3cret-token_AbC",
        "токен",
        "\udcff\udc80",
        42,
    ],
)
def test_anything_but_the_secret_is_refused_without_an_error(given: object) -> None:
    assert same_secret(given, SECRET) is False
    assert tokens_match(SECRET, given) is False


def test_the_secret_is_accepted_and_an_empty_one_matches_nothing() -> None:
    assert same_secret(SECRET, SECRET) and tokens_match(SECRET, SECRET)
    assert same_secret("ключ-ß", "ключ-ß")  # a non-ASCII secret compares as well
    assert not same_secret("", "") and not tokens_match(None, "x")


def test_plain_compare_digest_raises_on_such_text() -> None:
    """Why the bytes: what ``tokens_match`` did before turned a crafted field into a 500."""
    with pytest.raises(TypeError):
        hmac.compare_digest(SECRET, "токен")
