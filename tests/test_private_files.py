"""Files with personal data in var/ are 0600: the SQLite databases (with -wal and -shm), keys."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.db.engine import get_engine
from bot.settings import ROOT
from bot.supervision import commands
from tests.support.stack import LiveStack


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.rasa_server
def test_the_live_stack_keeps_its_files_private(live_stack: LiveStack, sender_id: str) -> None:
    live_stack.texts(sender_id, "hi")  # Rasa's tracker store has written (WAL files exist)
    made = [
        p
        for p in live_stack.logs.iterdir()
        if p.is_file() and p.suffix != ".log"  # the logs are the test harness's files
    ]
    names = {p.name for p in made}
    assert {"requests.db", "tracker.db", "action-server.token"} <= names, names
    assert {"tracker.db-wal", "tracker.db-shm"} <= names, names
    assert {p.name: oct(mode(p)) for p in made} == {p.name: "0o600" for p in made}


def test_the_cli_creates_the_database_0600(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'requests.db'}"
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "DATABASE_URL": url}
    subprocess.run(commands.migrate(), cwd=ROOT, env=env, check=True)
    assert mode(tmp_path / "requests.db") == 0o600


def test_an_existing_database_and_its_wal_files_become_0600(tmp_path: Path) -> None:
    database = tmp_path / "old.db"
    database.touch(mode=0o644)
    database.chmod(0o644)
    engine = get_engine(f"sqlite:///{database}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
        connection.execute(text("INSERT INTO t VALUES (1)"))
        files = sorted(p.name for p in tmp_path.iterdir())
        assert files == ["old.db", "old.db-shm", "old.db-wal"], files
        assert all(mode(p) == 0o600 for p in tmp_path.iterdir())
    engine.dispose()
