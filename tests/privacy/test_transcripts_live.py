"""Minimal transcripts on a running stack, over REST: after a stored request or a cancelled form
the events table holds placeholders instead of the form's answers; the request keeps them."""

from __future__ import annotations

import sqlite3

import pytest

from tests.privacy.test_privacy_live import mine
from tests.support.stack import LiveStack

pytestmark = pytest.mark.rasa_server

NAME, EMAIL, PHONE = "Zofia Placeholderska", "zofia.p@example.com", "+48 601 777 888"
MESSAGE = "Please call me after five pm"
PERSONAL = [NAME, EMAIL, PHONE, MESSAGE, "paraganglioma"]


def stored(stack: LiveStack, sender: str) -> str:
    with sqlite3.connect(stack.logs / "tracker.db") as db:
        rows = db.execute(
            "SELECT data FROM events WHERE sender_id = ? ORDER BY id", (f"rest:{sender}",)
        ).fetchall()
    assert rows
    return "\n".join(row[0] for row in rows)


def leaked(data: str, values=PERSONAL) -> list:
    return [value for value in values if value.lower() in data.lower()]


def converse(stack: LiveStack, sender: str, script) -> str:
    reply = ""
    for message, expected in script:
        reply = stack.texts(sender, message)
        assert expected in reply, (message, reply)
    return reply


FORM = [
    ("I want to apply for treatment", "Do you agree?"),
    ("yes", "full name"),
    (NAME, "email"),
    (EMAIL, "phone"),
    (PHONE, "country"),
    ("Poland", "diagnosis"),
    ("paraganglioma", "Where would you like to be treated"),
    ("Germany", "Anything else"),
    (MESSAGE, "Please check your request"),
]


def test_a_stored_request_leaves_placeholders_in_the_events(
    live_stack: LiveStack, sender_id: str
) -> None:
    converse(live_stack, sender_id, FORM)
    assert len(leaked(stored(live_stack, sender_id))) == len(PERSONAL)  # before: all there
    converse(live_stack, sender_id, [("yes", "MIBG-")])

    data = stored(live_stack, sender_id)
    assert leaked(data) == [], leaked(data)
    for placeholder in ("[name]", "[email]", "[phone]", "[diagnosis]", "[message]"):
        assert placeholder in data, placeholder
    assert "Poland" in data  # country is not personal here (kept with the request)
    (record,) = mine(live_stack, sender_id)
    assert (record["full_name"], record["email"], record["phone"]) == (NAME, EMAIL, PHONE)
    assert (record["diagnosis"], record["message"]) == ("Paraganglioma", MESSAGE)

    # The conversation goes on; the old answers do not come back from the cache.
    follow_up = live_stack.texts(sender_id, "how long does the hospital stay take?")
    assert follow_up and "went wrong" not in follow_up and "could not process" not in follow_up
    again = live_stack.texts(sender_id, "/request_treatment")
    assert NAME not in again and EMAIL not in again
    assert leaked(stored(live_stack, sender_id), [NAME, EMAIL, PHONE, MESSAGE]) == []


def test_a_cancelled_form_leaves_placeholders_in_the_events(
    live_stack: LiveStack, sender_id: str
) -> None:
    converse(live_stack, sender_id, FORM[:5])
    assert len(leaked(stored(live_stack, sender_id))) == 3
    converse(live_stack, sender_id, [("cancel", "stored none of its details")])

    data = stored(live_stack, sender_id)
    assert leaked(data) == [], leaked(data)
    assert "[name]" in data and "[email]" in data and "[phone]" in data
    assert mine(live_stack, sender_id) == []
    follow_up = live_stack.texts(sender_id, "what is MIBG therapy?")
    assert follow_up and "went wrong" not in follow_up and "could not process" not in follow_up
    assert leaked(stored(live_stack, sender_id), [NAME, EMAIL, PHONE]) == []
