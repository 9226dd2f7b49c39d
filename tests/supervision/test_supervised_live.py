"""The stack under supervisord (``python -m bot run``, what ``make run`` starts) survives a
``kill -9`` of the action server or of the Rasa server in the middle of a treatment request.

While the action server is away the patient hears the polite "not available" text and FAQ
answers go on; once it is back the form continues where it was and exactly one request is
stored. The Rasa server's conversation is in SQLite under the stack's var/, so a killed Rasa
server's replacement continues the same form. Timings are printed (``pytest -s``), not asserted
beyond "restarted within a few seconds": docs/processes.md has the measured figures.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Dict, Iterator, List

import pytest

from bot.supervision import commands
from tests.support.ports import free_ports
from tests.support.stack import MODEL, ROOT, LiveStack, prepared_stack, wait_for
from tests.test_rest_live import listed_requests

pytestmark = pytest.mark.rasa_server

#: Ports of this test (three consecutive free ones are taken).
PORTS = range(7100, 7200)
UNAVAILABLE = "That part is not available for a moment, please try again shortly."
COOLDOWN_S = 2.0


class Supervised(LiveStack):
    """A stack run by ``python -m bot run``; the supervisord process is ``processes[0]``."""

    def pid(self, program: str) -> int:
        out = subprocess.run(
            commands.bot("ctl", "pid", program),
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        return int(out.stdout.strip())

    def wait_for_new(
        self, program: str, old_pid: int, url: str, timeout: float
    ) -> Dict[str, float]:
        """Seconds until supervisord started a new ``program`` and until ``url`` answered."""
        started = time.monotonic()
        figures: Dict[str, float] = {}
        while "spawned" not in figures and time.monotonic() - started < timeout:
            try:
                if self.pid(program) not in (0, old_pid):
                    figures["spawned"] = time.monotonic() - started
            except (subprocess.CalledProcessError, ValueError):
                pass
            time.sleep(0.1)
        assert "spawned" in figures, f"{program} was not restarted within {timeout} s"
        wait_for(url, timeout, self.processes[0])
        figures["answers"] = time.monotonic() - started
        return figures


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Supervised]:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train`")
    var = tmp_path_factory.mktemp("supervised")
    stack = prepared_stack(var, *free_ports(3, PORTS), kind=Supervised)
    stack.logs = var / "log"
    env = stack.env
    env.update(ACTION_BREAKER_COOLDOWN_S=str(COOLDOWN_S), RETENTION_SCHEDULE="0")
    # Appending: supervisord and the ready check write to the same file from two processes.
    output = (var / "supervisord.out").open("ab")
    supervisord = subprocess.Popen(
        commands.bot("run"), cwd=ROOT, env=env, stdout=output, stderr=output
    )
    stack.processes = [supervisord]
    try:
        wait_for(f"{stack.action_url}/health", 60, supervisord)
        wait_for(f"{stack.rasa_url}/webhooks/rest/", 180, supervisord)
        wait_for(f"{stack.web_url}/healthz", 60, supervisord)
        yield stack
    finally:
        if supervisord.poll() is None:
            supervisord.terminate()
            try:
                supervisord.wait(timeout=40)
            except subprocess.TimeoutExpired:
                supervisord.kill()
        output.close()


def start_form(stack: Supervised, sender: str) -> None:
    for message, expected in [
        ("I want to apply for treatment", "Do you agree?"),
        ("yes", "full name"),
        ("Olena Example", "email"),
    ]:
        assert expected in stack.texts(sender, message), message


def finish_form(stack: Supervised, sender: str, steps: List[tuple]) -> str:
    for message, expected in steps:
        reply = stack.texts(sender, message)
        assert expected in reply, (message, reply)
    return reply.split("reference number is ")[1].split(".")[0]


AFTER_EMAIL = [
    ("+380 44 123 4567", "country"),
    ("I live in Ukraine", "diagnosis"),
    ("neuroblastoma", "Where would you like to be treated"),
    ("Germany", "Anything else"),
    ("no", "Please check your request"),
    ("yes", "MIBG-"),
]


def timed(stack: Supervised, sender: str, message: str) -> tuple:
    started = time.monotonic()
    reply = stack.texts(sender, message)
    return reply, time.monotonic() - started


def stored_for(stack: Supervised, sender: str) -> list:
    return [r for r in listed_requests(stack) if r["sender_id"] == f"rest:{sender}"]


def test_the_action_server_killed_mid_form(stack: Supervised) -> None:
    sender = f"kill-actions-{os.getpid()}"
    start_form(stack, sender)
    old = stack.pid("actions")
    os.kill(old, signal.SIGKILL)

    reply, answer_s = timed(stack, sender, "olena@example.com")
    assert UNAVAILABLE in reply and "email" in reply  # polite, and the same question again
    reply, faq_s = timed(stack, sender, "what are the side effects?")
    assert "nausea" in reply and "email" in reply  # answered in the Rasa process
    figures = stack.wait_for_new("actions", old, f"{stack.action_url}/health", 20)
    print(
        f"\naction server killed: form answer {answer_s * 1000:.0f} ms, FAQ {faq_s * 1000:.0f} ms,"
        f" restarted after {figures['spawned']:.1f} s, answering after {figures['answers']:.1f} s"
    )
    time.sleep(COOLDOWN_S)  # the breaker tries the action server again after its cool-down

    assert "phone" in stack.texts(sender, "olena@example.com")  # the form goes on
    reference = finish_form(stack, sender, AFTER_EMAIL)
    (record,) = stored_for(stack, sender)
    assert record["reference"] == reference
    assert record["full_name"] == "Olena Example"  # given before the kill, kept
    assert record["email"] == "olena@example.com"


def test_the_rasa_server_killed_mid_form(stack: Supervised) -> None:
    sender = f"kill-rasa-{os.getpid()}"
    start_form(stack, sender)
    assert "phone" in stack.texts(sender, "olena@example.com")
    old = stack.pid("rasa")
    os.kill(old, signal.SIGKILL)
    figures = stack.wait_for_new("rasa", old, f"{stack.rasa_url}/webhooks/rest/", 50)
    print(
        f"\nRasa server killed: restarted after {figures['spawned']:.1f} s,"
        f" answering after {figures['answers']:.1f} s"
    )
    # The conversation was in SQLite: the new server continues the form at the phone number.
    reference = finish_form(stack, sender, AFTER_EMAIL)
    (record,) = stored_for(stack, sender)
    assert record["reference"] == reference
    assert (record["full_name"], record["email"]) == ("Olena Example", "olena@example.com")


def test_a_stalled_action_server_costs_the_timeout_then_nothing(stack: Supervised) -> None:
    sender, outside = f"stall-{os.getpid()}", f"stall-faq-{os.getpid()}"
    start_form(stack, sender)
    pid = stack.pid("actions")
    os.kill(pid, signal.SIGSTOP)  # accepts connections, never answers
    try:
        faq_outside = timed(stack, outside, "what are the side effects?")
        answers = [timed(stack, sender, "olena@example.com")]
        answers += [timed(stack, sender, "what are the side effects?") for _ in range(3)]
    finally:
        os.kill(pid, signal.SIGCONT)
    assert "nausea" in faq_outside[0]
    assert UNAVAILABLE in answers[0][0]
    assert all("nausea" in reply and "email" in reply for reply, _ in answers[1:])
    print(
        f"\naction server stopped: FAQ outside the form {faq_outside[1] * 1000:.0f} ms;"
        f" in the form: answer {answers[0][1]:.1f} s, then FAQ "
        + ", ".join(f"{seconds:.2f} s" for _, seconds in answers[1:])
    )
    assert answers[-1][1] < 5  # the breaker is open: not even one timeout any more
    time.sleep(COOLDOWN_S)
    assert "phone" in stack.texts(sender, "olena@example.com")
    reference = finish_form(stack, sender, AFTER_EMAIL)
    assert [r["reference"] for r in stored_for(stack, sender)] == [reference]


def test_ctrl_c_stops_every_server(stack: Supervised) -> None:
    pids = [stack.pid(name) for name in ("actions", "rasa", "web")]
    supervisord = stack.processes[0]
    supervisord.send_signal(signal.SIGINT)  # what Ctrl-C in `make run`'s terminal sends
    assert supervisord.wait(timeout=40) == 0
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists(), f"process {pid} outlived supervisord"
    with pytest.raises(OSError):
        urllib.request.urlopen(f"{stack.rasa_url}/webhooks/rest/", timeout=2)
