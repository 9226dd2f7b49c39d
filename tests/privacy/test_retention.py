"""Retention (bot/privacy/retention.py) with a clock passed in, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta, timezone

from sqlalchemy import select, text, update

from bot import audit, cli
from bot.db.engine import get_engine, session_factory
from bot.db.models import RequestStatus, TreatmentRequest
from bot.db.staff_models import AuditEntry, ConversationReview, ConversationSummary
from bot.privacy import erasure, retention
from tests.privacy import test_privacy
from tests.privacy.test_privacy import (
    EMAIL,
    NAME,
    converse,
    count_events,
    rasa_store,
    store_request,
)

urls = test_privacy.urls  # the fixture: migrated SQLite and PostgreSQL databases

NOW = datetime(2027, 6, 1, 12, 0, tzinfo=timezone.utc)
KEPT = ("reference", "status", "created_at", "consent_at", "closed_at", "country", "channel")


def close(database: str, reference: str, days_ago: float) -> None:
    with session_factory(database).begin() as session:
        session.execute(
            update(TreatmentRequest)
            .where(TreatmentRequest.reference == reference)
            .values(status=RequestStatus.closed, closed_at=NOW - timedelta(days=days_ago))
        )


def record(database: str, reference: str) -> dict:
    with session_factory(database)() as session:
        found = session.execute(
            select(TreatmentRequest).where(TreatmentRequest.reference == reference)
        ).scalar_one()
        return {c.name: getattr(found, c.name) for c in TreatmentRequest.__table__.columns}


def age(tracker_url: str, sender: str, days_ago: float) -> None:
    """Make every event of ``sender`` ``days_ago`` days older than NOW."""
    with get_engine(tracker_url).begin() as connection:
        connection.execute(
            text("UPDATE events SET timestamp = :t WHERE sender_id = :s"),
            {"t": (NOW - timedelta(days=days_ago)).timestamp(), "s": sender},
        )


def audit_rows(database: str) -> list:
    with session_factory(database)() as session:
        return list(
            session.execute(
                select(AuditEntry).where(AuditEntry.action == audit.RETENTION_RUN)
            ).scalars()
        )


def test_a_closed_request_past_the_limit_loses_exactly_its_personal_fields(urls) -> None:
    database, tracker_url = urls
    old = store_request(database, "rest:old")
    young = store_request(database, "rest:young")
    pending = store_request(database, "rest:open")
    close(database, old, days_ago=30.01)
    close(database, young, days_ago=29.9)
    before = {ref: record(database, ref) for ref in (old, young, pending)}

    result = retention.run(now=NOW, database_url=database, tracker_url=tracker_url)

    assert result.requests_emptied == 1
    after = record(database, old)
    for name in retention.RETENTION_FIELDS:
        assert after[name] is None, name
    assert after["country"] == "Poland"
    for name in KEPT + ("id", "sender_id", "notice_version"):
        assert after[name] == before[old][name], name
    assert record(database, young) == before[young]
    assert record(database, pending) == before[pending]
    assert before[pending]["full_name"] == NAME and before[young]["email"] == EMAIL
    # Nothing left to do on the next day's run.
    again = retention.run(now=NOW, database_url=database, tracker_url=tracker_url)
    assert again.requests_emptied == 0


def test_the_limit_comes_from_the_settings(urls, monkeypatch) -> None:
    database, tracker_url = urls
    reference = store_request(database, "rest:old")
    close(database, reference, days_ago=8)
    monkeypatch.setenv("REQUEST_RETENTION_DAYS_AFTER_CLOSE", "10")
    assert retention.run(now=NOW, dry_run=True).requests_emptied == 0
    monkeypatch.setenv("REQUEST_RETENTION_DAYS_AFTER_CLOSE", "7")
    assert retention.run(now=NOW, dry_run=True).requests_emptied == 1


async def test_only_old_conversations_without_a_request_are_deleted(urls) -> None:
    database, tracker_url = urls
    store = rasa_store(tracker_url)
    for sender in ("rest:old", "rest:old-with-request", "rest:recent"):
        await converse(store, sender, "hello", "what is MIBG?")
    store_request(database, "rest:old-with-request")
    age(tracker_url, "rest:old", 90.01)
    age(tracker_url, "rest:old-with-request", 400)
    age(tracker_url, "rest:recent", 89.9)
    with session_factory(database).begin() as session:
        session.add(ConversationReview(sender_id="rest:old", tags=",x,", notes="called"))
        session.add(
            ConversationSummary(
                sender_id="rest:old",
                first_event_id=1,
                last_event_id=2,
                started_at=0.0,
                last_at=0.0,
            )
        )
    old_events = count_events(tracker_url, "rest:old")

    result = retention.run(now=NOW, database_url=database, tracker_url=tracker_url)

    assert (result.conversations_deleted, result.events_deleted) == (1, old_events)
    assert count_events(tracker_url, "rest:old") == 0
    assert count_events(tracker_url, "rest:old-with-request") > 0
    assert count_events(tracker_url, "rest:recent") > 0
    assert await store.retrieve("rest:old") is None
    with session_factory(database)() as session:
        assert session.get(ConversationReview, "rest:old") is None
        assert session.get(ConversationSummary, "rest:old") is None
    assert [r["full_name"] for r in erasure.stored_requests("rest:old-with-request")] == [NAME]


async def test_a_dry_run_changes_nothing_and_counts_the_same(urls, capsys) -> None:
    database, tracker_url = urls
    store = rasa_store(tracker_url)
    await converse(store, "rest:old", "hello")
    age(tracker_url, "rest:old", 100)
    reference = store_request(database, "rest:closed")
    close(database, reference, days_ago=40)
    before = record(database, reference)
    events = count_events(tracker_url, "rest:old")

    dry = retention.run(now=NOW, dry_run=True, database_url=database, tracker_url=tracker_url)

    assert record(database, reference) == before
    assert count_events(tracker_url, "rest:old") == events
    assert audit_rows(database) == []
    real = retention.run(now=NOW, database_url=database, tracker_url=tracker_url)
    assert (
        (dry.requests_emptied, dry.conversations_deleted, dry.events_deleted)
        == (
            real.requests_emptied,
            real.conversations_deleted,
            real.events_deleted,
        )
        == (1, 1, events)
    )
    assert (
        dry.describe().replace("would empty", "emptied").replace("would delete", "deleted")
        == real.describe()
    )


async def test_the_command_line_prints_the_counts(urls, capsys, monkeypatch) -> None:
    database, tracker_url = urls
    reference = store_request(database, "rest:closed")
    with session_factory(database).begin() as session:  # closed long before the real today
        session.execute(
            update(TreatmentRequest)
            .where(TreatmentRequest.reference == reference)
            .values(
                status=RequestStatus.closed, closed_at=datetime(2020, 1, 1, tzinfo=timezone.utc)
            )
        )
    assert cli.main(["retention", "run", "--dry-run"]) == 0
    dry = capsys.readouterr().out
    assert "would empty the personal fields of 1 closed request(s)" in dry
    assert record(database, reference)["full_name"] == NAME
    assert cli.main(["retention", "run"]) == 0
    assert "emptied the personal fields of 1 closed request(s)" in capsys.readouterr().out
    assert record(database, reference)["full_name"] is None


async def test_each_run_is_audited_without_personal_data(urls) -> None:
    database, tracker_url = urls
    store = rasa_store(tracker_url)
    await converse(store, "rest:anna-kowalska", "my name is Anna Kowalska")
    age(tracker_url, "rest:anna-kowalska", 100)
    retention.run(now=NOW, database_url=database, tracker_url=tracker_url)
    retention.run(now=NOW, database_url=database, tracker_url=tracker_url)
    first, second = audit_rows(database)
    assert (first.actor, first.target) == ("retention", None)
    assert json.loads(first.detail) == {
        "requests_emptied": 0,
        "conversations_deleted": 1,
        "events_deleted": json.loads(first.detail)["events_deleted"],
        "request_days": 30,
        "transcript_days": 90,
    }
    assert json.loads(second.detail)["conversations_deleted"] == 0
    assert "anna" not in (first.detail + str(first.target)).lower()


def test_withdrawing_consent_starts_the_retention_period(urls) -> None:
    database, _ = urls
    reference = store_request(database, "rest:anna")
    erasure.withdraw_consent("rest:anna", database)
    found = record(database, reference)
    assert found["status"] == RequestStatus.closed and found["closed_at"] is not None


async def test_the_daily_loop_runs_and_survives_a_failure(monkeypatch) -> None:
    calls = []

    def fake_run() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database down")

    monkeypatch.setattr(retention, "run", fake_run)
    task = asyncio.create_task(retention.run_daily(first_delay=0, interval=0.01))
    for _ in range(200):
        await asyncio.sleep(0.01)
        if len(calls) >= 3:
            break
    task.cancel()
    assert len(calls) >= 3


def test_the_web_app_starts_the_daily_run_unless_switched_off(monkeypatch) -> None:
    from starlette.testclient import TestClient

    from bot.web import app as web_app

    started = []

    async def fake_daily() -> None:
        started.append(1)
        await asyncio.sleep(3600)

    monkeypatch.setattr(retention, "run_daily", fake_daily)
    with TestClient(web_app.create_app()) as client:
        assert client.get("/healthz").status_code == 200
    assert started == [1]
    monkeypatch.setenv("RETENTION_SCHEDULE", "0")
    with TestClient(web_app.create_app()) as client:
        assert client.get("/healthz").status_code == 200
    assert started == [1]
