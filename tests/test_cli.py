"""The staff command line: list, export (formula-safe CSV) and erase."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Dict

import pytest
from sqlalchemy import create_engine, text

from bot.db import migrate
from bot.db.engine import get_engine, session_factory
from bot.db.requests import RequestDetails, save_request
from bot.settings import ROOT
from bot.supervision import commands


def details(sender: str, name: str, message: str = "") -> RequestDetails:
    return RequestDetails(
        sender_id=sender,
        channel="socketio",
        full_name=name,
        email=f"{sender}@example.com",
        phone="+48 601 234 567",
        country="Poland",
        diagnosis="Carcinoid",
        destination="Germany",
        message=message or None,
        consent_at=datetime.now(timezone.utc),
        notice_version="v-test",
    )


@pytest.fixture()
def env(tmp_path: Path) -> Dict[str, str]:
    db_url = f"sqlite:///{tmp_path / 'requests.db'}"
    tracker_url = f"sqlite:///{tmp_path / 'tracker.db'}"
    migrate.upgrade(db_url)
    sessions = session_factory(db_url)
    save_request(sessions, details("alice", "Alice Example"))
    save_request(sessions, details("mallory", '=HYPERLINK("http://x")', "+SUM(A1)"))
    engine = create_engine(tracker_url, future=True)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT)"))
        connection.execute(
            text("INSERT INTO events (sender_id) VALUES ('alice'), ('alice'), ('bob')")
        )
    engine.dispose()
    get_engine.cache_clear()
    return dict(
        os.environ, DATABASE_URL=db_url, TRACKER_DATABASE_URL=tracker_url, PYTHONPATH=str(ROOT)
    )


def cli(env: Dict[str, str], *args: str) -> str:
    done = subprocess.run(
        commands.bot(*args),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def test_list_json_and_text(env: Dict[str, str]) -> None:
    records = json.loads(cli(env, "requests", "list", "--json"))
    assert {r["sender_id"] for r in records} == {"alice", "mallory"}
    assert all(r["reference"].startswith("MIBG-") and r["status"] == "new" for r in records)
    assert "Alice Example" in cli(env, "requests", "list")


def test_export_neutralises_spreadsheet_formulas(env: Dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "requests.csv"
    cli(env, "requests", "export", "--csv", str(out))
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == 2
    mallory = next(r for r in rows if r["sender_id"] == "mallory")
    assert mallory["full_name"] == '\'=HYPERLINK("http://x")'
    assert mallory["message"] == "'+SUM(A1)"
    assert mallory["phone"] == "'+48 601 234 567"
    alice = next(r for r in rows if r["sender_id"] == "alice")
    assert alice["full_name"] == "Alice Example"


#: Cell starts that spreadsheets read as (or fold into) a formula, besides = + - @.
SNEAKY_FORMULAS = [
    '\u200b=HYPERLINK("http://x")',
    "\ufeff=1+1",
    "\uff1dSUM(A1)",
    "\uff0bSUM(A1)",
    "\uff0d1+1",
    "\uff20SUM(A1)",
    "\t=1+1",
    "\r=1+1",
    " =1+1",
]


def test_export_neutralises_invisible_and_full_width_formula_starts(
    env: Dict[str, str], tmp_path: Path
) -> None:
    sessions = session_factory(env["DATABASE_URL"])
    for number, name in enumerate(SNEAKY_FORMULAS):
        save_request(sessions, details(f"sneaky-{number}", name, message=name))
    get_engine.cache_clear()
    out = tmp_path / "requests.csv"
    cli(env, "requests", "export", "--csv", str(out))
    rows = {r["sender_id"]: r for r in csv.DictReader(out.open(encoding="utf-8", newline=""))}
    for number, name in enumerate(SNEAKY_FORMULAS):
        row = rows[f"sneaky-{number}"]
        assert row["full_name"] == "'" + name, repr(name)
        assert row["message"] == "'" + name, repr(name)


def test_erase_removes_the_request_and_the_conversation(env: Dict[str, str]) -> None:
    assert "erased 1 request(s) and 2 conversation event(s)" in cli(env, "erase", "alice")
    assert {r["sender_id"] for r in json.loads(cli(env, "requests", "list", "--json"))} == {
        "mallory"
    }
    engine = create_engine(env["TRACKER_DATABASE_URL"], future=True)
    with engine.connect() as connection:
        left = connection.execute(text("SELECT sender_id FROM events")).scalars().all()
    assert left == ["bob"]


def test_the_staff_commands_do_not_import_the_web_app(env: Dict[str, str]) -> None:
    """The CLI and the console share services in ``bot/`` (accounts, erasure, requests)."""
    code = (
        "import sys; from bot import cli;"
        "cli.main(['staff', 'add', 'coord@example.org']);"
        "cli.main(['requests', 'list']); cli.main(['erase', 'nobody']);"
        "print([m for m in sys.modules if m.startswith('bot.web')])"
    )
    env = {**env, "STAFF_PASSWORD": "a long enough secret"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == "[]"
