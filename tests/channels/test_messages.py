"""The messenger channels' shared helpers: splitting long text, tokens for big payloads."""

from __future__ import annotations

import pytest

from bot.channels.messages import TOKEN_PREFIX, PayloadTokens, shorten, split_text, utf16_len


def test_text_within_the_limit_is_one_part() -> None:
    assert split_text("  Hello.\n\nSecond paragraph.  ", 100) == ["Hello.\n\nSecond paragraph."]
    assert split_text(" \n ", 100) == []


def test_paragraphs_are_kept_whole_and_packed_together() -> None:
    paragraphs = ["a" * 40, "b" * 40, "c" * 40, "d" * 40]
    parts = split_text("\n\n".join(paragraphs), 90)
    assert parts == ["\n\n".join(paragraphs[:2]), "\n\n".join(paragraphs[2:])]


def test_a_paragraph_too_long_is_cut_at_lines_then_words_then_anywhere() -> None:
    assert split_text("l1 " * 10 + "\n" + "l2 " * 10, 40) == ["l1 " * 9 + "l1", "l2 " * 9 + "l2"]
    assert split_text("word " * 30, 22) == ["word word word word"] * 7 + ["word word"]
    assert split_text("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]


@pytest.mark.parametrize("limit", [2, 3, 7, 100])
def test_emoji_count_twice_and_are_never_cut_in_half(limit: int) -> None:
    text = "\U0001f600" * 30 + " ok"
    parts = split_text(text, limit)
    assert utf16_len("\U0001f600") == 2
    assert all(utf16_len(part) <= limit for part in parts)
    assert "".join(parts).replace(" ", "") == text.replace(" ", "")


def test_shorten_marks_what_it_cut() -> None:
    assert shorten("Neuroblastoma", 20) == "Neuroblastoma"
    assert shorten("Medullary thyroid cancer", 20) == "Medullary thyroid c\u2026"
    assert len(shorten("x" * 50, 20)) == 20


def test_payloads_that_fit_pass_unchanged_and_big_ones_round_trip_as_tokens() -> None:
    tokens = PayloadTokens()
    assert (
        tokens.encode('/ask_tumour{"tumour": "carcinoid"}', 64)
        == '/ask_tumour{"tumour": "carcinoid"}'
    )
    big = '/inform{"note": "' + "\u00e9" * 30 + '"}'  # 50 characters, 80 bytes
    token = tokens.encode(big, 64)
    assert token.startswith(TOKEN_PREFIX) and len(token.encode()) <= 64
    assert tokens.encode(big, 64) == token  # the same button always gets the same token
    assert tokens.decode(token) == big
    assert tokens.decode("/greet") == "/greet"
    assert PayloadTokens().decode(token) is None  # another process never saw it


def test_a_payload_that_looks_like_a_token_is_tokenised_too() -> None:
    tokens = PayloadTokens()
    lookalike = TOKEN_PREFIX + "abc"
    token = tokens.encode(lookalike, 64)
    assert token != lookalike and tokens.decode(token) == lookalike


def test_old_tokens_are_forgotten_beyond_the_limit() -> None:
    tokens = PayloadTokens(max_remembered=2)
    first, second, third = (tokens.encode(str(n) * 100, 64) for n in range(3))
    assert tokens.decode(first) is None
    assert (tokens.decode(second), tokens.decode(third)) == ("1" * 100, "2" * 100)
