"""Treatment-request records (SQLAlchemy 1.4 in the 2.0 style) and their Alembic migrations."""
