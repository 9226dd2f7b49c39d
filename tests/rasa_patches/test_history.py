"""``long-history``: the same predictions, copies and applied events as Rasa, for less work.

Every prediction of the trained model on the test stories (tests/test_stories.yml), and on a
long conversation made of all of them one after the other (forms, loops, rewinds included),
is compared with the one Rasa's own code makes; the work per prediction is counted.
"""

from __future__ import annotations

import asyncio
import copy as copy_module
from typing import Iterator, List

import pytest
from rasa.shared.core.events import ActionExecuted, Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker

from bot import rasa_patches
from bot.rasa_patches import history
from tests.rasa_patches.helpers import patched
from tests.support.stack import MODEL, ROOT


@pytest.fixture(scope="module")
def agent():
    from rasa.core.agent import load_agent

    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train`")
    assert not rasa_patches.registry.is_applied("long-history")
    loaded = asyncio.run(load_agent(str(MODEL)))
    yield loaded


@pytest.fixture()
def incremental() -> Iterator[None]:
    with patched("long-history"):
        yield


def story_events(domain) -> List[List[Event]]:
    """The events of each test story, as ``rasa test`` plays them."""
    from rasa.shared.core.generator import TrainingDataGenerator
    from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
    from rasa.shared.core.training_data.structures import StoryGraph

    steps = YAMLStoryReader(domain).read_from_file(str(ROOT / "tests" / "test_stories.yml"))
    generator = TrainingDataGenerator(
        StoryGraph(steps), domain, augmentation_factor=0, use_story_concatenation=False
    )
    return [list(t.events) for t in generator.generate_story_trackers()]


def long_conversation(domain, repeats: int = 5) -> List[Event]:
    """All the test stories one after the other, ``repeats`` times (fresh event objects)."""
    events: List[Event] = []
    for _ in range(repeats):
        for story in story_events(domain):
            events += [copy_module.deepcopy(e) for e in story if not isinstance(e, SessionStarted)]
    return events


def prediction(agent, tracker: DialogueStateTracker) -> tuple:
    found = agent.processor._predict_next_with_tracker(tracker)
    return (
        found.policy_name,
        list(found.probabilities),
        [{k: v for k, v in e.as_dict().items() if k != "timestamp"} for e in found.events],
        found.hide_rule_turn,
        found.is_end_to_end_prediction,
        found.is_no_user_prediction,
    )


def predictions(agent, events: List[Event], sender: str) -> list:
    """The prediction before every action, growing one tracker as the processor does."""
    tracker = DialogueStateTracker(sender, agent.domain.slots)
    found = []
    for event in events:
        if isinstance(event, ActionExecuted):
            found.append(prediction(agent, tracker))
            tracker = tracker.copy()  # as the processor and the tracker cache do
        tracker.update(event)
    return found


def test_predictions_on_the_test_stories_are_rasas(agent) -> None:
    stories = story_events(agent.domain)
    rasa = [predictions(agent, events, f"story-{n}") for n, events in enumerate(stories)]
    with patched("long-history"):
        ours = [predictions(agent, events, f"story-{n}") for n, events in enumerate(stories)]
    assert len(ours) == len(stories) > 20
    assert ours == rasa, _first_difference(ours, rasa)


def test_predictions_in_a_long_conversation_are_rasas(agent) -> None:
    events = long_conversation(agent.domain)
    assert len(events) > 1000
    rasa = predictions(agent, events, "long")
    with patched("long-history"):
        ours = predictions(agent, events, "long")
    assert ours == rasa, _first_difference(ours, rasa)


def test_applied_events_and_copies_are_rasas(agent, incremental) -> None:
    events = long_conversation(agent.domain, repeats=1)
    tracker = DialogueStateTracker("copies", agent.domain.slots)
    rasa_applied = rasa_patches.original(DialogueStateTracker, "applied_events")
    rasa_copy = rasa_patches.original(DialogueStateTracker, "copy")
    assert rasa_copy is not DialogueStateTracker.copy  # Rasa's own, not the patched one
    for n, event in enumerate(events):
        tracker.update(event)
        if n % 7:
            continue
        assert tracker.applied_events() == rasa_applied(tracker)
        ours, theirs = tracker.copy(), rasa_copy(tracker)
        assert list(ours.events) == list(theirs.events)
        for name in ("_paused", "followup_action", "latest_action", "active_loop"):
            assert getattr(ours, name) == getattr(theirs, name), name
        assert ours.latest_message == theirs.latest_message
        assert ours.latest_bot_utterance == theirs.latest_bot_utterance
        assert ours.current_slot_values() == theirs.current_slot_values()
        assert ours.current_state() == theirs.current_state()
        tracker = ours


def test_the_work_per_prediction_does_not_grow_with_the_conversation(agent, incremental) -> None:
    """States built and events replayed per prediction: the same at turn 20 and turn 400.

    Before ``long-history`` both grew with the conversation (a state for every action so far).
    """
    from rasa.shared.core.domain import Domain

    counts = {"states": 0, "updates": 0}
    get_active_state, update = Domain.get_active_state, DialogueStateTracker.update

    def counting_state(self, *args, **kwargs):
        counts["states"] += 1
        return get_active_state(self, *args, **kwargs)

    def counting_update(self, *args, **kwargs):
        counts["updates"] += 1
        return update(self, *args, **kwargs)

    question = [e for e in story_events(agent.domain)[4]]  # ask_side_effects: listen, ask, answer
    tracker = DialogueStateTracker("growing", agent.domain.slots)
    work = {}
    Domain.get_active_state, DialogueStateTracker.update = counting_state, counting_update
    try:
        for turn in range(400):
            for event in question[1:]:
                if isinstance(event, ActionExecuted):
                    if turn in (20, 399):
                        counts.update(states=0, updates=0)
                    prediction(agent, tracker)
                    tracker = tracker.copy()
                    if turn in (20, 399):
                        work.setdefault(turn, []).append(dict(counts))
                tracker.update(copy_module.deepcopy(event))
    finally:
        Domain.get_active_state, DialogueStateTracker.update = get_active_state, update
    assert len(tracker.events) > 1000
    assert work[399] == work[20], work


def _first_difference(ours: list, rasa: list) -> str:
    for n, (a, b) in enumerate(zip(ours, rasa)):
        if a != b:
            for m, (x, y) in enumerate(zip(a, b)):
                if x != y:
                    return f"story {n} prediction {m}: ours {x[0]} {x[3:]} rasa {y[0]} {y[3:]}"
    return "lengths differ"


def test_an_erased_conversation_is_forgotten(agent, incremental) -> None:
    """The erasure drops the conversation from the tracker cache; its events go from here too."""
    from bot.rasa_patches.tracker_cache import SessionCache

    tracker = DialogueStateTracker("erased", agent.domain.slots)
    for event in story_events(agent.domain)[0]:
        tracker.update(event)
    prediction(agent, tracker)
    assert "erased" in history._applied and "erased" in history._states
    SessionCache(10).drop("erased")
    assert "erased" not in history._applied and "erased" not in history._states
