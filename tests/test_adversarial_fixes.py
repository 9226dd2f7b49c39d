"""What bench/adversarial.py found, checked without a live stack."""

from __future__ import annotations

import pytest

from bot.channels.text import EMPTY_MESSAGE_PAYLOAD, clean_user_text


@pytest.mark.parametrize("typed", ["/back", " /back ", '/back{"a": 1}', "/back@0.9"])
def test_a_typed_rewind_is_answered_as_not_understood(typed: str) -> None:
    # Before: Rasa's action_back rewound the conversation and the visitor got no reply at all.
    assert clean_user_text(typed, 2000) == EMPTY_MESSAGE_PAYLOAD


@pytest.mark.parametrize(
    "text", ["/backpain", "/back pain", "back", "my /back hurts", "/ask_tumour"]
)
def test_other_text_is_kept(text: str) -> None:
    assert clean_user_text(text, 2000) == text
