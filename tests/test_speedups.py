"""The Rasa speed-ups keep behaviour: answers are still validated, events still resolve."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import Event, SlotSet, UserUttered

from bot import speedups

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "mibg.tar.gz"


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


def test_unknown_or_incomplete_events_are_still_refused() -> None:
    for answer in (
        {"events": [{"event": "no_such_event"}]},
        {"events": [{"event": "slot", "name": "email"}]},  # slot without a value
        {"events": [{"name": "email", "value": 1}]},  # no event type
        {"events": [{"event": "slot", "name": 3, "value": 1}]},
    ):
        with pytest.raises(jsonschema.ValidationError):
            action()._validate_action_result(answer)


def _real_answers() -> list:
    """Answers built from Rasa's own events, and broken copies of each."""
    from rasa.shared.core.events import (
        ActionExecuted,
        ActiveLoop,
        BotUttered,
        FollowupAction,
        Restarted,
        SessionStarted,
    )

    events = [
        SlotSet("email", "a@b.example"),
        SlotSet("requested_slot", None),
        ActiveLoop("treatment_request_form"),
        ActiveLoop(None),
        BotUttered("hi", {"buttons": [{"title": "Yes", "payload": "/affirm"}]}),
        FollowupAction("action_listen"),
        ActionExecuted("action_listen"),
        UserUttered("hello", {"name": "greet", "confidence": 0.9}),
        Restarted(),
        SessionStarted(),
    ]
    good = [{"events": [e.as_dict()], "responses": [{"text": "x"}]} for e in events]
    broken = []
    for answer in good:
        event = dict(answer["events"][0])
        for key in list(event):
            if key != "event":
                broken.append({"events": [{**event, key: object.__class__}]})
        broken.append({"events": [{**event, "timestamp": "yesterday"}]})
    return good + broken


def test_fast_validation_agrees_with_jsonschema() -> None:
    schema = RemoteAction.action_response_format_spec()
    answers = _real_answers()
    assert len(answers) > 20
    for answer in answers:
        expected = jsonschema.Draft202012Validator(schema).is_valid(answer)
        try:
            speedups._action_response_validator()(answer)
            fast = True
        except Exception:
            fast = False
        assert fast == expected, answer


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


def _holdout_texts(limit: int) -> list:
    import yaml

    data = yaml.safe_load((ROOT / "tests" / "nlu_holdout.yml").read_text(encoding="utf-8"))
    texts = []
    for item in data["nlu"]:
        examples = [line[2:].strip() for line in item["examples"].splitlines() if line.strip()]
        texts += examples[:2]
    return texts[:limit]


@pytest.mark.skipif(not MODEL.exists(), reason="needs the trained model (make train)")
async def test_sequential_graph_gives_the_same_results() -> None:
    from rasa.core.agent import Agent
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.shared.core.events import ActionExecuted, SessionStarted

    agent = Agent.load(str(MODEL))
    texts = _holdout_texts(62)
    assert len(texts) == 62

    async def run_all() -> tuple:
        parsed = [await agent.parse_message(text) for text in texts]
        tracker = agent.processor.tracker_store.init_tracker("s")
        tracker.update(ActionExecuted("action_session_start"))
        tracker.update(SessionStarted())
        tracker.update(ActionExecuted("action_listen"))
        predictions = []
        for result in parsed[:20]:
            tracker.update(UserUttered(result["text"], result["intent"], [], result))
            prediction = agent.processor.predict_next_with_tracker(tracker)
            predictions.append({k: prediction[k] for k in ("scores", "policy", "confidence")})
        return parsed, predictions

    before = await run_all()
    saved = DaskGraphRunner.run
    speedups.sequential_graph()
    try:
        after = await run_all()
    finally:
        DaskGraphRunner.run = saved
    assert after[0] == before[0]  # intents, rankings, entities, confidences
    assert after[1] == before[1]
    assert len({p["intent"]["name"] for p in after[0]}) > 20


def test_debug_log_copies_only_touch_debug_log_arguments() -> None:
    import importlib
    import inspect
    import logging
    import re

    for name in speedups.DEBUG_COPY_MODULES:
        source = inspect.getsource(importlib.import_module(name))
        uses = re.findall(r"\bcopy\.(\w+)\(", source)
        assert uses and set(uses) == {"deepcopy"}, name
        # every deepcopy is an argument of a structlogger.debug(...) call
        for match in re.finditer(r"copy\.deepcopy\(", source):
            before = source[: match.start()]
            call = before[before.rfind("structlogger.") :]
            assert call.startswith("structlogger.debug("), (name, call[:80])
    value = {"a": [1, 2]}
    rasa_logger = logging.getLogger("rasa")
    level = rasa_logger.level
    try:
        rasa_logger.setLevel(logging.INFO)
        assert speedups._copy_for_debug_log(value) is value
        rasa_logger.setLevel(logging.DEBUG)
        copied = speedups._copy_for_debug_log(value)
        assert copied == value and copied is not value
    finally:
        rasa_logger.setLevel(level)
