"""Storing a confirmed request: reference, no duplicates, database down, concurrency, no PII."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, Iterator

import pytest

from actions.submit_request import ActionCancelRequest, ActionSubmitRequest
from bot.db import migrate
from bot.db.engine import get_engine, session_factory
from bot.db.requests import list_requests
from tests.form_helpers import run, slot_values, tracker

SUBMIT = ActionSubmitRequest()
CONFIRMED: Dict[str, Any] = {
    "privacy_consent": True,
    "consent_at": "2026-11-24T10:00:00.123456+00:00",
    "full_name": "Anna Kowalska",
    "email": "anna.kowalska@example.com",
    "phone": "+48 601 234 567",
    "country": "Poland",
    "diagnosis": "Metastatic paraganglioma",
    "destination": "Germany",
    "message": "",
    "request_confirmed": True,
}
PERSONAL_VALUES = ["Anna Kowalska", "anna.kowalska@example.com", "601 234 567", "paraganglioma"]


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path, monkeypatch) -> Iterator[str]:
    """A migrated, empty request database on SQLite or on this machine's PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'requests.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    migrate.upgrade(url)
    monkeypatch.setenv("DATABASE_URL", url)
    get_engine.cache_clear()
    yield url
    get_engine(url).dispose()
    get_engine.cache_clear()


def submit_tracker(sender: str = "patient-1", **overrides: Any):
    return tracker("yes", "affirm", slots=CONFIRMED | overrides, sender_id=sender, active_loop=None)


async def test_saves_once_and_gives_the_reference(database_url: str) -> None:
    events, said = await run(SUBMIT, submit_tracker())
    reference = slot_values(events)["request_reference"]
    assert said == ["utter_request_saved"]
    assert reference.startswith("MIBG-") and len(reference) == 11
    (record,) = list_requests(session_factory(database_url))
    assert record.reference == reference
    assert (record.full_name, record.email, record.phone) == (
        "Anna Kowalska",
        "anna.kowalska@example.com",
        "+48 601 234 567",
    )
    assert record.message is None  # skipped
    assert record.channel == "rest" and record.status.value == "new"
    assert record.notice_version


async def test_submitting_twice_does_not_duplicate(database_url: str) -> None:
    first, _ = await run(SUBMIT, submit_tracker())
    reference = slot_values(first)["request_reference"]
    # The same form run again without the reference slot (e.g. a lost reply): same record.
    again, said = await run(SUBMIT, submit_tracker())
    assert slot_values(again)["request_reference"] == reference
    # And with the slot set, the bot just repeats it.
    _, said = await run(SUBMIT, submit_tracker(request_reference=reference))
    assert said == ["utter_request_already_saved"]
    assert len(list_requests(session_factory(database_url))) == 1


async def test_database_down_then_retry(tmp_path, monkeypatch, caplog) -> None:
    # Nothing listens on port 9: the database is down.
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:9/mibg")
    get_engine.cache_clear()
    with caplog.at_level(logging.INFO):
        events, said = await run(SUBMIT, submit_tracker())
    assert said == ["utter_request_not_saved"]
    assert events == []  # nothing claimed, the form's answers stay in the slots
    assert "not saved: OperationalError" in caplog.text
    url = f"sqlite:///{tmp_path / 'requests.db'}"
    migrate.upgrade(url)
    monkeypatch.setenv("DATABASE_URL", url)
    get_engine.cache_clear()
    events, said = await run(SUBMIT, submit_tracker())
    assert said == ["utter_request_saved"]
    assert len(list_requests(session_factory(url))) == 1


async def test_fifty_concurrent_conversations_give_fifty_records(database_url: str) -> None:
    results = await asyncio.gather(
        *(run(SUBMIT, submit_tracker(sender=f"patient-{n}")) for n in range(50))
    )
    references = {slot_values(events)["request_reference"] for events, _ in results}
    assert len(references) == 50
    records = list_requests(session_factory(database_url))
    assert len(records) == 50
    assert {r.sender_id for r in records} == {f"patient-{n}" for n in range(50)}


async def test_refused_consent_stores_nothing(database_url: str) -> None:
    events, said = await run(SUBMIT, submit_tracker(privacy_consent=False, request_confirmed=None))
    assert said == ["utter_consent_declined"]
    assert slot_values(events)["privacy_consent"] is None
    assert list_requests(session_factory(database_url)) == []


async def test_cancel_forgets_the_answers() -> None:
    events, said = await run(ActionCancelRequest(), submit_tracker())
    assert said == ["utter_request_cancelled"]
    assert events[0] == {"event": "active_loop", "timestamp": None, "name": None}
    assert all(v is None for v in slot_values(events).values())
    assert {"full_name", "email", "phone", "diagnosis"} <= set(slot_values(events))


async def test_no_personal_data_in_logs(database_url: str, caplog) -> None:
    with caplog.at_level(logging.DEBUG, logger="actions"):
        caplog.set_level(logging.INFO)
        await run(SUBMIT, submit_tracker())
    logged = caplog.text
    assert "treatment request saved: MIBG-" in logged
    for value in PERSONAL_VALUES:
        assert value.lower() not in logged.lower()
