"""Validate the action server's answers with Rasa's schema compiled once, not per call.

Rasa checks the JSON *schema* of every action-server answer against the meta-schema on every
custom-action call (``jsonschema.validate`` in ``RemoteAction._validate_action_result``): more
than half of the server's CPU in a form. The schema is compiled once, when the patch is applied,
to Python code (fastjsonschema); every answer is still validated, and one it refuses goes
through Rasa's own check (Rasa's error handling and message).

If Rasa's schema is not what the compiled check relies on, applying the patch fails: the
server does not start, rather than falling back quietly on every call.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Dict

from bot.rasa_patches.registry import Patching

_DRAFT_07 = "http://json-schema.org/draft-07/schema#"


class SchemaChanged(RuntimeError):
    """Rasa's action-answer schema is not the one the compiled check was written for."""


def compile_validator(spec: Dict[str, Any]) -> Callable[[Dict[str, Any]], None]:
    """Rasa's action-answer schema ``spec`` as compiled Python (fastjsonschema).

    The schema uses only type, properties, patternProperties, items, required, const and
    oneOf, which mean the same in draft-07 as in the 2020-12 draft jsonschema applies. Each
    event must match exactly one of 23 ``oneOf`` alternatives, and every alternative fixes
    ``event`` (a required string) to a different constant, so an event matches the ``oneOf``
    exactly when it matches the alternative named by its ``event``. Checking only that one
    is the same test without trying (and failing) the other 22 for every event.

    The validator raises ``fastjsonschema.JsonSchemaValueException`` for an answer it refuses,
    ``KeyError`` for an event of no known type and ``TypeError`` for an event that is no object.
    """
    import fastjsonschema

    try:
        item = dict(spec["properties"]["events"]["items"])
        alternatives = item.pop("oneOf")
        constants = [alternative["properties"]["event"]["const"] for alternative in alternatives]
    except (KeyError, TypeError) as missing:
        raise SchemaChanged(
            f"Rasa's action-answer schema has no {missing} where expected"
        ) from missing
    if not constants or len(set(constants)) != len(constants):
        raise SchemaChanged("Rasa's event schemas no longer have distinct `event` constants")
    try:
        by_event = {
            constant: fastjsonschema.compile({"$schema": _DRAFT_07, "allOf": [item, alternative]})
            for constant, alternative in zip(constants, alternatives)
        }
        outer = json.loads(json.dumps(spec))
        outer["properties"]["events"]["items"] = {"type": "object"}
        check_outer = fastjsonschema.compile({"$schema": _DRAFT_07, **outer})
    except fastjsonschema.JsonSchemaDefinitionException as error:
        raise SchemaChanged(f"Rasa's action-answer schema does not compile: {error}") from error

    def validate(result: Dict[str, Any]) -> None:
        check_outer(result)
        for event in result.get("events") or ():
            by_event[event["event"]](event)  # KeyError for an unknown event: refused

    return validate


def install(patching: Patching) -> None:
    import fastjsonschema
    from rasa.core.actions.action import RemoteAction

    check = compile_validator(RemoteAction.action_response_format_spec())  # fails here, once
    refused = (fastjsonschema.JsonSchemaValueException, KeyError, TypeError)
    rasas_check = RemoteAction._validate_action_result

    def validate_with_compiled_schema(self: RemoteAction, result: Dict[str, Any]) -> bool:
        try:
            check(result)
        except refused:
            return rasas_check(self, result)  # Rasa's error handling and message
        return True

    patching.replace(RemoteAction, "_validate_action_result", validate_with_compiled_schema)
