"""Alembic environment: migrate the database named by ``sqlalchemy.url`` or ``DATABASE_URL``."""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context

from bot import settings
from bot.db import staff_models  # noqa: F401  (registers the staff tables on Base.metadata)
from bot.db.engine import get_engine
from bot.db.models import Base

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def database_url() -> str:
    return config.get_main_option("sqlalchemy.url") or settings.load().database_url


def run_migrations_offline() -> None:
    context.configure(url=database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    with get_engine(database_url()).connect() as connection:
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
