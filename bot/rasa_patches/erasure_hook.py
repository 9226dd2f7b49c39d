"""A patient's erasure from the chat leaves no events; closed forms leave minimal transcripts.

Rasa saves the tracker at the end of a turn (``MessageProcessor.save_tracker``), after the
action that erased the conversation has run in the action server, and would write the erased
events back. The save now asks :func:`bot.privacy.tracker_hook.before_save` first, which
deletes instead of saving after an erasure and minimises the transcript when the form closes
(docs/privacy.md). Not a speed-up: turning it off makes a chat erasure incomplete.
"""

from __future__ import annotations

import functools
from typing import Any

from bot.rasa_patches.registry import Patching


def install(patching: Patching) -> None:
    from rasa.core.processor import MessageProcessor

    from bot.privacy import tracker_hook

    save_tracker = MessageProcessor.save_tracker

    @functools.wraps(save_tracker)
    async def save_tracker_unless_erased(self: Any, tracker: Any) -> None:
        if tracker_hook.before_save(self.tracker_store, tracker):
            await save_tracker(self, tracker)

    patching.replace(MessageProcessor, "save_tracker", save_tracker_unless_erased)
