"""Minimal transcripts (bot/privacy/transcripts.py): the form's answers leave the stored events
once the request is stored or cancelled, on SQLite and PostgreSQL, through Rasa's save."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from bot.db.engine import get_engine, session_factory
from bot.db.staff_models import ConversationSummary
from bot.privacy import transcripts
from tests.privacy import test_privacy
from tests.privacy.test_privacy import rasa_store
from tests.rasa_patches.helpers import patched

urls = test_privacy.urls  # the fixture: migrated SQLite and PostgreSQL databases

ANSWERS = {
    "full_name": "Anna Kowalska",
    "email": "anna.kowalska@example.com",
    "phone": "+48 601 234 567",
    "diagnosis": "Paraganglioma since 2025",
    "message": "Please call after five",
}
ORDER = ["full_name", "email", "phone", "country", "diagnosis", "destination", "message"]
FORM = "treatment_request_form"


def form_events(stop_at: str = "request_confirmed"):
    """A form run up to the question ``stop_at``, as Rasa stores it."""
    from rasa.shared.core.events import (
        ActionExecuted,
        ActiveLoop,
        BotUttered,
        SlotSet,
        UserUttered,
    )

    def said(words: str, intent: str = "inform"):
        return [
            UserUttered(
                words,
                intent={"name": intent, "confidence": 1.0},
                entities=[{"entity": "tumour", "value": words, "start": 0, "end": len(words)}],
            ),
            ActionExecuted(FORM),
        ]

    events = [ActionExecuted("action_listen")]
    events += [UserUttered("I want to request treatment", {"name": "request_treatment"})]
    events += [ActionExecuted(FORM), ActiveLoop(FORM), SlotSet("requested_slot", "privacy_consent")]
    events += [BotUttered("Do you agree?"), ActionExecuted("action_listen")]
    events += said("yes", "affirm") + [SlotSet("privacy_consent", True)]
    for name in ORDER + ["request_confirmed"]:
        events += [SlotSet("requested_slot", name)]
        if name == stop_at:
            break
        if name == "email":  # a wrong answer first: the form says so and asks again
            events += [BotUttered("What is your email?"), ActionExecuted("action_listen")]
            events += said("anna.kowalska@") + [BotUttered("anna.kowalska@ is not an email")]
            events += [SlotSet("requested_slot", "email")]
        events += [BotUttered(f"What is your {name}?"), ActionExecuted("action_listen")]
        events += said(ANSWERS.get(name, "Germany" if name == "destination" else "Poland"))
        if name == "diagnosis":  # Rasa's entity mapping of the slot tumour
            events += [SlotSet("tumour", "paraganglioma")]
        events += [SlotSet(name, ANSWERS.get(name, "Germany"))]
    if stop_at == "request_confirmed":
        summary = "\n".join(f"- {ANSWERS.get(n, 'Germany')}" for n in ORDER)
        events += [BotUttered(f"Please check:\n{summary}"), ActionExecuted("action_listen")]
    return events


def submit_turn():
    from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SlotSet, UserUttered

    return [
        UserUttered("/affirm", {"name": "affirm"}),
        ActionExecuted(FORM),
        SlotSet("request_confirmed", True),
        SlotSet("requested_slot", None),
        ActiveLoop(None),
        ActionExecuted("action_submit_request"),
        BotUttered("Thank you, your request has been sent. Your reference is MIBG-ABC234."),
        SlotSet("request_reference", "MIBG-ABC234"),
        ActionExecuted("action_listen"),
    ]


def cancel_turn():
    from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SlotSet, UserUttered

    return [
        UserUttered("cancel", {"name": "cancel"}),
        ActionExecuted("action_cancel_request"),
        BotUttered("Cancelled: nothing was stored."),
        ActiveLoop(None),
        SlotSet("requested_slot", None),
        *[SlotSet(name, None) for name in ORDER],
        ActionExecuted("action_listen"),
    ]


def stored_data(tracker_url: str, sender: str) -> str:
    with get_engine(tracker_url).connect() as connection:
        rows = connection.execute(
            text("SELECT data FROM events WHERE sender_id = :s ORDER BY id"), {"s": sender}
        )
        return "\n".join(row.data for row in rows)


class Processor:
    def __init__(self, store) -> None:
        self.tracker_store = store


@pytest.fixture()
def hooks():
    with patched("tracker-cache", "erasure-hook"):
        yield


async def save_turns(store, sender: str, *turns) -> None:
    """Save each turn as Rasa does: retrieve (cache), append, ``save_tracker`` (the hook)."""
    from rasa.core.processor import MessageProcessor
    from rasa.shared.core.trackers import DialogueStateTracker

    for turn in turns:
        tracker = await store.retrieve(sender)
        if tracker is None:
            tracker = DialogueStateTracker.from_events(sender, [], store.domain.slots)
        for event in turn:
            tracker.update(event)
        await MessageProcessor.save_tracker(Processor(store), tracker)


def add_summary(database: str, sender: str) -> None:
    with session_factory(database).begin() as session:
        session.add(
            ConversationSummary(
                sender_id=sender,
                first_event_id=1,
                last_event_id=2,
                started_at=0.0,
                last_at=0.0,
                search_text="\n".join(v.lower() for v in ANSWERS.values()),
                fallback_texts=json.dumps([ANSWERS["message"]]),
            )
        )


def leaked(data: str) -> list:
    found = [*ANSWERS.values(), "anna.kowalska@", "paraganglioma"]
    return [v for v in found if v.lower() in data.lower()]


async def test_a_stored_request_leaves_placeholders_in_the_events(urls, hooks) -> None:
    database, tracker_url = urls
    store = rasa_store(tracker_url)
    add_summary(database, "rest:anna")
    await save_turns(store, "rest:anna", form_events())
    before = stored_data(tracker_url, "rest:anna")
    assert len(leaked(before)) == len(ANSWERS) + 2  # the answers, the wrong email, the tumour

    await save_turns(store, "rest:anna", submit_turn())

    data = stored_data(tracker_url, "rest:anna")
    assert leaked(data) == []
    for placeholder in transcripts.PLACEHOLDERS.values():
        assert f'"{placeholder}"' in data, placeholder
    assert "Poland" in data and "Germany" in data and "MIBG-ABC234" in data
    tracker = await store.retrieve("rest:anna")  # from the cache path: no old values either
    assert tracker.get_slot("full_name") == "[name]" and tracker.get_slot("email") == "[email]"
    assert tracker.get_slot("request_reference") == "MIBG-ABC234"
    assert tracker.get_slot("tumour") == "[diagnosis]"
    users = [e for e in tracker.events if e.type_name == "user"]
    assert [u.text for u in users][2:5] == ["[name]", "[email]", "[email]"]
    assert all(u.intent.get("name") for u in users)  # intents stay for the console
    with session_factory(database)() as session:
        summary = session.get(ConversationSummary, "rest:anna")
        assert leaked(summary.search_text + summary.fallback_texts) == []
        assert "[name]" in summary.search_text
    # A later turn in the same conversation is stored as usual.
    from rasa.shared.core.events import ActionExecuted, UserUttered

    await save_turns(store, "rest:anna", [UserUttered("thanks"), ActionExecuted("action_listen")])
    assert '"thanks"' in stored_data(tracker_url, "rest:anna")
    assert leaked(stored_data(tracker_url, "rest:anna")) == []


async def test_a_cancelled_form_leaves_placeholders_in_the_events(urls, hooks) -> None:
    _, tracker_url = urls
    store = rasa_store(tracker_url)
    await save_turns(store, "rest:anna", form_events(stop_at="diagnosis"))
    assert ANSWERS["phone"] in stored_data(tracker_url, "rest:anna")

    await save_turns(store, "rest:anna", cancel_turn())

    data = stored_data(tracker_url, "rest:anna")
    assert leaked(data) == []
    assert '"[name]"' in data and '"[phone]"' in data
    # "cancel" came while the form asked for the diagnosis: replaced too (privacy first).
    assert '"text": "[diagnosis]"' in data


async def test_an_ordinary_turn_rewrites_nothing(urls, hooks) -> None:
    _, tracker_url = urls
    store = rasa_store(tracker_url)
    await save_turns(store, "rest:anna", form_events(stop_at="phone"))
    assert ANSWERS["email"] in stored_data(tracker_url, "rest:anna")
    assert "[name]" not in stored_data(tracker_url, "rest:anna")


def test_answers_outside_the_form_are_not_touched() -> None:
    events = [
        {"event": "user", "text": "what is MIBG?"},
        {"event": "active_loop", "name": FORM},
        {"event": "slot", "name": "requested_slot", "value": "full_name"},
        {"event": "user", "text": "Anna Kowalska"},
        {"event": "slot", "name": "full_name", "value": "Anna Kowalska"},
        {"event": "slot", "name": "requested_slot", "value": "country"},
        {"event": "user", "text": "Poland"},
        {"event": "active_loop", "name": None},
        {"event": "user", "text": "is Anna Kowalska a common name?"},
        {"event": "bot", "text": "Anna Kowalska: not sure"},
    ]
    values = transcripts.form_values(events)
    assert values == {"Anna Kowalska": "[name]"}
    new = transcripts.redact(events, values)
    assert [i for i, e in enumerate(new) if e is not None] == [3, 4]


async def test_another_workers_cached_tracker_does_not_bring_the_answers_back(urls, hooks) -> None:
    _, tracker_url = urls
    store, other_worker = rasa_store(tracker_url), rasa_store(tracker_url)
    await save_turns(store, "rest:anna", form_events())
    cached = await other_worker.retrieve("rest:anna")  # now in the other worker's cache
    assert cached.get_slot("full_name") == ANSWERS["full_name"]

    await save_turns(store, "rest:anna", submit_turn())

    seen = await other_worker.retrieve("rest:anna")
    assert seen.get_slot("full_name") == "[name]"
    assert leaked(json.dumps([e.as_dict() for e in seen.events])) == []
