"""Signed socket.io session tokens (bot/channels/socketio.py), offline."""

from __future__ import annotations

import stat

import pytest

from bot import settings
from bot.channels.socketio import SESSION_TOKEN_RE, SessionTokens


def test_an_issued_token_names_its_conversation() -> None:
    tokens = SessionTokens("key one")
    token = tokens.issue()
    assert SESSION_TOKEN_RE.fullmatch(token)
    conversation = tokens.conversation_of(token)
    assert conversation == token.split(".")[0] and len(conversation) == 32
    assert tokens.issue() != token


@pytest.mark.parametrize(
    "made_up",
    [None, 42, "", "0" * 32, "0" * 32 + "." + "0" * 32, "default", "../../etc"],
)
def test_ids_that_were_never_issued_are_refused(made_up: object) -> None:
    assert SessionTokens("key one").conversation_of(made_up) is None


def test_a_conversation_id_alone_or_with_another_keys_signature_is_refused() -> None:
    token = SessionTokens("key one").issue()
    conversation = token.split(".")[0]
    assert SessionTokens("key one").conversation_of(conversation) is None
    assert SessionTokens("key two").conversation_of(token) is None
    tampered = token[:-1] + ("0" if token[-1] != "0" else "1")
    assert SessionTokens("key one").conversation_of(tampered) is None


def test_the_key_is_created_once_in_var_with_mode_0600(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "VAR_DIR", tmp_path)
    monkeypatch.delenv("SOCKETIO_SESSION_SECRET", raising=False)
    first = settings.socketio_session_secret()
    assert settings.socketio_session_secret() == first
    assert stat.S_IMODE((tmp_path / "socketio-session.key").stat().st_mode) == 0o600
    monkeypatch.setenv("SOCKETIO_SESSION_SECRET", "configured")
    assert settings.socketio_session_secret() == "configured"
