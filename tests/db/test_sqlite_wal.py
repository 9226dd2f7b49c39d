"""SQLite in WAL mode, set in one place (``bot.db.engine.use_wal``) for our engines and Rasa's."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.db.engine import get_engine, use_wal


def test_our_engines_use_wal_with_foreign_keys(tmp_path: Path) -> None:
    engine = get_engine(f"sqlite:///{tmp_path / 'requests.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_use_wal_sets_the_extra_pragmas(tmp_path: Path) -> None:
    connection = sqlite3.connect(tmp_path / "tracker.db")
    try:
        use_wal(connection, "synchronous=NORMAL")
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert connection.execute("PRAGMA synchronous").fetchone() == (1,)  # NORMAL
    finally:
        connection.close()


def test_other_databases_are_left_alone() -> None:
    class Other:  # a PostgreSQL connection, say: no cursor is ever asked for
        def cursor(self) -> None:
            raise AssertionError("touched a connection that is not SQLite")

    use_wal(Other(), "synchronous=NORMAL")
