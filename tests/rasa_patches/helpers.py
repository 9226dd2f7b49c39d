"""Apply some Rasa patches for a test and undo them afterwards (bot/rasa_patches)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator, List, Optional

from bot import rasa_patches
from bot.settings import Settings


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
