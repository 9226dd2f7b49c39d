"""The incremental conversation summaries agree with a fresh read of the tracker, always."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import delete, select

from bot.db.staff_models import ConversationSummary, SummarySyncState
from bot.db.tracker_events import events as events_table
from bot.web.staff import summaries
from tests.staff.conftest import NOW, Console, make_console
from tests.support import sample_data

COLUMNS = (
    "sender_id",
    "first_event_id",
    "started_at",
    "last_at",
    "channel",
    "sessions",
    "user_messages",
    "fallbacks",
    "handoff",
    "intents",
    "fallback_texts",
    "search_text",
)


def snapshot(console: Console) -> dict:
    with console.sessions() as session:
        found = session.execute(select(ConversationSummary)).scalars().all()
        return {row.sender_id: tuple(getattr(row, name) for name in COLUMNS) for row in found}


def refresh(console: Console) -> summaries.RefreshResult:
    return summaries.refresh(
        console.sessions, console.tracker, console.config.tracker_url, 0.35, reconcile_seconds=0
    )


def test_events_table_is_rasas_own_schema(console: Console) -> None:
    from rasa.core.tracker_store import SQLTrackerStore

    rasa = SQLTrackerStore.SQLEvent.__table__
    assert [c.name for c in rasa.columns] == [c.name for c in events_table.columns]
    for ours in events_table.columns:
        assert type(ours.type) is type(rasa.columns[ours.name].type), ours.name


def test_incremental_equals_full_rebuild(console: Console, monkeypatch) -> None:
    conversations = list(sample_data.generate(60, seed=11, days=10, now=NOW))
    # Arrive in three waves, with small batches so one sender's events straddle batches.
    monkeypatch.setattr(summaries, "BATCH_SIZE", 37)
    for wave in (conversations[:20], conversations[20:45], conversations[45:]):
        console.add(*wave)
        result = refresh(console)
        assert result.events > 0 and not result.rebuilt
    assert refresh(console).events == 0  # nothing new: nothing read
    incremental = snapshot(console)
    with console.sessions.begin() as session:
        session.execute(delete(ConversationSummary))
        session.execute(delete(SummarySyncState))
    monkeypatch.setattr(summaries, "BATCH_SIZE", 100_000)
    refresh(console)
    assert snapshot(console) == incremental
    assert len(incremental) == 60


def test_a_returning_visitor_continues_the_same_summary(console: Console) -> None:
    first = sample_data.scripted(
        "ret-1", [sample_data.Turn("what is mibg", "ask_what_is_mibg", 0.9)], NOW
    )
    console.add(first)
    refresh(console)
    again = sample_data.scripted(
        "ret-1", [sample_data.Turn("tell me a joke", "out_of_scope", 0.8)], NOW
    )
    console.add(again)  # its own session start, then a message
    refresh(console)
    with console.sessions() as session:
        row = session.get(ConversationSummary, "ret-1")
    assert row.sessions == 2 and row.user_messages == 2 and row.fallbacks == 1
    assert json.loads(row.intents) == {"ask_what_is_mibg": 1, "out_of_scope": 1}
    assert row.search_text == "what is mibg\ntell me a joke"
    assert json.loads(row.fallback_texts) == ["tell me a joke"]


def test_a_replaced_tracker_database_triggers_a_rebuild(console: Console, tmp_path) -> None:
    if console.backend != "sqlite":
        pytest.skip("replacing the file is the SQLite case")
    console.add(*sample_data.generate(5, seed=1, days=3, now=NOW))
    refresh(console)
    with console.tracker.begin() as connection:  # the tracker was wiped and restarted
        connection.execute(delete(events_table))
    console.add(*sample_data.generate(2, seed=2, days=3, now=NOW))
    result = refresh(console)
    assert result.rebuilt
    assert len(snapshot(console)) == 2


def test_another_tracker_url_means_new_summaries(tmp_path) -> None:
    one = make_console(f"sqlite:///{tmp_path / 'r.db'}", f"sqlite:///{tmp_path / 'a.db'}", "a")
    one.add(*sample_data.generate(3, seed=1, days=3, now=NOW))
    refresh(one)
    two = make_console(one.config.database_url, f"sqlite:///{tmp_path / 'b.db'}", "b")
    two.add(*sample_data.generate(1, seed=9, days=3, now=NOW))
    refresh(two)
    assert len(snapshot(two)) == 1


def test_no_events_table_yet(tmp_path) -> None:
    from bot.db import migrate
    from bot.db.engine import get_engine, session_factory

    database = f"sqlite:///{tmp_path / 'r.db'}"
    migrate.upgrade(database)
    tracker = f"sqlite:///{tmp_path / 'none.db'}"
    result = summaries.refresh(session_factory(database), get_engine(tracker), tracker, 0.35)
    assert result.events == 0
