"""Several Rasa workers sharing a Redis lock store keep every conversation whole.

Each REST call below opens a new connection, so consecutive messages of one conversation land
on either worker; a worker that answered from an out-of-date conversation
(bot/rasa_patches/tracker_cache.py) or without the shared lock would take a wrong turn in the form.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterator

import pytest

from bench.stack import redis_answers
from tests.support.ports import free_port
from tests.support.stack import MODEL, LiveStack, prepared_stack, running

REDIS_URL = "redis://127.0.0.1:6379/1"

SCRIPT = [
    ("hi", "MIBG therapy assistant"),
    ("what are the side effects?", "nausea"),
    ("I want to apply for treatment", "Do you agree?"),
    ("yes", "full name"),
    ("Anna Example", "email"),
    ("anna@example.com", "phone"),
    ("+49 30 1234567", "country"),
    ("Germany", "diagnosis"),
    ("pheochromocytoma", "Where would you like to be treated"),
    ("Germany", "Anything else"),
    ("no", "Please check your request"),
    ("yes", "MIBG-"),
]


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train`")
    if not redis_answers(REDIS_URL):
        pytest.fail(f"Redis does not answer at {REDIS_URL}")
    workdir = tmp_path_factory.mktemp("workers")
    stack = prepared_stack(
        workdir,
        free_port(),
        free_port(),
        RASA_WORKERS="2",
        LOCK_STORE_URL=REDIS_URL,
        LOCK_STORE_PREFIX=f"test{uuid.uuid4().hex[:8]}",
    )
    with running(stack, web=False):
        yield stack


def children(pid: int) -> list:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return path.read_text().split() if path.exists() else []


def converse(stack: LiveStack, sender: str) -> str:
    for message, expected in SCRIPT:
        reply = stack.texts(sender, message)
        assert expected in reply, (sender, message, reply)
    return reply


def test_two_workers_serve_whole_conversations(two_workers: LiveStack) -> None:
    rasa = two_workers.processes[1]
    assert len(children(rasa.pid)) >= 2, "serve-rasa did not start two worker processes"
    senders = [f"workers-{uuid.uuid4().hex[:10]}" for _ in range(6)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        replies = list(pool.map(lambda sender: converse(two_workers, sender), senders))
    references = {reply.split("reference number is ")[1].split(".")[0] for reply in replies}
    assert len(references) == 6
    log = (two_workers.logs / "rasa.log").read_text(errors="ignore")
    assert "Traceback" not in log
