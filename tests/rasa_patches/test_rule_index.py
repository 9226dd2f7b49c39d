"""``rule-index``: the rule keys found for every state, and so every prediction, are Rasa's."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest

from bot import rasa_patches
from bot.rasa_patches import rule_index
from tests.rasa_patches.helpers import (
    long_conversation,
    patched,
    predictions,
    story_events,
    trained_agent,
)


@pytest.fixture(scope="module")
def agent() -> Any:
    return trained_agent()


def test_the_same_keys_for_every_state_of_a_long_conversation(agent: Any) -> None:
    from rasa.core.policies.rule_policy import RulePolicy

    compared: List[int] = []
    with patched("rule-index"):
        indexed = RulePolicy._get_possible_keys
        released = rasa_patches.original(RulePolicy, "_get_possible_keys")

        def both(self: Any, lookup: Dict[str, Any], states: List[Any]) -> Any:
            ours, theirs = indexed(self, lookup, states), released(self, lookup, states)
            assert ours == theirs
            compared.append(len(theirs))
            return ours

        RulePolicy._get_possible_keys = both  # type: ignore[method-assign]
        try:
            predictions(agent, long_conversation(agent.domain, repeats=1), "rule-index")
        finally:
            RulePolicy._get_possible_keys = indexed  # type: ignore[method-assign]
    assert len(compared) > 200
    assert any(compared)  # rules did apply


def test_predictions_on_the_test_stories_are_rasas(agent: Any) -> None:
    stories = story_events(agent.domain)
    rasa = [predictions(agent, events, f"story-{n}") for n, events in enumerate(stories)]
    with patched("rule-index"):
        ours = [predictions(agent, events, f"story-{n}") for n, events in enumerate(stories)]
    assert len(ours) == len(stories) > 20
    assert ours == rasa


def test_most_rules_are_in_a_bucket_of_their_last_action(agent: Any) -> None:
    from rasa.core.policies.rule_policy import RulePolicy

    lookup = _rules_lookup(agent)
    by_action, unnamed = rule_index.build_index(lookup, RulePolicy._rule_key_to_state)
    assert sum(map(len, by_action.values())) + len(unnamed) == len(lookup) > 50
    assert len(unnamed) < len(lookup) / 4 and len(by_action) > 10


def _rules_lookup(agent: Any) -> Dict[str, Any]:
    """The trained RulePolicy's table of rules."""
    from rasa.core.policies.rule_policy import RulePolicy

    for node in agent.processor.graph_runner._instantiated_nodes.values():  # noqa: SLF001
        component = getattr(node, "_component", None)
        if isinstance(component, RulePolicy):
            return component.lookup["rules"]
    raise AssertionError("no RulePolicy in the model")


def _states(rng: Any, length: int) -> List[Dict[str, Any]]:
    """Random rule or conversation states over a few actions, intents and slots."""
    from rasa.shared.core.constants import SHOULD_NOT_BE_SET

    previous = [
        {"action_name": "action_listen"},
        {"action_name": "action_answer"},
        {"action_name": SHOULD_NOT_BE_SET},
        {"action_text": "Hello"},
        {"action_name": "action_listen", "action_text": "Hello"},
        None,
    ]
    states = []
    for _ in range(length):
        state: Dict[str, Any] = {}
        action = rng.choice(previous)
        if action is not None:
            state["prev_action"] = dict(action)
        if rng.random() < 0.7:
            state["user"] = {"intent": rng.choice(["greet", "ask_costs"])}
        if rng.random() < 0.3:
            state["slots"] = {"language": rng.choice([(1.0,), SHOULD_NOT_BE_SET])}
        states.append(state)
    return states


def test_the_same_keys_as_rasa_for_random_rules_and_states(agent: Any) -> None:
    """Rules naming no action, a text-only action, ``should_not_be_set``, starts of talks."""
    import json
    import random

    from rasa.core.policies.rule_policy import RulePolicy

    rng = random.Random(3)
    policy = next(
        node._component  # noqa: SLF001
        for node in agent.processor.graph_runner._instantiated_nodes.values()  # noqa: SLF001
        if isinstance(getattr(node, "_component", None), RulePolicy)
    )
    lookup = {json.dumps(_states(rng, rng.randint(1, 3))): "utter_x" for _ in range(300)}
    released = RulePolicy._get_possible_keys
    found = 0
    with patched("rule-index"):
        for _ in range(400):
            states = _states(rng, rng.randint(1, 4))
            ours = RulePolicy._get_possible_keys(policy, lookup, states)
            assert ours == released(policy, lookup, states), states
            found += len(ours)
    assert found > 50
