"""The benchmark's Rasa command line (bench/stack.py) as Rasa's own argument parser reads it."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.__main__ import create_argument_parser

from bench import stack


@pytest.mark.parametrize("token", ["-Xq3_token", "--looks-like-an-option", "plain_Token-42"])
def test_the_auth_token_is_one_argument_whatever_it_starts_with(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, token: str
) -> None:
    """secrets.token_urlsafe starts with "-" in about 1 of 64 runs; as two arguments
    (``--auth-token``, ``-Xq...``) the baseline server exited with "expected one argument"."""
    monkeypatch.setattr(stack, "WORK", tmp_path)  # where the command writes credentials.yml
    # A model it cannot read counts as needing TensorFlow: the TensorFlow venv's rasa (make
    # bench builds it; the runtime venv has none).
    monkeypatch.setattr(stack, "rasa_with_tensorflow", lambda: "/venv-tensorflow/bin/rasa")
    command = stack.rasa_command(Path("model.tar.gz"), 5999, Path("endpoints.yml"), token)
    assert command[0] == "/venv-tensorflow/bin/rasa"
    parsed = create_argument_parser().parse_args(command[1:])
    assert parsed.auth_token == token
    assert parsed.enable_api and parsed.port == 5999
    assert parsed.credentials == str(tmp_path / "credentials.yml")
