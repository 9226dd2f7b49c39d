"""Rasa's telemetry and Sentry error reporting are off in every entry point, whatever the
environment says (bot/offline.py): each runs here with an empty environment (no
RASA_TELEMETRY_ENABLED, as outside ``make``), and even with telemetry asked for."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import ROOT

#: Prints Rasa's telemetry switch and whether Sentry got a client after Rasa's own set-up
#: (``rasa.__main__`` calls ``initialize_error_reporting`` for every command).
STATE = (
    "import rasa.telemetry, sentry_sdk; rasa.telemetry.initialize_error_reporting(); "
    "print('telemetry', rasa.telemetry.is_telemetry_enabled(), "
    "'sentry', sentry_sdk.Hub.current.client is not None)"
)


def run(args: list, home: Path, **extra: str) -> str:
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", **extra}  # nothing else
    done = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.parametrize("asked", [{}, {"RASA_TELEMETRY_ENABLED": "true"}], ids=["empty", "on"])
def test_python_m_bot_rasa_runs_with_telemetry_off(tmp_path: Path, asked: dict) -> None:
    # The way `make` trains and tests: python -m bot rasa train / test.
    out = run(["-m", "bot", "rasa", "telemetry"], tmp_path, **asked)
    assert "Telemetry reporting is currently disabled" in out, out


@pytest.mark.parametrize(
    "entry",
    [
        "import bot.cli",  # python -m bot ... (serve-rasa, serve-actions, serve-web, rasa)
        "import bot.web.app",  # uvicorn bot.web.app:app
        "import bot.action_server",  # the action server module
        "import bot.checks",  # python -m bot.checks.validate_data / nlu_eval
    ],
    ids=["python-m-bot", "web-app", "action-server", "checks"],
)
@pytest.mark.parametrize("asked", [{}, {"RASA_TELEMETRY_ENABLED": "true"}], ids=["empty", "on"])
def test_entry_points_leave_telemetry_and_sentry_off(tmp_path: Path, entry: str, asked) -> None:
    out = run(["-c", f"{entry}; {STATE}"], tmp_path, PYTHONPATH=str(ROOT), **asked)
    assert out.split() == ["telemetry", "False", "sentry", "False"], out
