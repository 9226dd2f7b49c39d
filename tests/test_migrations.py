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
