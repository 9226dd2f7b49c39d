"""The privacy module (bot/privacy), the chat actions (actions/privacy_requests.py) and the Rasa
hook that stores nothing of an erased turn, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Iterator, Tuple

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from actions.privacy_requests import (
    ActionPrivacyConfirm,
    ActionPrivacyExplain,
    ActionPrivacyKeep,
    ActionShowMyData,
)
from actions.treatment_request_form import ValidateTreatmentRequestForm
from bot import rasa_patches
from bot.db import migrate
from bot.db.engine import get_engine, session_factory
from bot.db.requests import RequestDetails, save_request
from bot.db.staff_models import AuditEntry, ConversationReview, ConversationSummary
from bot.privacy import erasure, tracker_hook
from bot.settings import Settings
from tests.form_helpers import run, slot_values, tracker

NAME, EMAIL = "Anna Kowalska", "anna.kowalska@example.com"


@pytest.fixture(params=["sqlite", "postgres"])
def urls(request: pytest.FixtureRequest, tmp_path, monkeypatch) -> Iterator[Tuple[str, str]]:
    """(request database, tracker database): migrated, empty, and the process's defaults."""
    if request.param == "sqlite":
        database, tracker_url = f"sqlite:///{tmp_path / 'r.db'}", f"sqlite:///{tmp_path / 't.db'}"
    else:
        database = tracker_url = request.getfixturevalue("postgres_url")
    migrate.upgrade(database)
    monkeypatch.setenv("DATABASE_URL", database)
    monkeypatch.setenv("TRACKER_DATABASE_URL", tracker_url)
    get_engine.cache_clear()
    yield database, tracker_url
    get_engine(database).dispose()
    get_engine(tracker_url).dispose()
    get_engine.cache_clear()


def rasa_store(tracker_url: str):
    """Rasa's own SQL tracker store on ``tracker_url`` (creates the ``events`` table)."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain

    url = make_url(tracker_url)
    return SQLTrackerStore(
        Domain.from_path("domain.yml"),
        dialect=url.get_backend_name(),
        host=url.host,
        port=url.port,
        db=url.database,
        username=url.username,
        password=url.password,
    )


async def converse(store, sender: str, *texts: str) -> None:
    from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    found = await store.retrieve(sender)
    events = list(found.events) if found else [ActionExecuted("action_listen")]
    for said in texts:
        events += [UserUttered(said), BotUttered("ok"), ActionExecuted("action_listen")]
    await store.save(DialogueStateTracker.from_events(sender, events, store.domain.slots))


def count_events(tracker_url: str, sender: str) -> int:
    with get_engine(tracker_url).connect() as connection:
        return connection.execute(
            text("SELECT count(*) FROM events WHERE sender_id = :s"), {"s": sender}
        ).scalar_one()


def store_request(database: str, sender: str, name: str = NAME, minutes: int = 0) -> str:
    consent = datetime.now(timezone.utc) - timedelta(minutes=minutes)
    return save_request(
        session_factory(database),
        RequestDetails(
            sender,
            "rest",
            name,
            EMAIL,
            "+48 601 234 567",
            "Poland",
            "Paraganglioma",
            "Germany",
            "call me",
            consent,
            "2026-01",
        ),
    )


async def test_erase_person_removes_only_this_sender(urls) -> None:
    database, tracker_url = urls
    store = rasa_store(tracker_url)
    await converse(store, "rest:anna", "hello", "my name is Anna Kowalska")
    await converse(store, "rest:bob", "hi")
    store_request(database, "rest:anna")
    store_request(database, "rest:bob", "Bob Other")
    with session_factory(database).begin() as session:
        session.add(ConversationReview(sender_id="rest:anna", tags=",vip,", notes="called"))
        session.add(
            ConversationSummary(
                sender_id="rest:anna",
                first_event_id=1,
                last_event_id=2,
                started_at=0.0,
                last_at=0.0,
            )
        )
    assert count_events(tracker_url, "rest:anna") > 0

    result = erasure.erase_person("rest:anna", database, tracker_url)

    assert result.requests == 1 and result.events > 0
    assert count_events(tracker_url, "rest:anna") == 0
    assert count_events(tracker_url, "rest:bob") > 0
    assert erasure.stored_requests("rest:anna", database) == []
    assert [r["full_name"] for r in erasure.stored_requests("rest:bob", database)] == ["Bob Other"]
    with session_factory(database)() as session:
        assert session.get(ConversationReview, "rest:anna") is None
        assert session.get(ConversationSummary, "rest:anna") is None
    assert erasure.erase_person("rest:anna", database, tracker_url) == erasure.ErasureResult(0, 0)


async def test_withdraw_consent_closes_the_pending_request_and_empties_it(urls) -> None:
    database, _ = urls
    reference = store_request(database, "rest:anna")
    assert erasure.count_requests("rest:anna", database) == {"all": 1, "pending": 1}
    assert erasure.withdraw_consent("rest:anna", database) == [reference]
    (record,) = erasure.stored_requests("rest:anna", database)
    assert record["reference"] == reference and record["status"] == "closed"
    assert all(record[name] is None for name in erasure.PERSONAL_FIELDS)
    assert erasure.count_requests("rest:anna", database) == {"all": 1, "pending": 0}
    assert erasure.withdraw_consent("rest:anna", database) == []


def test_the_privacy_module_does_not_import_the_web_app() -> None:
    import subprocess
    import sys

    code = (
        "import sys, bot.privacy.erasure, bot.privacy.tracker_hook, actions.privacy_requests,"
        " bot.privacy.retention, bot.privacy.transcripts;"
        "print([m for m in sys.modules if m.startswith('bot.web')])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------- chat actions


async def test_confirmed_erasure_uses_erase_person_and_audits_without_personal_data(urls) -> None:
    database, tracker_url = urls
    store = rasa_store(tracker_url)
    await converse(store, "rest:anna", "my name is Anna Kowalska")
    store_request(database, "rest:anna")
    explained = tracker("please delete all my data", "erase_data", sender_id="rest:anna")
    events, said = await run(ActionPrivacyExplain(), explained)
    assert said == ["utter_privacy_erase_explain_requests"]
    slots = slot_values(events)
    assert slots["privacy_pending"] == "erase" and slots["privacy_paused_form"] is True
    assert {"event": "active_loop", "name": None} in [
        {k: e[k] for k in ("event", "name")} for e in events if e["event"] == "active_loop"
    ]

    confirm = tracker(
        "yes", "affirm", sender_id="rest:anna", active_loop=None, slots={"privacy_pending": "erase"}
    )
    events, said = await run(ActionPrivacyConfirm(), confirm)
    assert said == ["utter_privacy_erased"]
    assert slot_values(events)[tracker_hook.ERASED_SLOT]
    assert count_events(tracker_url, "rest:anna") == 0
    assert erasure.stored_requests("rest:anna", database) == []
    with session_factory(database)() as session:
        (entry,) = session.execute(select(AuditEntry)).scalars()
    assert (entry.actor, entry.action, entry.target) == ("patient", "erase_person", "rest")
    assert json.loads(entry.detail)["requests"] == 1
    assert "anna" not in f"{entry.target} {entry.detail}".lower()


async def test_withdrawal_with_a_pending_request_keeps_the_conversation(urls) -> None:
    database, tracker_url = urls
    store = rasa_store(tracker_url)
    await converse(store, "rest:anna", "hello")
    store_request(database, "rest:anna")
    said_tracker = tracker(
        "i withdraw my consent", "withdraw_consent", sender_id="rest:anna", active_loop=None
    )
    events, said = await run(ActionPrivacyExplain(), said_tracker)
    assert said == ["utter_privacy_withdraw_explain"]
    assert slot_values(events)["privacy_pending"] == "withdraw"
    confirm = tracker(
        "yes",
        "affirm",
        sender_id="rest:anna",
        active_loop=None,
        slots={"privacy_pending": "withdraw", "full_name": NAME},
    )
    events, said = await run(ActionPrivacyConfirm(), confirm)
    assert said == ["utter_privacy_withdrawn"]
    assert slot_values(events)["full_name"] is None
    assert tracker_hook.ERASED_SLOT not in slot_values(events)
    (record,) = erasure.stored_requests("rest:anna", database)
    assert record["status"] == "closed" and record["full_name"] is None
    assert count_events(tracker_url, "rest:anna") > 0


async def test_withdrawal_without_a_request_is_an_erasure(urls) -> None:
    events, said = await run(
        ActionPrivacyExplain(), tracker("i withdraw my consent", "withdraw_consent")
    )
    assert said == ["utter_privacy_erase_explain"]
    assert slot_values(events)["privacy_pending"] == "erase"


async def test_no_keep_deletes_nothing_and_resumes_a_paused_form() -> None:
    keep = tracker(
        "no",
        "deny",
        active_loop=None,
        slots={"privacy_pending": "erase", "privacy_paused_form": True},
    )
    events, said = await run(ActionPrivacyKeep(), keep)
    assert said == ["utter_privacy_kept"]
    assert {"event": "active_loop", "name": "treatment_request_form"} in [
        {k: e[k] for k in ("event", "name")} for e in events if e["event"] == "active_loop"
    ]
    events, _ = await run(ActionPrivacyKeep(), tracker("no", "deny", active_loop=None))
    assert not [e for e in events if e["event"] == "active_loop"]


async def test_show_my_data_shows_only_the_own_requests(urls) -> None:
    database, _ = urls
    mine = store_request(database, "rest:anna")
    theirs = store_request(database, "rest:bob", "Bob Other")
    from rasa_sdk.executor import CollectingDispatcher

    dispatcher = CollectingDispatcher()
    await ActionShowMyData().run(
        dispatcher, tracker("what do you store about me", "show_my_data", sender_id="rest:anna"), {}
    )
    (message,) = dispatcher.messages
    assert message["response"] == "utter_my_data"
    details = message["details"]
    assert mine in details and NAME in details and EMAIL in details
    assert theirs not in details and "Bob" not in details
    _, said = await run(
        ActionShowMyData(),
        tracker("what do you store about me", "show_my_data", sender_id="rest:nobody"),
    )
    assert said == ["utter_my_data_none"]


@pytest.mark.parametrize("intent", ["erase_data", "withdraw_consent", "show_my_data"])
@pytest.mark.parametrize("requested", ["privacy_consent", "full_name", "email"])
async def test_the_form_lets_privacy_requests_through(intent: str, requested: str) -> None:
    form = tracker("delete my data", intent, requested_slot=requested)
    events, said = await run(ValidateTreatmentRequestForm(), form)
    assert events == [] and said == []  # rejected: the rules answer it


# ---------------------------------------------------------------- the Rasa-side hook


async def test_an_erased_turn_is_not_written_back_and_the_cache_forgets_it(urls) -> None:
    """Rasa saves the tracker after the action: without the hook the erased events return."""
    from rasa.core.processor import MessageProcessor
    from rasa.shared.core.events import SlotSet

    _, tracker_url = urls
    rasa_patches.apply(Settings(), only=["tracker-cache", "erasure-hook"])
    try:
        store = rasa_store(tracker_url)
        await converse(store, "rest:anna", "hello", "my name is Anna Kowalska")
        await converse(store, "rest:bob", "hi")
        held = await store.retrieve("rest:anna")  # Rasa holds this during the turn
        erasure.erase_person("rest:anna", None, tracker_url)  # the action's erasure
        held.update(SlotSet(tracker_hook.ERASED_SLOT, "2026-12-01T10:00:00+00:00"))

        class Processor:  # what save_tracker needs of a MessageProcessor
            tracker_store = store

        await MessageProcessor.save_tracker(Processor(), held)
        assert count_events(tracker_url, "rest:anna") == 0
        assert await store.retrieve("rest:anna") is None
        assert count_events(tracker_url, "rest:bob") > 0

        # Without the hook Rasa writes the whole conversation back:
        rasa_patches.undo("erasure-hook")
        await converse(store, "rest:carl", "my name is Carl")
        held = await store.retrieve("rest:carl")
        erasure.erase_person("rest:carl", None, tracker_url)
        held.update(SlotSet(tracker_hook.ERASED_SLOT, "2026-12-01T10:00:00+00:00"))
        await MessageProcessor.save_tracker(Processor(), held)
        assert count_events(tracker_url, "rest:carl") > 0
    finally:
        rasa_patches.undo("erasure-hook")
        rasa_patches.undo("tracker-cache")
