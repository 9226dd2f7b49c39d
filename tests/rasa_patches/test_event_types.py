"""Event type names resolve to the same classes with ``event-type-cache``."""

from __future__ import annotations

import pytest
from rasa.shared.core.events import Event, SlotSet, UserUttered

from tests.rasa_patches.helpers import patched


def test_event_types_resolve_as_before() -> None:
    with patched("event-type-cache"):
        assert Event.resolve_by_type("slot") is SlotSet
        assert Event.resolve_by_type("user") is UserUttered
        assert Event.resolve_by_type("slot") is SlotSet  # from the cache
        with pytest.raises(ValueError, match="Unknown event name"):
            Event.resolve_by_type("no_such_event")
    assert isinstance(Event.__dict__["resolve_by_type"], staticmethod)  # Rasa's, as it was
