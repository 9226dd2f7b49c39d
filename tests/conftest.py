"""Shared fixtures: a live stack (Rasa + action server + web) on free ports, and databases.

The live stack starts once per test session and only when a test asks for it; it uses the
trained model in ``models/`` (``make test`` trains it first) and throw-away SQLite files.
"""

from __future__ import annotations

import uuid
from typing import AsyncIterator, Callable, Iterator, List, Optional

import pytest

from bot.rasa_patches import tf_free

# The runtime venv has no TensorFlow (requirements.lock): Rasa's modules that import it get the
# placeholders of bot/rasa_patches/tf_free.py, before any test imports Rasa.
tf_free.stand_in_where_not_installed()

# Imported after the stand-in: they import Rasa.
from tests.support.chat import ChatClient  # noqa: E402
from tests.support.ports import free_port  # noqa: E402
from tests.support.postgres import throwaway_database  # noqa: E402
from tests.support.stack import MODEL, LiveStack, prepared_stack, running  # noqa: E402


@pytest.fixture(scope="session")
def live_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train`")
    workdir = tmp_path_factory.mktemp("live")
    with running(prepared_stack(workdir, free_port(), free_port(), free_port())) as stack:
        yield stack


@pytest.fixture()
async def chat(live_stack: LiveStack) -> AsyncIterator[Callable[..., ChatClient]]:
    """Makes socket.io clients of the live stack (``chat()``, ``chat(origin=None)``); closes
    them all after the test."""
    clients: List[ChatClient] = []

    def make(origin: Optional[str] = live_stack.web_url) -> ChatClient:
        client = ChatClient(live_stack.rasa_url, origin)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


@pytest.fixture()
def sender_id() -> str:
    """A fresh conversation id per test."""
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture()
def postgres_url() -> Iterator[str]:
    """A throw-away PostgreSQL database on this machine's server, dropped afterwards."""
    with throwaway_database() as url:
        yield url
