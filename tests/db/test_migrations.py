"""Alembic migrations create exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from bot.db import migrate
from bot.db.engine import get_engine
from bot.db.models import Base


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'm.db'}"
    return request.getfixturevalue("postgres_url")


def test_upgrade_matches_models_and_downgrade_removes_tables(url: str) -> None:
    migrate.upgrade(url)
    engine = get_engine(url)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []
    assert "treatment_requests" in inspect(engine).get_table_names()
    migrate.downgrade(url, "base")
    assert "treatment_requests" not in inspect(engine).get_table_names()
    engine.dispose()


def test_requests_closed_before_0003_start_their_retention_at_the_migration(url: str) -> None:
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import text

    migrate.upgrade(url, "0002")
    engine = get_engine(url)
    with engine.begin() as connection:
        for reference, status in (("MIBG-AAAAAA", "closed"), ("MIBG-BBBBBB", "new")):
            connection.execute(
                text(
                    "INSERT INTO treatment_requests (reference, created_at, sender_id,"
                    " consent_at, notice_version, status) VALUES (:r, :t, :r, :t, 'v', :s)"
                ),
                {"r": reference, "t": datetime(2026, 1, 1, tzinfo=timezone.utc), "s": status},
            )
    before = datetime.now(timezone.utc) - timedelta(seconds=5)
    migrate.upgrade(url)
    with engine.connect() as connection:
        found = connection.execute(text("SELECT reference, closed_at FROM treatment_requests"))
        rows = {row[0]: row[1] for row in found}
    assert rows["MIBG-BBBBBB"] is None
    closed = rows["MIBG-AAAAAA"]  # SQLite: a string in UTC without the offset
    closed = closed if isinstance(closed, datetime) else datetime.fromisoformat(closed)
    assert (closed if closed.tzinfo else closed.replace(tzinfo=timezone.utc)) >= before
    engine.dispose()
