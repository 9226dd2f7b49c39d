"""Measured fixes for per-message and start-up costs inside Rasa 3.6, applied by ``serve-rasa``.

Each was found with cProfile on the benchmark's conversations (docs/performance.md) and keeps
Rasa's behaviour; none skips a check:

- ``skops_first``: import ``skops.io`` before Rasa pulls in TensorFlow. Imported afterwards it
  scans thousands of loaded modules, 5-8 s of the cold start (the logistic-regression model is
  stored with skops).
- ``cached_action_schema``: Rasa checks the JSON *schema* of action-server answers against the
  meta-schema on every custom-action call (``jsonschema.validate``), more than half of the
  server's CPU in a form. The validator is now built once; every answer is still validated.
- ``sqlite_wal``: the SQL tracker store commits with two fsyncs per message on SQLite while it
  blocks the event loop; WAL with ``synchronous=NORMAL`` keeps durability across crashes of the
  process and costs a fraction.
- ``sqlite_pool``: on SQLite, SQLAlchemy 1.4 opens and closes a file connection for every
  tracker-store session (``NullPool``); closing alone was 7 % of the server's CPU. A small
  connection pool keeps them open (PostgreSQL already gets one from Rasa).
- ``event_type_cache``: Rasa walks every ``Event`` subclass for every event it loads from the
  tracker store; the type-name lookup is now remembered.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Dict, List


def skops_first() -> None:
    import skops.io  # noqa: F401


@functools.lru_cache(maxsize=1)
def _action_response_validator() -> Any:
    import jsonschema
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)  # once, instead of once per call
    return validator_class(schema)


def cached_action_schema() -> None:
    import jsonschema
    from rasa.core.actions.action import RemoteAction

    original = RemoteAction._validate_action_result

    def validate(self: RemoteAction, result: Dict[str, Any]) -> bool:
        try:
            _action_response_validator().validate(result)
        except jsonschema.ValidationError:
            return original(self, result)  # Rasa's own error handling and message
        return True

    RemoteAction._validate_action_result = validate


def sqlite_wal() -> None:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    @event.listens_for(Engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        if type(dbapi_connection).__module__.startswith("sqlite3"):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()


def sqlite_pool() -> None:
    import rasa.core.tracker_store as tracker_store
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import QueuePool

    original = tracker_store.create_engine_kwargs

    def create_engine_kwargs(url: Any) -> Dict[str, Any]:
        if make_url(str(url)).get_backend_name() != "sqlite":
            return original(url)
        return {"poolclass": QueuePool, "connect_args": {"check_same_thread": False}}

    tracker_store.create_engine_kwargs = create_engine_kwargs


def event_type_cache() -> None:
    from rasa.shared.core.events import Event

    original = Event.resolve_by_type
    known: Dict[str, Any] = {}

    def resolve_by_type(type_name: str, default: Any = None) -> Any:
        found = known.get(type_name)
        if found is None:
            found = original(type_name, default)
            if found is not None and found is not default:
                known[type_name] = found
        return found

    Event.resolve_by_type = staticmethod(resolve_by_type)


#: In the order they must be applied (skops before anything imports TensorFlow).
SPEEDUPS: Dict[str, Callable[[], None]] = {
    "skops-first": skops_first,
    "cached-schema": cached_action_schema,
    "sqlite-wal": sqlite_wal,
    "sqlite-pool": sqlite_pool,
    "event-type-cache": event_type_cache,
}


def apply(names: List[str] | None = None) -> List[str]:
    """Apply the named speed-ups (default: all) in their safe order; return what was applied."""
    chosen = [name for name in SPEEDUPS if names is None or name in names]
    for name in chosen:
        SPEEDUPS[name]()
    return chosen
