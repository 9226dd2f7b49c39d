"""Measured fixes for per-message and start-up costs inside Rasa 3.6, applied by ``serve-rasa``.

Each was found with cProfile on the benchmark's conversations (docs/performance.md) and keeps
Rasa's behaviour; none skips a check:

- ``skops_first``: import ``skops.io`` before Rasa pulls in TensorFlow. Imported afterwards it
  scans thousands of loaded modules, 5-8 s of the cold start (the logistic-regression model is
  stored with skops).
- ``cached_action_schema``: Rasa checks the JSON *schema* of action-server answers against the
  meta-schema on every custom-action call (``jsonschema.validate``), more than half of the
  server's CPU in a form. The schema is now compiled once to Python code (fastjsonschema);
  every answer is still validated, and one it refuses goes through Rasa's own check.
- ``sqlite_wal``: the SQL tracker store commits with two fsyncs per message on SQLite while it
  blocks the event loop; WAL with ``synchronous=NORMAL`` keeps durability across crashes of the
  process and costs a fraction.
- ``sqlite_pool``: on SQLite, SQLAlchemy 1.4 opens and closes a file connection for every
  tracker-store session (``NullPool``); closing alone was 7 % of the server's CPU. A small
  connection pool keeps them open (PostgreSQL already gets one from Rasa).
- ``event_type_cache``: Rasa walks every ``Event`` subclass for every event it loads from the
  tracker store; the type-name lookup is now remembered.
- ``tracker_cache``: the SQL tracker store reloaded and re-parsed the whole session and counted
  it again on every message; ``bot.tracker_cache`` keeps the events between messages and checks
  them against the database's newest event id.
- ``long_history``: Rasa walked the whole conversation several times per message (filtering
  events, copying trackers by replay, RulePolicy's states for every action, every event in
  the action payload), so a message cost more the longer the conversation was (11 ms at the
  10th message, 87 ms at the 400th). ``bot.history`` does the same work for the new events
  only.
- ``sequential_graph``: Rasa runs the NLU pipeline and the policies as a dask graph on every
  message and for every predicted action; dask's scheduler cost more than our components. The
  same nodes now run in dependency order in plain Python, with the same inputs and results.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from bot import tf_free


def skops_first() -> None:
    import skops.io  # noqa: F401


_DRAFT_07 = "http://json-schema.org/draft-07/schema#"


@functools.lru_cache(maxsize=1)
def _action_response_validator() -> Callable[[Dict[str, Any]], None]:
    """Rasa's action-answer schema as compiled Python (fastjsonschema), built once.

    The schema uses only type, properties, patternProperties, items, required, const and
    oneOf, which mean the same in draft-07 as in the 2020-12 draft jsonschema applies. Each
    event must match exactly one of 23 ``oneOf`` alternatives, and every alternative fixes
    ``event`` (a required string) to a different constant, so an event matches the ``oneOf``
    exactly when it matches the alternative named by its ``event``. Checking only that one
    is the same test without trying (and failing) the other 22 for every event.
    """
    import fastjsonschema
    from rasa.core.actions.action import RemoteAction

    spec = RemoteAction.action_response_format_spec()
    item = dict(spec["properties"]["events"]["items"])
    alternatives = item.pop("oneOf")
    by_event = {
        alternative["properties"]["event"]["const"]: fastjsonschema.compile(
            {"$schema": _DRAFT_07, "allOf": [item, alternative]}
        )
        for alternative in alternatives
    }
    if len(by_event) != len(alternatives):
        raise RuntimeError("Rasa's event schemas no longer have distinct `event` constants")
    outer = json.loads(json.dumps(spec))
    outer["properties"]["events"]["items"] = {"type": "object"}
    check_outer = fastjsonschema.compile({"$schema": _DRAFT_07, **outer})

    def validate(result: Dict[str, Any]) -> None:
        check_outer(result)
        for event in result.get("events") or ():
            by_event[event["event"]](event)  # KeyError for an unknown event: refused

    return validate


def cached_action_schema() -> None:
    from rasa.core.actions.action import RemoteAction

    original = RemoteAction._validate_action_result

    def validate(self: RemoteAction, result: Dict[str, Any]) -> bool:
        try:
            _action_response_validator()(result)
        except Exception:  # noqa: BLE001 - anything odd goes to Rasa's own check
            return original(self, result)  # Rasa's error handling and message
        return True

    RemoteAction._validate_action_result = validate


#: Rasa modules whose only use of ``copy`` is ``copy.deepcopy`` of values passed to debug logs.
DEBUG_COPY_MODULES = (
    "rasa.core.processor",
    "rasa.core.policies.rule_policy",
    "rasa.core.actions.forms",
)


def _copy_for_debug_log(value: Any, memo: Any = None) -> Any:
    import copy
    import logging

    if logging.getLogger("rasa").isEnabledFor(logging.DEBUG):
        return copy.deepcopy(value, memo)
    return value  # the debug line is dropped anyway


def debug_log_copies() -> None:
    import importlib
    import types

    shim = types.SimpleNamespace(deepcopy=_copy_for_debug_log)
    for name in DEBUG_COPY_MODULES:
        importlib.import_module(name).copy = shim


def action_client() -> None:
    from bot import action_client as client

    client.install()


def sqlite_wal() -> None:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from bot.db.engine import use_wal

    @event.listens_for(Engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        use_wal(dbapi_connection, "synchronous=NORMAL")


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


def tracker_cache() -> None:
    from bot import tracker_cache as cache

    cache.install()


def long_history() -> None:
    from bot import history

    history.install()


def _graph_plan(runner: Any, targets: Tuple[str, ...]) -> List[str]:
    """The nodes ``targets`` need, each after the nodes it needs (computed once per runner)."""
    plans = runner.__dict__.setdefault("_mibg_plans", {})
    plan = plans.get(targets)
    if plan is None:
        nodes = runner._graph_schema.nodes
        plan, seen = [], set()

        def visit(name: str) -> None:
            if name in seen or name not in nodes:
                return
            seen.add(name)
            for needed in nodes[name].needs.values():
                visit(needed)
            plan.append(name)

        for target in targets:
            visit(target)
        plans[targets] = plan
    return plan


def sequential_graph() -> None:
    from rasa.engine.exceptions import GraphRunError
    from rasa.engine.runner.dask import DaskGraphRunner

    def run(
        self: DaskGraphRunner,
        inputs: Optional[Dict[str, Any]] = None,
        targets: Optional[List[str]] = None,
    ) -> Dict[str, Any]:
        run_targets = tuple(targets if targets else self._graph_schema.target_names)
        nodes = self._graph_schema.nodes
        # As in a dask graph: an input is the tuple (name, value), and replaces a node of that
        # name; a string input that names a node is refused, as DaskGraphRunner refuses it.
        results: Dict[str, Any] = {}
        for name, value in (inputs or {}).items():
            if isinstance(value, str) and value in nodes:
                raise GraphRunError(f"Input value '{value}' clashes with a node name.")
            results[name] = (name, value)
        try:
            for name in _graph_plan(self, run_targets):
                if name in results:
                    continue
                needs = nodes[name].needs.values()
                # A name that resolves to nothing is passed as the bare name, as dask does.
                results[name] = self._instantiated_nodes[name](
                    *[results.get(needed, needed) for needed in needs]
                )
        except RuntimeError as e:
            raise GraphRunError("Error running runner.") from e
        return dict(results[target] for target in run_targets)

    DaskGraphRunner.run = run


def local_answers() -> None:
    """Run ``action_answer`` in this process (bot/local_actions.py), unless turned off."""
    from bot import local_actions
    from bot.settings import load

    if load().local_actions:
        local_actions.install()


#: In the order they must be applied (skops before anything imports TensorFlow).
SPEEDUPS: Dict[str, Callable[[], None]] = {
    "skops-first": skops_first,
    "cached-schema": cached_action_schema,
    "sqlite-wal": sqlite_wal,
    "sqlite-pool": sqlite_pool,
    "event-type-cache": event_type_cache,
    "tracker-cache": tracker_cache,
    "long-history": long_history,
    "sequential-graph": sequential_graph,
    "action-client": action_client,
    "local-answers": local_answers,
    "debug-log-copies": debug_log_copies,
}


def prepare(model: Path) -> List[str]:
    """Everything ``serve-rasa`` does to its process before Rasa starts; returns what it did.

    TensorFlow is left out when the model does not need it (``bot.tf_free``), then every
    speed-up above is applied.
    """
    done = []
    if tf_free.wanted(model):
        tf_free.install()
        tf_free.arm_after_model_load()
        done.append("tf-free")
    return done + apply()


def apply(names: List[str] | None = None) -> List[str]:
    """Apply the named speed-ups (default: all) in their safe order; return what was applied."""
    chosen = [name for name in SPEEDUPS if names is None or name in names]
    for name in chosen:
        SPEEDUPS[name]()
    return chosen
