"""Remember each conversation's events between messages instead of reloading them every time.

Rasa 3.6's SQL tracker store does all of this for every message: it loads every event of the
conversation's session, parses its JSON and rebuilds the ``Event`` objects (``retrieve``), and
before saving it runs the same session query again only to count what is stored already
(``_additional_events``). Together that was about a third of the server's time per message in
the benchmark's profile, and it grows with the length of the conversation.

:func:`install` adds a per-process cache of the events of the current session, keyed by
conversation id, to ``SQLTrackerStore``. Several workers or servers share one database, and
any of them (or an erasure, the retention job) may have changed a conversation since this
process cached it, so the cache is only believed while the stored rows are exactly the ones
it was built from:

- Each entry carries the conversation's :class:`Stamp`: its newest event id, its number of
  rows and its newest event timestamp, read in one indexed aggregate query. ``retrieve``
  reads the stamp first; if it equals the entry's, the tracker is rebuilt from the cached
  ``Event`` objects (Rasa itself shares event objects between tracker copies); otherwise it
  loads from the database as before and caches what it loaded under the stamp read *before*
  the load (a write in between makes the next stamp differ: reloaded, never stale).
  The newest id alone was not enough: SQLite hands out ``max(id) + 1`` again once the newest
  rows are deleted, so a conversation erased on one server and begun again on another could
  end with the same newest id, and the first server served the erased events. The count
  and the timestamp of the new rows differ.
- ``save`` inserts the events after the cached ones in one statement, so the counting query is
  skipped when the tracker was built from the cache (checked by object identity), but only
  after checking that the stamp is still the entry's: if another process wrote in the meantime
  (a lock that expired, a writer outside Rasa's lock), Rasa's own save (which counts what is
  stored) runs instead. After the insert the stamp must have grown by exactly the rows written,
  or the entry is dropped. The rows are the ones Rasa writes, in the same order; the database
  stays the source of truth.
- A new session (``SessionStarted`` among the saved events) drops the entry, so session cuts
  follow Rasa's own query. At most ``TRACKER_CACHE_SIZE`` conversations (default 2,000) are
  kept per process, least recently used out first; ``0`` turns the cache off.
- What it cannot see: a row rewritten in place by another process without any row being added
  (``bot.privacy.transcripts`` rewrites rows only in a save that also adds the turn's rows).
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, List, Optional, Tuple

from bot import settings
from bot.db import tracker_events
from bot.rasa_patches.registry import Patching

logger = logging.getLogger(__name__)


#: Called with the sender id whenever an entry is dropped (an erasure, a new session), so other
#: per-conversation caches (bot/rasa_patches/history.py) forget that conversation's events too.
ON_DROP: List[Callable[[str], None]] = []


@dataclass(frozen=True)
class Stamp:
    """What the database holds for one conversation, in a form that is cheap to compare."""

    last_id: int
    count: int
    last_timestamp: Optional[float]


@dataclass(frozen=True)
class CachedSession:
    """The stored events of a conversation's current session, as of ``stamp``."""

    stamp: Stamp
    events: Tuple[Any, ...]
    #: A copy of the tracker that was saved with these events (None: rebuild from them).
    tracker: Any = None


class SessionCache:
    """Least-recently-used map: conversation id -> :class:`CachedSession`."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[str, CachedSession] = OrderedDict()

    def get(self, sender_id: str) -> Optional[CachedSession]:
        entry = self._entries.get(sender_id)
        if entry is not None:
            self._entries.move_to_end(sender_id)
        return entry

    def put(self, sender_id: str, entry: CachedSession) -> None:
        if self.size <= 0:
            return
        self._entries[sender_id] = entry
        self._entries.move_to_end(sender_id)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def drop(self, sender_id: str) -> None:
        self._entries.pop(sender_id, None)
        for forget in ON_DROP:
            forget(sender_id)

    def __len__(self) -> int:
        return len(self._entries)


def _cache(store: Any) -> SessionCache:
    cache = store.__dict__.get("_mibg_session_cache")
    if cache is None:
        cache = SessionCache(settings.load().tracker_cache_size)
        store.__dict__["_mibg_session_cache"] = cache
    return cache


def _statements(store: Any) -> Tuple[Any, Any]:
    """The stamp query and the insert, built once per store (SQLAlchemy caches them)."""
    found = store.__dict__.get("_mibg_statements")
    if found is None:
        import sqlalchemy as sa

        table = store.SQLEvent.__table__
        stamp = sa.select(
            sa.func.max(table.c.id), sa.func.count(), sa.func.max(table.c.timestamp)
        ).where(table.c.sender_id == sa.bindparam("sender_id"))
        found = (stamp, table.insert())
        store.__dict__["_mibg_statements"] = found
    return found


def _stamp(store: Any, connection: Any, sender_id: str) -> Optional[Stamp]:
    """The conversation's stamp; ``None`` when nothing is stored for it."""
    last_id, count, last_timestamp = connection.execute(
        _statements(store)[0], {"sender_id": sender_id}
    ).one()
    return None if last_id is None else Stamp(last_id, count, last_timestamp)


def _shares_cached_events(tracker: Any, entry: CachedSession) -> bool:
    """Whether ``tracker`` starts with exactly the cached event objects."""
    count = len(entry.events)
    if count == 0 or len(tracker.events) < count:
        return False
    events = tracker.events
    return events[0] is entry.events[0] and events[count - 1] is entry.events[-1]


def install(patching: Patching) -> None:
    """Give ``rasa.core.tracker_store.SQLTrackerStore`` the session cache."""
    from rasa.core import tracker_store
    from rasa.shared.core.events import SessionStarted, deserialise_events
    from rasa.shared.core.trackers import DialogueStateTracker

    store_class = tracker_store.SQLTrackerStore
    original_retrieve = store_class._retrieve
    original_save = store_class.save

    async def retrieve_cached(
        self: Any, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> Optional[DialogueStateTracker]:
        cache = _cache(self)
        if fetch_events_from_all_sessions or cache.size <= 0 or not self.domain:
            return await original_retrieve(self, sender_id, fetch_events_from_all_sessions)
        with self.engine.connect() as connection:
            stamp = _stamp(self, connection, sender_id)
        entry = cache.get(sender_id)
        if stamp is None:
            cache.drop(sender_id)
            return None
        if entry is None or entry.stamp != stamp:
            with self.session_scope() as session:
                rows = self._event_query(session, sender_id, False).all()
            if not rows:
                cache.drop(sender_id)
                return None
            events = deserialise_events([json.loads(row.data) for row in rows])
            # The stamp read before the rows: if a write came in between, it differs next time.
            entry = CachedSession(stamp, tuple(events))
            cache.put(sender_id, entry)
        if entry.tracker is not None:  # its state is that of its events: a copy, no replay
            return entry.tracker.copy()
        return DialogueStateTracker.from_events(sender_id, list(entry.events), self.domain.slots)

    async def save_cached(self: Any, tracker: DialogueStateTracker) -> None:
        cache = _cache(self)
        entry = cache.get(tracker.sender_id)
        if entry is None or not _shares_cached_events(tracker, entry):
            cache.drop(tracker.sender_id)
            await original_save(self, tracker)  # counts what is stored, as Rasa does
            return
        with self.engine.connect() as connection:
            unchanged = _stamp(self, connection, tracker.sender_id) == entry.stamp
        if not unchanged:  # another process wrote since the retrieve: count as Rasa does
            cache.drop(tracker.sender_id)
            await original_save(self, tracker)
            return
        new_events = list(tracker.events)[len(entry.events) :]
        await self.stream_events(tracker)
        with self.engine.begin() as connection:
            if new_events:
                rows = [tracker_events.row(tracker.sender_id, event) for event in new_events]
                connection.execute(_statements(self)[1], rows)
            stamp = _stamp(self, connection, tracker.sender_id)
        if (
            stamp is None
            or stamp.count != entry.stamp.count + len(new_events)
            or any(isinstance(e, SessionStarted) for e in new_events)
        ):
            cache.drop(tracker.sender_id)  # the next retrieve follows Rasa's session query
        else:
            saved = tracker.copy()
            cache.put(tracker.sender_id, CachedSession(stamp, tuple(saved.events), saved))

    patching.replace(store_class, "_retrieve", retrieve_cached)
    patching.replace(store_class, "save", save_cached)
