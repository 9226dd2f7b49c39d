"""Apply some Rasa patches for a test and undo them afterwards (bot/rasa_patches)."""

from __future__ import annotations

import asyncio
import copy as copy_module
from contextlib import contextmanager
from typing import Any, Iterator, List, Optional

import pytest

from bot import rasa_patches
from bot.settings import Settings
from tests.support.stack import MODEL, ROOT


@contextmanager
def patched(*names: str, settings: Optional[Settings] = None, **where: Any) -> Iterator[List[str]]:
    """The patches ``names`` applied inside the block (all of them: each one must apply), then
    undone, newest first; ``where``: ``model=`` or ``training_config=`` as for ``apply``."""
    done = rasa_patches.apply(settings or Settings(), only=names, **where)
    try:
        assert sorted(done) == sorted(names), f"applied {done}, not {list(names)}"
        yield done
    finally:
        for name in reversed(done):
            rasa_patches.undo(name)


def trained_agent() -> Any:
    """The trained model's agent, as ``rasa test`` loads it (the test fails without one)."""
    from rasa.core.agent import load_agent

    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train`")
    return asyncio.run(load_agent(str(MODEL)))


def story_events(domain: Any) -> List[List[Any]]:
    """The events of each test story, as ``rasa test`` plays them."""
    from rasa.shared.core.generator import TrainingDataGenerator
    from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
    from rasa.shared.core.training_data.structures import StoryGraph

    steps = YAMLStoryReader(domain).read_from_file(str(ROOT / "tests" / "test_stories.yml"))
    generator = TrainingDataGenerator(
        StoryGraph(steps), domain, augmentation_factor=0, use_story_concatenation=False
    )
    return [list(t.events) for t in generator.generate_story_trackers()]


def long_conversation(domain: Any, repeats: int = 5) -> List[Any]:
    """All the test stories one after the other, ``repeats`` times (fresh event objects)."""
    from rasa.shared.core.events import SessionStarted

    events: List[Any] = []
    for _ in range(repeats):
        for story in story_events(domain):
            events += [copy_module.deepcopy(e) for e in story if not isinstance(e, SessionStarted)]
    return events


def prediction(agent: Any, tracker: Any) -> tuple:
    found = agent.processor._predict_next_with_tracker(tracker)
    return (
        found.policy_name,
        list(found.probabilities),
        [{k: v for k, v in e.as_dict().items() if k != "timestamp"} for e in found.events],
        found.hide_rule_turn,
        found.is_end_to_end_prediction,
        found.is_no_user_prediction,
    )


def predictions(agent: Any, events: List[Any], sender: str) -> list:
    """The prediction before every action, growing one tracker as the processor does."""
    from rasa.shared.core.events import ActionExecuted
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker = DialogueStateTracker(sender, agent.domain.slots)
    found = []
    for event in events:
        if isinstance(event, ActionExecuted):
            found.append(prediction(agent, tracker))
            tracker = tracker.copy()  # as the processor and the tracker cache do
        tracker.update(event)
    return found
