"""Action-server answers are still validated with the compiled schema (``cached-schema``), and
a schema the compiled check does not fit stops the start, not every call."""

from __future__ import annotations

from typing import Iterator

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import SlotSet, UserUttered

from bot import rasa_patches
from bot.rasa_patches import action_schema
from bot.settings import Settings
from tests.rasa_patches.helpers import patched


@pytest.fixture(scope="module", autouse=True)
def applied() -> Iterator[None]:
    with patched("cached-schema"):
        yield


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
        {"events": ["slot"]},  # not an object
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
    check = action_schema.compile_validator(schema)
    answers = _real_answers()
    assert len(answers) > 20
    for answer in answers:
        expected = jsonschema.Draft202012Validator(schema).is_valid(answer)
        try:
            check(answer)
            fast = True
        except Exception:
            fast = False
        assert fast == expected, answer


def _spec_with_two_slot_events() -> dict:
    spec = RemoteAction.action_response_format_spec()
    alternatives = spec["properties"]["events"]["items"]["oneOf"]
    twin = dict(alternatives[1])
    twin["properties"] = {**twin["properties"], "event": alternatives[0]["properties"]["event"]}
    return {
        **spec,
        "properties": {
            **spec["properties"],
            "events": {
                "type": "array",
                "items": {"type": "object", "oneOf": [*alternatives, twin]},
            },
        },
    }


@pytest.mark.parametrize(
    "spec",
    [
        _spec_with_two_slot_events,  # two alternatives for one event type
        lambda: {"type": "object", "properties": {"events": {"type": "array"}}},  # no oneOf
    ],
)
def test_a_changed_schema_fails_when_the_patch_is_applied(monkeypatch, spec) -> None:
    changed = spec()
    rasa_patches.undo("cached-schema")
    try:
        monkeypatch.setattr(RemoteAction, "action_response_format_spec", lambda: changed)
        before = RemoteAction.__dict__["_validate_action_result"]
        with pytest.raises(rasa_patches.PatchError, match="RASA_PATCHES_DISABLED=cached-schema"):
            rasa_patches.apply(Settings(), only=["cached-schema"])
        assert "cached-schema" not in rasa_patches.applied()
        assert RemoteAction.__dict__["_validate_action_result"] is before  # nothing left behind
    finally:
        monkeypatch.undo()
        rasa_patches.apply(Settings(), only=["cached-schema"])
