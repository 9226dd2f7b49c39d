"""Remember which ``Event`` class an event type name stands for.

Rasa walks every ``Event`` subclass for every event it loads from the tracker store
(``Event.resolve_by_type``); the name-to-class lookup is now remembered. Unknown names still
go through Rasa's lookup every time (and raise as before).
"""

from __future__ import annotations

from typing import Any, Dict

from bot.rasa_patches.registry import Patching


def install(patching: Patching) -> None:
    from rasa.shared.core.events import Event

    resolve = Event.resolve_by_type
    known: Dict[str, Any] = {}

    def resolve_by_type_remembered(type_name: str, default: Any = None) -> Any:
        found = known.get(type_name)
        if found is None:
            found = resolve(type_name, default)
            if found is not None and found is not default:
                known[type_name] = found
        return found

    patching.replace(Event, "resolve_by_type", staticmethod(resolve_by_type_remembered))
