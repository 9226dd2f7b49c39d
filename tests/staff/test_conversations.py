"""The conversation list (filters, search, paging), the transcript, reviews and the audit trail."""

from __future__ import annotations

import random
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.db.staff_models import AuditEntry, ConversationReview
from tests.staff.conftest import NOW, Console, at, csrf_of, rows, senders
from tests.support import sample_data

BERLIN = ZoneInfo("Europe/Berlin")


def audit_rows(console: Console, action: str):
    with console.sessions() as session:
        return list(
            session.execute(select(AuditEntry).where(AuditEntry.action == action)).scalars()
        )


def test_list_shows_people_who_wrote_newest_first(console: Console, people) -> None:
    client = console.login()
    listed = rows(client)
    # erin opened the chat but never wrote: not a conversation to review.
    assert [row["sender_id"] for row in listed] == [
        "dave-0004",
        "bob-0002",
        "alice-0001",
        "carol-0003",
    ]
    by_sender = {row["sender_id"]: row for row in listed}
    alice = by_sender["alice-0001"]
    assert alice["channel"] == "socketio"
    assert alice["user_messages"] == 2 + 10  # greet, costs, then the request form's answers
    assert "ask_costs" in alice["topics"] and "request_treatment" in alice["topics"]
    assert "greet" not in alice["topics"] and "inform" not in alice["topics"]
    assert [link["status"] for link in alice["requests"]] == ["new"]
    assert alice["requests"][0]["reference"].startswith("MIBG-")
    assert (
        by_sender["bob-0002"]["fallbacks"] == 1 and by_sender["bob-0002"]["channel"] == "telegram"
    )
    # carol's ask_dosing at 0.21 is below the FallbackClassifier threshold: it counts.
    assert by_sender["carol-0003"]["fallbacks"] == 1 and by_sender["carol-0003"]["handoff"] is True
    assert by_sender["dave-0004"]["sessions"] == 2
    assert all(row["status"] == "unreviewed" for row in listed)


def test_filters(console: Console, people) -> None:
    client = console.login()
    assert senders(client, "request=yes") == ["alice-0001"]
    assert senders(client, "request=no") == ["dave-0004", "bob-0002", "carol-0003"]
    assert senders(client, "fallback=yes") == ["bob-0002", "carol-0003"]
    assert senders(client, "fallback=no") == ["dave-0004", "alice-0001"]
    assert senders(client, "handoff=yes") == ["carol-0003"]
    assert senders(client, "handoff=yes&fallback=no") == []
    day = lambda moment: moment.astimezone(BERLIN).date().isoformat()  # noqa: E731
    assert senders(client, f"from={day(at(3))}&to={day(at(1))}") == ["bob-0002", "alice-0001"]
    assert senders(client, f"from={day(at(1))}") == ["dave-0004", "bob-0002"]
    assert senders(client, f"to={day(at(10))}") == ["carol-0003"]
    # Malformed values are ignored rather than failing the page.
    assert len(senders(client, "from=yesterday&request=maybe&page=x")) == 4
    assert client.get("/staff/conversations?request=yes&fallback=no").status_code == 200


def test_search_over_what_users_wrote(console: Console, people) -> None:
    client = console.login()
    assert senders(client, "q=weather") == ["bob-0002"]
    assert senders(client, "q=WEATHER+berlin") == ["bob-0002"]  # every word, any case
    assert senders(client, "q=weather+neuroblastoma") == []
    assert senders(client, "q=neuroblastoma") == ["dave-0004"]
    assert senders(client, "q=100%25") == ["carol-0003"]  # "100%": LIKE wildcards are escaped
    assert senders(client, "q=%25") == ["carol-0003"]
    assert senders(client, "q=_") == []
    # What the bot said is not searched, only what people wrote.
    assert senders(client, "q=analogue") == []
    assert senders(client, "q=cost&request=yes") == ["alice-0001"]
    page = client.get("/staff/conversations?q=weather")
    assert "bob-0002" in page.text and "alice-0001" not in page.text


def test_pagination(console: Console) -> None:
    console.add(*sample_data.generate(23, seed=3, days=20, now=NOW))
    client = console.login()
    first = client.get("/staff/api/conversations").json()
    assert first["total"] == 23 and first["pages"] == 3 and len(first["conversations"]) == 10
    seen = []
    for page in (1, 2, 3):
        seen += senders(client, f"page={page}")
    assert len(seen) == len(set(seen)) == 23
    started = [row["started_at"] for page in (1, 2, 3) for row in rows(client, f"page={page}")]
    assert started == sorted(started, reverse=True)
    assert senders(client, "page=4") == []
    html = client.get("/staff/conversations?page=2").text
    assert "11–20 of 23" in html and "page=3" in html and "page=1" not in html.split("Newer")[0]


def test_sort_by_latest_activity(console: Console, people) -> None:
    later = sample_data.scripted(
        "carol-0003",
        [sample_data.Turn("thanks", "thanks", 0.9, actions=("utter_you_are_welcome",))],
        NOW - timedelta(minutes=5),
    )
    console.add(later)
    client = console.login()
    assert senders(client, "sort=activity")[0] == "carol-0003"
    assert senders(client)[-1] == "carol-0003"  # still started longest ago


def test_transcript_shows_turns_with_nlu_actions_and_slots(console: Console, people) -> None:
    client = console.login()
    reply = client.get("/staff/api/conversations/dave-0004")
    assert reply.status_code == 200
    items = reply.json()["items"]
    assert [item["kind"] for item in items if item["kind"] != "bot"] == [
        "session",
        "user",
        "session",
        "user",
    ]
    first = next(item for item in items if item["kind"] == "user")
    assert first["text"] == "does it work for neuroblastoma?"
    assert first["intent"] == "ask_tumour" and first["confidence"] == 0.81
    assert first["entities"] == [["tumour", "neuroblastoma"]]
    assert first["actions"] == ["action_answer_tumour"]
    assert ["tumour", "neuroblastoma"] in first["slots"]
    bot_texts = [item["text"] for item in items if item["kind"] == "bot"]
    assert "It can, for neuroblastoma." in bot_texts
    page = client.get("/staff/conversations/dave-0004")
    assert page.status_code == 200
    for text in (
        "does it work for neuroblastoma?",
        "ask_tumour",
        "0.81",
        "tumour=neuroblastoma",
        "action_answer_tumour",
        "Session 2",
    ):
        assert text in page.text, text


def test_transcript_marks_fallbacks_and_escapes_text(console: Console) -> None:
    console.add(
        sample_data.scripted(
            "mallory",
            [sample_data.fallback_turn(random.Random(0), "<script>alert(1)</script>")],
            at(1),
        )
    )
    client = console.login()
    html = client.get("/staff/conversations/mallory").text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "msg-fallback" in html


def test_viewing_a_transcript_is_audited(console: Console, people) -> None:
    client = console.login()
    assert audit_rows(console, "view_transcript") == []
    client.get("/staff/conversations/bob-0002")
    client.get("/staff/api/conversations/alice-0001")
    entries = audit_rows(console, "view_transcript")
    assert [(e.actor, e.target) for e in entries] == [
        ("coordinator@example.org", "bob-0002"),
        ("coordinator@example.org", "alice-0001"),
    ]
    assert '"format": "json"' in entries[1].detail
    # The list itself shows no message text, so it is not a transcript view.
    client.get("/staff/conversations")
    assert len(audit_rows(console, "view_transcript")) == 2


def test_unknown_conversation_is_404(console: Console, people) -> None:
    client = console.login()
    assert client.get("/staff/conversations/nobody").status_code == 404
    assert client.get("/staff/api/conversations/nobody").status_code == 404
    assert audit_rows(console, "view_transcript") == []


def test_review_tags_and_notes(console: Console, people) -> None:
    client = console.login()
    token = csrf_of(client.get("/staff/conversations/bob-0002").text)
    reply = client.post(
        "/staff/review/bob-0002",
        data={
            "csrf_token": token,
            "status": "reviewed",
            "tags": "Follow up, weather , follow-up,,",
            "notes": "Asked about the weather; add an answer?",
        },
    )
    assert reply.status_code == 303
    assert reply.headers["location"] == "/staff/conversations/bob-0002?notice=saved"
    with console.sessions() as session:
        review = session.get(ConversationReview, "bob-0002")
    assert review.status.value == "reviewed"
    assert review.tags == ",follow-up,weather,"
    assert review.reviewed_by == "coordinator@example.org"
    assert review.notes.startswith("Asked about")
    assert senders(client, "status=reviewed") == ["bob-0002"]
    assert "bob-0002" not in senders(client, "status=unreviewed")
    assert senders(client, "tag=weather") == ["bob-0002"]
    assert senders(client, "tag=Follow+Up") == ["bob-0002"]
    assert senders(client, "tag=follow") == []  # whole tags only
    page = client.get("/staff/conversations/bob-0002?notice=saved").text
    assert "Review saved." in page and "Asked about the weather" in page
    assert audit_rows(console, "review_conversation")[0].target == "bob-0002"
    # And back to unreviewed.
    client.post("/staff/review/bob-0002", data={"csrf_token": token, "status": "unreviewed"})
    assert senders(client, "status=reviewed") == []


def test_review_of_unknown_conversation_is_404(console: Console, people) -> None:
    client = console.login()
    token = csrf_of(client.get("/staff/").text)
    reply = client.post("/staff/review/nobody", data={"csrf_token": token, "status": "reviewed"})
    assert reply.status_code == 404


def test_sender_ids_with_slashes_and_spaces(console: Console) -> None:
    console.add(
        sample_data.scripted(
            "tg/42 a+b", [sample_data.topic_turn(random.Random(1), "ask_costs")], at(1)
        )
    )
    client = console.login()
    html = client.get("/staff/conversations").text
    assert "/staff/conversations/tg%2F42%20a%2Bb" in html
    assert client.get("/staff/conversations/tg%2F42%20a%2Bb").status_code == 200
    assert client.get("/staff/api/conversations/tg%2F42%20a%2Bb").json()["sender_id"] == "tg/42 a+b"
