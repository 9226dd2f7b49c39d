"""The Rasa speed-ups keep behaviour: answers are still validated, events still resolve."""

from __future__ import annotations

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import Event, SlotSet, UserUttered

from bot import speedups


@pytest.fixture(scope="module", autouse=True)
def applied() -> None:
    original_validate = RemoteAction._validate_action_result
    original_resolve = Event.resolve_by_type
    speedups.cached_action_schema()
    speedups.event_type_cache()
    yield
    RemoteAction._validate_action_result = original_validate
    Event.resolve_by_type = original_resolve


def action() -> RemoteAction:
    return RemoteAction("action_x", None)


def test_valid_action_answers_pass() -> None:
    answer = {"events": [{"event": "slot", "name": "email", "value": None}], "responses": []}
    assert action()._validate_action_result(answer) is True


@pytest.mark.parametrize("answer", [{"events": "nope"}, {"responses": [42]}])
def test_malformed_action_answers_are_still_refused(answer: dict) -> None:
    with pytest.raises(jsonschema.ValidationError, match="Failed to validate Action server"):
        action()._validate_action_result(answer)


def test_event_types_resolve_as_before() -> None:
    assert Event.resolve_by_type("slot") is SlotSet
    assert Event.resolve_by_type("user") is UserUttered
    assert Event.resolve_by_type("slot") is SlotSet  # from the cache
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no_such_event")


def test_apply_names_and_order() -> None:
    assert list(speedups.SPEEDUPS)[0] == "skops-first"  # before TensorFlow is imported
    assert speedups.apply(["skops-first"]) == ["skops-first"]


async def test_sqlite_tracker_store_keeps_its_connections(tmp_path) -> None:
    import rasa.core.tracker_store as tracker_store
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker
    from sqlalchemy.pool import QueuePool

    original = tracker_store.create_engine_kwargs
    speedups.sqlite_pool()
    try:
        store = tracker_store.SQLTrackerStore(
            Domain.empty(), host=f"sqlite:///{tmp_path / 'tracker.db'}"
        )
        assert isinstance(store.engine.pool, QueuePool)
        tracker = DialogueStateTracker.from_events("s1", [UserUttered("hello")])
        await store.save(tracker)
        retrieved = await store.retrieve("s1")
        assert [e.text for e in retrieved.events if isinstance(e, UserUttered)] == ["hello"]
    finally:
        tracker_store.create_engine_kwargs = original
