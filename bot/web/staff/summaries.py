"""Keep ``conversation_summaries`` up to date with the tracker's ``events``, incrementally.

Why: the list page filters and sorts 10,000+ conversations by things hidden in each user event's
JSON (channel, confidence, text). Parsing that on every page view does not scale, so each event
is read once: every refresh folds the events with ``id > last seen id`` into one summary row per
sender. A refresh with nothing new costs one ``max(id)`` query on the primary key.

The summary is derived data: a different or reset tracker database triggers a rebuild, and
senders erased outside the console (``python -m bot erase``) are dropped by a periodic check.
"""

from __future__ import annotations

import json
import logging
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Dict, Iterable, List, Sequence

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from bot.db import tracker_events
from bot.db.staff_models import ConversationReview, ConversationSummary, SummarySyncState
from bot.privacy.erasure import SUMMARY_LOCK
from bot.web.staff import languages
from bot.web.staff.config import HANDOFF_INTENT
from bot.web.staff.tracker import (
    Event,
    events_after,
    max_event_id,
    sender_ids,
)
from bot.web.staff.turns import read_user_turn

logger = logging.getLogger(__name__)

BATCH_SIZE = 5000
#: Enough to find a conversation by what was written; caps one chatty visitor's row.
SEARCH_TEXT_LIMIT = 20_000
FALLBACK_TEXTS_LIMIT = 20
FALLBACK_TEXT_CHARS = 200
#: SQLite allows 999 bound parameters in older builds.
IN_CHUNK = 500

#: One refresh at a time per process; a request that waits then finds nothing left to read.
#: The same lock guards forgetting a summary (``bot.privacy.erasure.forget_summary``).
_refresh_lock = SUMMARY_LOCK


@dataclass(frozen=True)
class RefreshResult:
    events: int
    rebuilt: bool
    removed: int
    seconds: float


def source_name(tracker_url: str) -> str:
    """The tracker URL without its password, to notice a switch to another database."""
    return make_url(tracker_url).render_as_string(hide_password=True)[:500]


def refresh(
    sessions: sessionmaker,
    tracker: Engine,
    tracker_url: str,
    threshold: float,
    reconcile_seconds: float = 60.0,
) -> RefreshResult:
    """Fold new tracker events into the summaries; drop summaries of erased senders."""
    started = time.perf_counter()
    with _refresh_lock:
        state = _load_state(sessions, source_name(tracker_url))
        rebuilt = False
        if state.last_event_id == 0 and not tracker_events.has_table(tracker):
            return RefreshResult(0, False, 0, time.perf_counter() - started)
        top = max_event_id(tracker)
        if top < state.last_event_id:  # the tracker database was reset or replaced
            _reset(sessions, state.source)
            state.last_event_id, rebuilt = 0, True
        read, last = 0, state.last_event_id
        while last < top:
            batch = events_after(tracker, last, BATCH_SIZE)
            if not batch:
                break
            if not _apply(sessions, batch, last, threshold):
                last = _load_state(sessions, state.source).last_event_id  # another process
                continue
            read += len(batch)
            last = batch[-1].id
        removed = 0
        if time.time() - state.reconciled_at >= reconcile_seconds:
            removed = _reconcile(sessions, tracker)
    if read > BATCH_SIZE:
        logger.info("conversation summaries: read %d events", read)
    return RefreshResult(read, rebuilt, removed, time.perf_counter() - started)


def _load_state(sessions: sessionmaker, source: str) -> SummarySyncState:
    with sessions.begin() as session:
        state = session.get(SummarySyncState, 1)
        if state is None:
            state = SummarySyncState(id=1, source=source, last_event_id=0, reconciled_at=0.0)
            session.add(state)
        elif state.source != source:
            logger.info("tracker database changed: rebuilding conversation summaries")
            session.execute(delete(ConversationSummary))
            state.source, state.last_event_id, state.reconciled_at = source, 0, 0.0
        session.flush()
        session.expunge(state)
    return state


def _reset(sessions: sessionmaker, source: str) -> None:
    logger.info("tracker events were reset: rebuilding conversation summaries")
    with sessions.begin() as session:
        session.execute(delete(ConversationSummary))
        session.execute(
            update(SummarySyncState)
            .where(SummarySyncState.id == 1)
            .values(source=source, last_event_id=0, reconciled_at=0.0)
        )


def _apply(sessions: sessionmaker, batch: Sequence[Event], expected: int, threshold: float) -> bool:
    """Fold ``batch`` into the summaries in one transaction, if nobody else did it first."""
    by_sender: Dict[str, List[Event]] = defaultdict(list)
    for event in batch:
        by_sender[event.sender_id].append(event)
    with sessions.begin() as session:
        # The guarded update comes first: it takes the write lock (SQLite) / row lock (PostgreSQL)
        # so two processes cannot fold the same events twice.
        claimed = session.execute(
            update(SummarySyncState)
            .where(SummarySyncState.id == 1, SummarySyncState.last_event_id == expected)
            .values(last_event_id=batch[-1].id)
        ).rowcount
        if claimed != 1:
            return False
        existing = {row.sender_id: row for row in _load_summaries(session, list(by_sender))}
        for sender, events in by_sender.items():
            summary = existing.get(sender)
            if summary is None:
                summary = _new_summary(events[0])
                session.add(summary)
            fold(summary, events, threshold)
    return True


def _load_summaries(session: Session, senders: List[str]) -> Iterable[ConversationSummary]:
    for start in range(0, len(senders), IN_CHUNK):
        chunk = senders[start : start + IN_CHUNK]
        yield from session.execute(
            select(ConversationSummary).where(ConversationSummary.sender_id.in_(chunk))
        ).scalars()


def _new_summary(first: Event) -> ConversationSummary:
    moment = first.timestamp or time.time()
    return ConversationSummary(
        sender_id=first.sender_id,
        first_event_id=first.id,
        last_event_id=first.id,
        started_at=moment,
        last_at=moment,
        channel=None,
        sessions=1,
        user_messages=0,
        fallbacks=0,
        handoff=False,
        intents="{}",
        fallback_texts="[]",
        search_text="",
        open_session_users=0,
        language=languages.DEFAULT,
        language_turns="",
        language_state=None,
    )


def fold(summary: ConversationSummary, events: Iterable[Event], threshold: float) -> None:
    """Add ``events`` (of this sender, in id order) to ``summary``."""
    intents: Dict[str, int] = json.loads(summary.intents or "{}")
    fallback_texts: List[str] = json.loads(summary.fallback_texts or "[]")
    texts: List[str] = [summary.search_text] if summary.search_text else []
    length = len(summary.search_text or "")
    by_language = languages.unpack(
        summary.language_turns,
        summary.language or languages.DEFAULT,
        summary.user_messages,
        summary.fallbacks,
        summary.intents or "{}",
    )
    state = json.loads(summary.language_state) if summary.language_state else {}
    language = state.get("slot") or languages.DEFAULT
    # The newest user turn, while a language slot set after it still moves it to that language.
    open_turn = state.get("turn")
    newest: str | None = None  # the language of the newest user turn in ``events``
    for event in events:
        if event.starts_session and summary.open_session_users:
            summary.sessions += 1
            summary.open_session_users = 0
        if languages.ends_turn(event):
            open_turn = None
        switched = languages.slot_language(event)
        if switched and switched != language:
            language = switched
            if open_turn is not None:
                languages.count_turn(by_language, open_turn, -1)
                open_turn["language"] = newest = language
                languages.count_turn(by_language, open_turn, 1)
        if event.type_name == "user":
            turn = read_user_turn(event, threshold)
            open_turn = {"language": language, "intent": turn.intent, "fallback": turn.fallback}
            languages.count_turn(by_language, open_turn, 1)
            newest = language
            summary.user_messages += 1
            summary.open_session_users += 1
            summary.channel = summary.channel or turn.channel
            if turn.intent:
                intents[turn.intent] = intents.get(turn.intent, 0) + 1
            if turn.intent == HANDOFF_INTENT:
                summary.handoff = True
            if turn.fallback:
                summary.fallbacks += 1
                if turn.text and len(fallback_texts) < FALLBACK_TEXTS_LIMIT:
                    fallback_texts.append(turn.text[:FALLBACK_TEXT_CHARS])
            if turn.text and length < SEARCH_TEXT_LIMIT:
                texts.append(turn.text.lower())
                length += len(turn.text) + 1
        if event.timestamp:
            summary.last_at = max(summary.last_at, event.timestamp)
        summary.last_event_id = event.id
    summary.intents = json.dumps(intents, sort_keys=True)
    summary.fallback_texts = json.dumps(fallback_texts, ensure_ascii=False)
    summary.search_text = "\n".join(texts)[:SEARCH_TEXT_LIMIT]
    if newest is not None:  # the conversation's language is its newest user turn's
        summary.language = newest
    summary.language_turns = languages.pack(by_language, summary.language)
    summary.language_state = json.dumps({"slot": language, "turn": open_turn})


def _reconcile(sessions: sessionmaker, tracker: Engine) -> int:
    """Drop summaries whose sender has no events any more (erased from the command line).

    Their reviews go too (notes are about the person). Only senders this tracker knew and lost
    count: a switch to another tracker rebuilds the summaries instead and keeps every review.
    """
    live = sender_ids(tracker)
    removed = 0
    with sessions.begin() as session:
        known = set(session.execute(select(ConversationSummary.sender_id)).scalars())
        gone = sorted(known - live)
        for start in range(0, len(gone), IN_CHUNK):
            chunk = gone[start : start + IN_CHUNK]
            removed += (
                session.execute(
                    delete(ConversationSummary).where(ConversationSummary.sender_id.in_(chunk))
                ).rowcount
                or 0
            )
            session.execute(
                delete(ConversationReview).where(ConversationReview.sender_id.in_(chunk))
            )
        session.execute(
            update(SummarySyncState)
            .where(SummarySyncState.id == 1)
            .values(reconciled_at=time.time())
        )
    return removed
