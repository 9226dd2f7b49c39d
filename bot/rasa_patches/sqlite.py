"""The SQL tracker store on SQLite: fewer fsyncs per message, connections kept open.

- ``sqlite-wal``: the tracker store commits with two fsyncs per message on SQLite while it
  blocks the event loop; WAL with ``synchronous=NORMAL`` keeps durability across crashes of the
  process and costs a fraction. The pragmas are set on the connections of the tracker store's
  own engine (a listener on that engine, not on every SQLAlchemy engine of the process).
- ``sqlite-pool``: on SQLite, SQLAlchemy 1.4 opens and closes a file connection for every
  tracker-store session (``NullPool``); closing alone was 7 % of the server's CPU. A small
  connection pool keeps them open (PostgreSQL already gets one from Rasa).
"""

from __future__ import annotations

import functools
from typing import Any, Dict

from bot.db.engine import use_wal
from bot.rasa_patches.registry import Patching


def _pragmas(dbapi_connection: Any, _record: Any) -> None:
    use_wal(dbapi_connection, "synchronous=NORMAL")


def is_sqlite_file(engine: Any) -> bool:
    """Whether ``engine`` is on an SQLite file (WAL means nothing for an in-memory database)."""
    url = engine.url
    return url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")


def install_wal(patching: Patching) -> None:
    from rasa.core.tracker_store import SQLTrackerStore
    from sqlalchemy import event

    init = SQLTrackerStore.__init__

    @functools.wraps(init)
    def init_with_wal(self: SQLTrackerStore, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        if is_sqlite_file(self.engine):
            event.listen(self.engine, "connect", _pragmas)
            self.engine.dispose()  # the connection Rasa opened to create the table had none

    patching.replace(SQLTrackerStore, "__init__", init_with_wal)


def install_pool(patching: Patching) -> None:
    import rasa.core.tracker_store as tracker_store
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import QueuePool

    engine_kwargs = tracker_store.create_engine_kwargs

    def create_engine_kwargs_pooled(url: Any) -> Dict[str, Any]:
        if make_url(str(url)).get_backend_name() != "sqlite":
            return engine_kwargs(url)
        return {"poolclass": QueuePool, "connect_args": {"check_same_thread": False}}

    patching.replace(tracker_store, "create_engine_kwargs", create_engine_kwargs_pooled)
