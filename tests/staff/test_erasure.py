"""Erasing one person from the console: confirm step, everything gone, audit row kept."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import func, select, text

from bot.db.models import TreatmentRequest
from bot.db.staff_models import AuditEntry, ConversationReview, ConversationSummary
from tests.staff.conftest import NOW, Console, csrf_of, rows, senders
from tests.support import sample_data


def count_events(console: Console, sender: str) -> int:
    with console.tracker.connect() as connection:
        return connection.execute(
            text("SELECT count(*) FROM events WHERE sender_id = :s"), {"s": sender}
        ).scalar_one()


def test_erase_with_confirmation(console: Console, people) -> None:
    client = console.login()
    transcript = client.get("/staff/conversations/alice-0001").text
    token = csrf_of(transcript)
    client.post(
        "/staff/review/alice-0001",
        data={"csrf_token": token, "status": "reviewed", "tags": "vip", "notes": "called her"},
    )
    assert count_events(console, "alice-0001") > 0
    assert 'href="/staff/erase/alice-0001"' in transcript

    confirm = client.get("/staff/erase/alice-0001")
    assert confirm.status_code == 200
    assert "12 user messages" in confirm.text and "1 treatment request," in confirm.text
    assert count_events(console, "alice-0001") > 0  # looking at the confirm page erases nothing

    reply = client.post("/staff/erase/alice-0001", data={"csrf_token": csrf_of(confirm.text)})
    assert reply.status_code == 303
    assert reply.headers["location"] == "/staff/conversations?notice=erased"
    assert "were erased" in client.get(reply.headers["location"]).text

    assert count_events(console, "alice-0001") == 0
    with console.sessions() as session:
        assert (
            session.execute(
                select(func.count()).where(TreatmentRequest.sender_id == "alice-0001")
            ).scalar_one()
            == 0
        )
        assert session.get(ConversationReview, "alice-0001") is None
        assert session.get(ConversationSummary, "alice-0001") is None
        entry = session.execute(
            select(AuditEntry).where(AuditEntry.action == "erase_person")
        ).scalar_one()
    assert (entry.actor, entry.target) == ("coordinator@example.org", "alice-0001")
    assert '"requests": 1' in entry.detail and '"events": ' in entry.detail
    assert "alice-0001" not in senders(client)
    assert senders(client, "request=yes") == []
    assert client.get("/staff/conversations/alice-0001").status_code == 404
    assert client.get("/staff/api/requests").json()["total"] == 0
    # Others are untouched.
    assert count_events(console, "bob-0002") > 0
    assert set(senders(client)) == {"bob-0002", "carol-0003", "dave-0004"}


def test_erasing_the_newest_events_does_not_hide_later_ones(console: Console, people) -> None:
    """SQLite reuses the ids of deleted rows at the end of the table; nothing may be missed."""
    rng = random.Random(5)
    console.add(sample_data.scripted("zed-0007", [sample_data.topic_turn(rng)], NOW))
    client = console.login()
    assert senders(client)[0] == "zed-0007"
    token = csrf_of(client.get("/staff/erase/zed-0007").text)
    client.post("/staff/erase/zed-0007", data={"csrf_token": token})
    # More events than were erased: some reuse the erased ids, the rest are above them.
    turns = [sample_data.topic_turn(rng, "ask_costs")] + [sample_data.tumour_turn(rng)] * 7
    console.add(sample_data.scripted("frank-0006", turns, NOW - timedelta(minutes=30)))
    listed = rows(client)
    assert listed[0]["sender_id"] == "frank-0006"
    assert listed[0]["user_messages"] == 8
    assert listed[0]["topics"] == ["ask_tumour", "ask_costs"]


def test_erase_unknown_person_is_404_and_erases_nothing(console: Console, people) -> None:
    client = console.login()
    assert client.get("/staff/erase/nobody").status_code == 404
    token = csrf_of(client.get("/staff/").text)
    reply = client.post("/staff/erase/nobody", data={"csrf_token": token})
    assert reply.headers["location"].endswith("notice=nothing")
    assert len(senders(client)) == 4


def test_erased_from_the_command_line_disappears_from_the_list(console: Console, people) -> None:
    from bot.privacy.erasure import erase_person

    client = console.login()
    token = csrf_of(client.get("/staff/conversations/bob-0002").text)
    client.post("/staff/review/bob-0002", data={"csrf_token": token, "notes": "rang back"})
    erase_person("bob-0002", console.config.database_url, console.config.tracker_url)
    assert "bob-0002" not in senders(client)  # reconcile_seconds=0 in the tests
    with console.sessions() as session:
        assert session.get(ConversationReview, "bob-0002") is None  # the notes went too
