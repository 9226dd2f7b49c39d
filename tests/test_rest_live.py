"""The REST channel on a running stack: bad input, a full request, and no personal data in logs."""

from __future__ import annotations

import json
import subprocess

import pytest

from bot.channels.text import SERVICE_ERROR_TEXT
from bot.supervision import commands
from tests.support.stack import ROOT, LiveStack

pytestmark = pytest.mark.rasa_server


def listed_requests(stack: LiveStack) -> list:
    """What ``python -m bot requests list --json`` prints for the stack's database."""
    listed = subprocess.run(
        commands.bot("requests", "list", "--json"),
        cwd=ROOT,
        env=stack.env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(listed.stdout)


POLITE = ("Sorry", "I can only help", "did not understand", "MIBG")


@pytest.mark.parametrize(
    "message",
    [
        "",
        "   \n\t ",
        "x" * 10_000,
        "😀🙏😢",
        "Wie viel kostet die Behandlung in Deutschland?",
        "Что такое MIBG терапия?",
        "\x00\x01",
    ],
    ids=["empty", "whitespace", "10k", "emoji", "german", "russian", "control"],
)
def test_bad_input_gets_a_polite_reply(live_stack: LiveStack, sender_id: str, message: str) -> None:
    status, body = live_stack.post(
        "/webhooks/rest/webhook", {"sender": sender_id, "message": message}
    )
    assert status == 200
    texts = " ".join(m.get("text", "") for m in body)
    assert texts and any(word in texts for word in POLITE), texts


@pytest.mark.parametrize(
    "payload,raw",
    [
        ({"message": "hello"}, None),
        ({"sender": "", "message": "hello"}, None),
        ({"sender": "a/b", "message": "hello"}, None),
        ({"sender": 42, "message": "hello"}, None),
        ({"sender": "x", "message": None}, None),
        (None, b"{not json"),
        (None, b"[1, 2]"),
        (None, b""),
    ],
    ids=[
        "no-sender",
        "empty-sender",
        "slash",
        "number",
        "no-message",
        "malformed",
        "array",
        "empty",
    ],
)
def test_malformed_requests_get_400(live_stack: LiveStack, payload, raw) -> None:
    status, _ = live_stack.post("/webhooks/rest/webhook", payload, raw=raw)
    assert status == 400


def test_no_shared_default_conversation(live_stack: LiveStack) -> None:
    live_stack.post("/webhooks/rest/webhook", {"message": "my name is Secret Person"})
    status, _ = live_stack.post("/webhooks/rest/webhook", {"sender": "default", "message": "hi"})
    assert status == 200  # "default" is an ordinary id; nothing was stored under it before
    assert "Secret Person" not in (live_stack.logs / "tracker.db").read_bytes().decode(
        errors="ignore"
    )


def test_oversized_body_is_refused(live_stack: LiveStack, sender_id: str) -> None:
    status, _ = live_stack.post(
        "/webhooks/rest/webhook", {"sender": sender_id, "message": "x" * 200_000}
    )
    assert status == 413


def test_full_request_over_rest_then_listed_by_the_cli(
    live_stack: LiveStack, sender_id: str
) -> None:
    script = [
        ("hi", "MIBG therapy assistant"),
        ("does mibg work for neuroblastoma?", "90%"),
        ("I want to apply for treatment", "Do you agree?"),
        ("yes", "full name"),
        ("what are the side effects?", "nausea"),
        ("Olena Shevchenko", "email"),
        ("olena.shevchenko@example", "does not look like an email"),
        ("Olena.Shevchenko@Example.com", "phone"),
        ("+380 44 123 4567", "country"),
        ("I live in Ukraine", "diagnosis"),
        ("neuroblastoma", "Where would you like to be treated"),
        ("Germany", "Anything else"),
        ("my son is 6 years old", "Please check your request"),
        ("yes", "MIBG-"),
    ]
    for message, expected in script:
        reply = live_stack.texts(sender_id, message)
        assert expected in reply, (message, reply)
    reference = reply.split("reference number is ")[1].split(".")[0]
    assert live_stack.texts(sender_id, "/request_treatment").count(reference) == 1

    (record,) = [r for r in listed_requests(live_stack) if r["reference"] == reference]
    assert record["sender_id"] == f"rest:{sender_id}"  # namespaced: no collision with messengers
    assert record["full_name"] == "Olena Shevchenko"
    assert record["email"] == "olena.shevchenko@example.com"
    assert record["phone"] == "+380 44 123 4567"
    assert record["country"] == "Ukraine"
    assert record["diagnosis"] == "Neuroblastoma"
    assert record["destination"] == "Germany"
    assert record["message"] == "my son is 6 years old"
    assert record["channel"] == "rest" and record["status"] == "new"

    for log in ("rasa.log", "actions.log"):
        text = (live_stack.logs / log).read_text(errors="ignore").lower()
        for value in ("shevchenko", "olena", "123 4567", "neuroblastoma"):
            assert value not in text, f"{value!r} in {log}"


def test_cancel_mid_form_stores_nothing(live_stack: LiveStack, sender_id: str) -> None:
    assert "Do you agree?" in live_stack.texts(sender_id, "please contact me")
    assert "full name" in live_stack.texts(sender_id, "yes")
    assert "email" in live_stack.texts(sender_id, "Piotr Nowak")
    assert "none of its details" in live_stack.texts(sender_id, "cancel")
    assert all(not r["sender_id"].endswith(sender_id) for r in listed_requests(live_stack))
    assert "metaiodobenzylguanidine" in live_stack.texts(sender_id, "what is mibg?")


def test_tumour_buttons_carry_working_payloads(live_stack: LiveStack, sender_id: str) -> None:
    (*_, answer) = live_stack.chat(sender_id, "/ask_candidates")
    payloads = {b["title"]: b["payload"] for b in answer["buttons"]}
    assert payloads["Pheochromocytoma"] == '/ask_tumour{"tumour": "pheochromocytoma"}'
    assert "88%" in live_stack.texts(sender_id, payloads["Pheochromocytoma"])
    # In the same conversation a tumour question without a tumour means the last one ...
    assert "88%" in live_stack.texts(sender_id, "/ask_tumour")
    # ... and in a new one, the assistant asks which tumour.
    assert "which one" in live_stack.texts(sender_id + "-new", "/ask_tumour").lower()


def test_a_lone_surrogate_gets_a_normal_answer(live_stack: LiveStack, sender_id: str) -> None:
    reply = live_stack.texts(sender_id, "\ud800 hi")
    assert "MIBG therapy assistant" in reply, reply  # the greeting, not the service error
    assert SERVICE_ERROR_TEXT not in reply


#: Typed payloads whose entity values are not strings (the NLU boundary drops them).
TYPED_PAYLOADS = [
    '/inform{"tumour": {"a": 1}}',
    '/inform{"tumour": [1,2,3]}',
    '/change_field{"form_field": 5}',
    '/ask_tumour{"tumour": {"a":1}}',
    '/ask_tumour{"tumour": "' + "x" * 5000 + '"}',
]
SENTINEL_NAME = "Zygmunt Sentinelski"
SENTINEL_EMAIL = "zygmunt.sentinel@example.org"


LOGS = ("rasa.log", "actions.log")


def log_sizes(stack: LiveStack) -> dict:
    return {log: (stack.logs / log).stat().st_size for log in LOGS}


def logged_since(stack: LiveStack, sizes: dict) -> str:
    """What the servers logged after ``sizes`` were taken, lower-cased."""
    parts = []
    for log in LOGS:
        with (stack.logs / log).open("rb") as stream:
            stream.seek(sizes[log])
            parts.append(stream.read().decode(errors="ignore").lower())
    return "\n".join(parts)


@pytest.mark.parametrize("payload", TYPED_PAYLOADS, ids=["dict", "list", "int", "ask", "long"])
@pytest.mark.parametrize("in_form", [False, True], ids=["chat", "form"])
def test_typed_payloads_get_a_polite_answer_and_log_nothing_personal(
    live_stack: LiveStack, sender_id: str, payload: str, in_form: bool
) -> None:
    sizes = log_sizes(live_stack)
    if in_form:  # personal details in the slots, then the payload at the phone step
        for message, expected in [
            ("I want to apply for treatment", "Do you agree?"),
            ("yes", "full name"),
            (SENTINEL_NAME, "email"),
            (SENTINEL_EMAIL, "phone"),
        ]:
            assert expected in live_stack.texts(sender_id, message)
    status, body = live_stack.post(
        "/webhooks/rest/webhook", {"sender": sender_id, "message": payload}
    )
    assert status == 200
    texts = " ".join(m.get("text") or "" for m in body)
    assert texts.strip(), body  # before: [] (the action server answered 500)
    assert SERVICE_ERROR_TEXT not in texts
    logged = logged_since(live_stack, sizes)
    for value in ("sentinelski", "zygmunt", "traceback", "error"):
        assert value not in logged, f"{value!r} in the logs"


def test_a_list_as_tumour_never_reaches_the_stored_request(
    live_stack: LiveStack, sender_id: str
) -> None:
    script = [
        ("I want to apply for treatment", "Do you agree?"),
        ("yes", "full name"),
        ("Ilse Beispiel", "email"),
        ("ilse.beispiel@example.de", "phone"),
        ("+49 30 1234567", "country"),
        ("Germany", "diagnosis"),
        ('/inform{"tumour": [1,2,3]}', "diagnosis"),  # asked again, nothing stored
        ("paraganglioma", "Where would you like to be treated"),
        ("Germany", "Anything else"),
        ("no", "Please check your request"),
        ("yes", "MIBG-"),
    ]
    for message, expected in script:
        reply = live_stack.texts(sender_id, message)
        assert expected in reply, (message, reply)
    (record,) = [r for r in listed_requests(live_stack) if r["sender_id"] == f"rest:{sender_id}"]
    assert record["diagnosis"] == "Paraganglioma"
