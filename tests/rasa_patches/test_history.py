"""``long-history``: the same predictions, copies and applied events as Rasa, for less work.

Every prediction of the trained model on the test stories (tests/test_stories.yml), and on a
long conversation made of all of them one after the other (forms, loops, rewinds included),
is compared with the one Rasa's own code makes; the work per prediction is counted.
"""

from __future__ import annotations

import copy as copy_module
from typing import Iterator

import pytest
from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.trackers import DialogueStateTracker

from bot import rasa_patches
from bot.rasa_patches import history
from tests.rasa_patches.helpers import (
    long_conversation,
    patched,
    prediction,
    predictions,
    story_events,
    trained_agent,
)


@pytest.fixture(scope="module")
def agent():
    assert not rasa_patches.registry.is_applied("long-history")
    yield trained_agent()


@pytest.fixture()
def incremental() -> Iterator[None]:
    with patched("long-history"):
        yield


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


def test_slot_copies_are_copy_copys(agent) -> None:
    """``shallow_copy`` copies each of the domain's slots as ``copy.copy`` does, and leaves
    classes with their own copy protocol or ``__slots__`` to ``copy.copy``."""
    for slot in agent.domain.slots:
        ours, theirs = history.shallow_copy(slot), copy_module.copy(slot)
        assert ours is not slot and type(ours) is type(theirs)
        assert vars(ours) == vars(theirs) == vars(slot)
        assert vars(ours) is not vars(slot)

    class Slotted:
        __slots__ = ("value",)

    class OwnCopy:
        def __copy__(self):
            return "own copy"

    slotted = Slotted()
    slotted.value = 3
    assert history.shallow_copy(slotted).value == 3
    assert history.shallow_copy(OwnCopy()) == "own copy"
    assert Slotted not in history._PLAIN_CLASSES and OwnCopy not in history._PLAIN_CLASSES
