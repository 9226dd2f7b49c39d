"""Make a patient's erasure from the chat final, in the Rasa server process.

The chat's erasure (``action_privacy_confirm``) runs in the action server while Rasa still holds
the conversation in memory: it deletes every stored event (``erase_person``), but Rasa writes
the tracker at the end of the turn (``MessageProcessor.save_tracker``, after the action has
returned). The SQL store then finds nothing stored for the sender and would write the whole
in-memory conversation back, the erased events included.

So the action sets the slot ``ERASED_SLOT``, and :func:`before_save` (called by the patch
``erasure-hook``, bot/rasa_patches/erasure_hook.py, in ``MessageProcessor.save_tracker``) makes
the save of a tracker with that slot delete the sender's rows instead of writing any (with the
store's own engine, in the same place Rasa would have written them), and drop the sender from
the tracker cache (bot/rasa_patches/tracker_cache.py). Nothing of the turn is stored; the
patient's next message starts a new conversation. The reply of the turn is still sent: channels
send it after the save.

The same hook makes transcripts minimal: a turn that stores a request or cancels the form has
the form's personal answers replaced by placeholders first (``bot.privacy.transcripts``), in
the turn's events and in the rows already stored.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.privacy import transcripts
from bot.privacy.erasure import delete_events

logger = logging.getLogger(__name__)

#: Set (to the erasure's UTC time) by ``action_privacy_confirm`` once ``erase_person`` has run.
ERASED_SLOT = "privacy_erased_at"


def _innermost(store: Any) -> Any:
    """The tracker store behind Rasa's wrappers (``AwaitableTrackerStore``, ``FailSafe...``)."""
    for _ in range(5):
        inner = getattr(store, "_tracker_store", None) or getattr(store, "tracker_store", None)
        if inner is None or inner is store:
            return store
        store = inner
    return store


def forget_stored(store: Any, sender_id: str) -> int:
    """Delete what ``store`` holds for ``sender_id``; returns the rows deleted (SQL)."""
    store = _innermost(store)
    engine = getattr(store, "engine", None)
    if engine is not None:  # SQLTrackerStore
        cache = store.__dict__.get("_mibg_session_cache")
        if cache is not None:
            cache.drop(sender_id)
        with engine.begin() as connection:
            return delete_events(connection, sender_id)
    memory = getattr(store, "store", None)
    if isinstance(memory, dict):  # InMemoryTrackerStore
        memory.pop(sender_id, None)
        return 0
    delete = getattr(store, "delete", None)  # other stores with a delete method (e.g. Redis)
    if callable(delete):
        delete(sender_id)
    return 0


def before_save(store: Any, tracker: Any) -> bool:
    """What happens to a turn before Rasa saves it to ``store``; False: save nothing."""
    if tracker.get_slot(ERASED_SLOT):
        forget_stored(store, tracker.sender_id)
        logger.info("conversation erased at the patient's request")
        return False
    if transcripts.closes_form(tracker.events):  # stored or cancelled: no second copy
        try:
            transcripts.minimise(store, tracker)
        except Exception as error:  # noqa: BLE001 - the turn must still be saved
            logger.warning("transcript not minimised: %s", type(error).__name__)
    return True
