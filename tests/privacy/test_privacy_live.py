"""Privacy requests over REST on a running stack: erasure leaves no trace, "No, keep" keeps
everything, withdrawal, and "what do you store about me" shows only the own request."""

from __future__ import annotations

import json
import sqlite3

import pytest

from tests.support.stack import LiveStack
from tests.test_rest_live import listed_requests

pytestmark = pytest.mark.rasa_server


def full_request(stack: LiveStack, sender: str, name: str, email: str) -> str:
    """A complete treatment request over REST; returns its reference."""
    script = [
        ("I want to apply for treatment", "Do you agree?"),
        ("yes", "full name"),
        (name, "email"),
        (email, "phone"),
        ("+48 601 234 567", "country"),
        ("Poland", "diagnosis"),
        ("paraganglioma", "Where would you like to be treated"),
        ("Germany", "Anything else"),
        ("no", "Please check your request"),
        ("yes", "MIBG-"),
    ]
    for message, expected in script:
        reply = stack.texts(sender, message)
        assert expected in reply, (message, reply)
    return reply.split("reference number is ")[1].split(".")[0]


def events_of(stack: LiveStack, sender: str) -> int:
    with sqlite3.connect(stack.logs / "tracker.db") as db:
        return db.execute(
            "SELECT count(*) FROM events WHERE sender_id = ?", (f"rest:{sender}",)
        ).fetchone()[0]


def audit_rows(stack: LiveStack) -> list:
    with sqlite3.connect(stack.logs / "requests.db") as db:
        return db.execute("SELECT actor, action, target, detail FROM audit_log").fetchall()


def mine(stack: LiveStack, sender: str) -> list:
    return [r for r in listed_requests(stack) if r["sender_id"] == f"rest:{sender}"]


def test_delete_all_my_data_leaves_no_trace(live_stack: LiveStack, sender_id: str) -> None:
    reference = full_request(live_stack, sender_id, "Marta Erasmus", "marta.erasmus@example.com")
    assert len(mine(live_stack, sender_id)) == 1 and events_of(live_stack, sender_id) > 0

    explained = live_stack.chat(sender_id, "please delete all my data")
    text = "\n".join(m.get("text", "") for m in explained)
    assert "Shall I delete it?" in text and "treatment requests (1)" in text, text
    titles = [b["title"] for m in explained for b in m.get("buttons", [])]
    assert titles == ["Yes, delete", "No, keep"]

    done = live_stack.texts(sender_id, "/affirm")  # the "Yes, delete" button
    assert "Your data was deleted on" in done and " UTC" in done, done
    assert "Marta" not in done and reference not in done

    assert mine(live_stack, sender_id) == []
    assert reference not in str(listed_requests(live_stack))
    assert events_of(live_stack, sender_id) == 0  # this turn's events were not written either
    patient_entries = [row for row in audit_rows(live_stack) if row[0] == "patient"]
    actor, action, target, detail = patient_entries[-1]  # tests share the stack: the newest
    assert (actor, action, target) == ("patient", "erase_person", "rest")
    assert json.loads(detail)["requests"] == 1 and json.loads(detail)["events"] > 0
    assert sender_id not in detail and "marta" not in detail.lower()

    # The next message starts a new conversation: nothing of the old one comes back (cache).
    assert "No treatment request is stored" in live_stack.texts(
        sender_id, "what do you store about me"
    )
    assert "Marta" not in live_stack.texts(sender_id, "/request_treatment")
    with sqlite3.connect(live_stack.logs / "tracker.db") as db:
        rows = db.execute(
            "SELECT data FROM events WHERE sender_id = ?", (f"rest:{sender_id}",)
        ).fetchall()
    assert rows and not any("Marta" in row[0] or "delete all my data" in row[0] for row in rows)


def test_no_keep_keeps_everything(live_stack: LiveStack, sender_id: str) -> None:
    reference = full_request(live_stack, sender_id, "Jonas Behalten", "jonas.b@example.com")
    before = events_of(live_stack, sender_id)
    assert "Shall I delete it?" in live_stack.texts(sender_id, "forget me")
    assert "deleted nothing" in live_stack.texts(sender_id, "/deny")  # the "No, keep" button
    (record,) = mine(live_stack, sender_id)
    assert record["reference"] == reference and record["full_name"] == "Jonas Behalten"
    assert events_of(live_stack, sender_id) > before


def test_what_do_you_store_shows_only_the_own_request(
    live_stack: LiveStack, sender_id: str
) -> None:
    other = sender_id + "-other"
    own = full_request(live_stack, sender_id, "Ewa Eigen", "ewa.eigen@example.com")
    theirs = full_request(live_stack, other, "Piotr Fremd", "piotr.fremd@example.com")
    reply = live_stack.texts(sender_id, "what do you store about me")
    assert own in reply and "Ewa Eigen" in reply and "ewa.eigen@example.com" in reply, reply
    assert theirs not in reply and "Piotr" not in reply
    assert "delete my data" in reply
    assert "No treatment request is stored" in live_stack.texts(
        sender_id + "-new", "what do you store about me"
    )


def test_erasure_said_inside_the_form(live_stack: LiveStack, sender_id: str) -> None:
    assert "Do you agree?" in live_stack.texts(sender_id, "please contact me")
    assert "full name" in live_stack.texts(sender_id, "yes")
    assert "email" in live_stack.texts(sender_id, "Lena Formular")
    explained = live_stack.texts(sender_id, "I withdraw my consent")
    assert "Shall I delete it?" in explained and "No treatment request" in explained, explained
    kept = live_stack.texts(sender_id, "no")
    assert "deleted nothing" in kept and "email" in kept, kept  # the form goes on at its step
    assert "Shall I delete it?" in live_stack.texts(sender_id, "erase everything about me")
    assert "Your data was deleted on" in live_stack.texts(sender_id, "yes")
    assert events_of(live_stack, sender_id) == 0
    assert mine(live_stack, sender_id) == []


def test_withdrawing_consent_cancels_the_pending_request(
    live_stack: LiveStack, sender_id: str
) -> None:
    reference = full_request(live_stack, sender_id, "Karl Widerruf", "karl.w@example.com")
    assert "withdraw your consent?" in live_stack.texts(sender_id, "I withdraw my consent")
    done = live_stack.texts(sender_id, "yes")
    assert "consent was withdrawn" in done and "UTC" in done, done
    (record,) = mine(live_stack, sender_id)
    assert record["reference"] == reference and record["status"] == "closed"
    assert record["full_name"] is None and record["email"] is None and record["phone"] is None
    assert events_of(live_stack, sender_id) > 0  # the conversation was not asked to be deleted
