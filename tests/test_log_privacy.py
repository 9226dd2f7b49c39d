"""Nothing personal in the server logs on the failure paths (bot/log_privacy.py).

Sentinel personal values go through the paths where the libraries log request bodies, tracker
dumps or message text: an action server that answers 500 with the request echoed (as rasa_sdk's
own error handler does), an action server that is down, a failing action in our action server,
and Rasa's parser warning for a "/" message that is not an intent. Then the log files are
searched: no sentinel may appear.
"""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import pytest

from bot import log_privacy
from bot.supervision import commands
from tests.support.ports import free_port
from tests.support.stack import MODEL, LiveStack, start_process, stop_processes, wait_for
from tests.test_action_server import call, forged_submit, token

SENTINEL_NAME = "Quirinus Sentinelberg"
SENTINEL_EMAIL = "quirinus.sentinel@example.net"
SENTINEL_PHONE = "+49 30 9876543"
SENTINELS = ("quirinus", "sentinelberg", "sentinel@", "9876543", "98 765")


def assert_no_sentinels(*logs: Path) -> None:
    for log in logs:
        text = log.read_text(errors="ignore").lower()
        for value in SENTINELS:
            assert value not in text, f"{value!r} in {log.name}"


# ---------------------------------------------------------------- the filter itself


@pytest.mark.parametrize(
    "message",
    [
        '500, Internal Server Error, body=\'b\'{"request_body": {"slots": '
        + json.dumps({"full_name": SENTINEL_NAME})
        + "}}''",
        json.dumps({"event": "message.parsing.failed", "user_text": "/" + SENTINEL_EMAIL}),
        "message.parsing.failed         user_text=/" + SENTINEL_EMAIL,
        "message.parsing.failed \x1b[36muser_text\x1b[0m=\x1b[35m/" + SENTINEL_NAME + "\x1b[0m",
        f"x.py:100: UserWarning: Failed to parse arguments in line '/{SENTINEL_EMAIL}'. Expected",
        'Tracker: {"sender_id": "s", "slots": {"full_name": "' + SENTINEL_NAME + '"}}',
        f"call {SENTINEL_PHONE} or write to {SENTINEL_EMAIL}",
        f"Received user message 'I am {SENTINEL_NAME}' with intent '{{'name': 'inform'}}'",
    ],
    ids=[
        "body",
        "structlog-json",
        "structlog-text",
        "structlog-terminal",
        "warning",
        "tracker",
        "contact",
        "text",
    ],
)
def test_personal_parts_are_redacted(message: str) -> None:
    redacted = log_privacy.redact(message).lower()
    for value in SENTINELS:
        assert value not in redacted, redacted


def test_operator_facts_are_kept() -> None:
    kept = "Action endpoint is up and running on http://127.0.0.1:5055 (2026-12-01, 3 actions)"
    assert log_privacy.redact(kept) == kept
    as_json = json.loads(log_privacy.redact(json.dumps({"event": "x.y", "text": "secret"})))
    assert as_json == {"event": "x.y", "text": log_privacy.REDACTED}


def test_a_traceback_keeps_its_frames_but_not_the_messages(caplog) -> None:
    log_privacy.install()
    logger = logging.getLogger("rasa_sdk.endpoint")
    try:
        try:
            {}[SENTINEL_EMAIL]
        except KeyError as error:
            raise RuntimeError(f"for {SENTINEL_NAME}") from error
    except RuntimeError:
        with caplog.at_level(logging.ERROR, logger="rasa_sdk"):
            logger.exception("failed: %s", "<Request: POST /webhook>")
    text = caplog.text.lower()
    assert "keyerror: <redacted>" in text and "runtimeerror: <redacted>" in text
    assert "test_log_privacy.py" in text and "post /webhook" in text  # frames, message stay
    for value in SENTINELS:
        assert value not in text


# ---------------------------------------------------------------- live failure paths


class EchoingActionServer(BaseHTTPRequestHandler):
    """Answers every call with 500 and the request echoed, as rasa_sdk's error handler does."""

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        answer = json.dumps({"error": "boom", "request_body": json.loads(body or b"null")})
        self.send_response(500)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(answer.encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def rasa_with_failing_actions(live_stack: LiveStack, tmp_path_factory) -> Iterator[tuple]:
    """serve-rasa whose action server first answers 500 with the request echoed, then is down."""
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train`")
    workdir = tmp_path_factory.mktemp("failing-actions")
    echo = ThreadingHTTPServer(("127.0.0.1", 0), EchoingActionServer)
    threading.Thread(target=echo.serve_forever, daemon=True).start()
    rasa_port = free_port()
    env = {
        **live_stack.env,
        "RASA_PORT": str(rasa_port),
        "ACTION_PORT": str(echo.server_address[1]),
        "TRACKER_DATABASE_URL": f"sqlite:///{workdir / 'tracker.db'}",
        "VAR_DIR": str(workdir),
    }
    stack = LiveStack(f"http://127.0.0.1:{rasa_port}", "", "", env, workdir)
    stack.processes = [start_process(commands.serve("rasa"), env, workdir / "rasa.log")]
    try:
        wait_for(f"{stack.rasa_url}/webhooks/rest/", 180, stack.processes[0])
        yield stack, echo
    finally:
        echo.shutdown()
        echo.server_close()
        stop_processes(stack.processes)


def introduce(stack: LiveStack, sender: str) -> None:
    """Personal details in a message, then one that needs a custom action (Rasa sends it all)."""
    for message in (
        f"my name is {SENTINEL_NAME}, {SENTINEL_EMAIL}, {SENTINEL_PHONE}",
        # The form's validation runs on the action server (questions are answered in-process,
        # bot/rasa_patches/local_actions.py), so this is the call that fails.
        "/request_treatment",
    ):
        status, _ = stack.post("/webhooks/rest/webhook", {"sender": sender, "message": message})
        assert status == 200


def test_an_action_server_500_and_then_no_action_server_leave_nothing_personal(
    rasa_with_failing_actions: tuple,
) -> None:
    stack, echo = rasa_with_failing_actions
    log = stack.logs / "rasa.log"
    introduce(stack, "privacy-500")
    logged = log.read_text(errors="ignore")
    # The 500: the Rasa server answers for the action (bot/rasa_patches/action_client.py),
    # naming no more than the action and the status.
    assert "could not run validate_treatment_request_form (HTTP 500)" in logged
    echo.shutdown()
    echo.server_close()
    size = log.stat().st_size
    introduce(stack, "privacy-down")
    assert "(ClientConnectorError)" in log.read_text(errors="ignore")[size:]  # the down path
    assert_no_sentinels(log)


def test_the_parser_warning_for_a_slash_message_leaves_nothing_personal(
    live_stack: LiveStack, sender_id: str
) -> None:
    messages = (
        f"/{SENTINEL_EMAIL}",  # not an intent: Rasa's "Failed to parse arguments" warning
        f"/inform{{{SENTINEL_NAME}}}",  # entities that are not JSON: the same warning
        f"/{SENTINEL_PHONE}",
        f"/{{{SENTINEL_NAME}}}",  # no intent at all: structlog's message.parsing.failed
    )
    for message in messages:
        assert live_stack.texts(sender_id, message).strip()
    log = live_stack.logs / "rasa.log"
    logged = log.read_text(errors="ignore")
    assert "Failed to parse arguments in line" in logged and "message.parsing.failed" in logged
    assert_no_sentinels(log)


def test_a_failing_action_leaves_nothing_personal_in_the_action_server_log(
    live_stack: LiveStack, sender_id: str
) -> None:
    payload = forged_submit(sender_id)
    slots = payload["tracker"]["slots"]
    slots.update(full_name=SENTINEL_NAME, email=SENTINEL_EMAIL, consent_at=SENTINEL_EMAIL)
    status, body = call(
        live_stack, "/webhook", payload, {"Authorization": f"Bearer {token(live_stack)}"}
    )
    assert status == 500
    assert_no_sentinels(live_stack.logs / "actions.log")


@pytest.mark.parametrize(
    "kept",
    [
        "[[ 2  0  0  0  0  0  0  0  0  0  0  0  0  0]",
        "Correct:          79 / 79",
        "trained in 26 s; 12345678 events",
        "listening on 127.0.0.1:5055",
    ],
)
def test_numbers_that_are_no_phone_numbers_are_kept(kept: str) -> None:
    assert log_privacy.redact(kept) == kept


@pytest.mark.parametrize(
    "phone", ["+49 30 9876543", "+380441234567", "030 987 6543", "0049 30 9876543"]
)
def test_phone_numbers_are_masked(phone: str) -> None:
    assert log_privacy.redact(f"call {phone} now") == "call <phone> now"
