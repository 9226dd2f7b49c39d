"""A staff console on throw-away databases (SQLite, or PostgreSQL via ``postgres_url``).

The tracker's ``events`` table is created with Rasa's own ``SQLTrackerStore`` schema and filled
with events made by Rasa's event classes (``tests/support/sample_data.py``); the project database
is migrated with Alembic, as ``make run`` does.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Dict, Iterator, List, Optional

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from bot.db import migrate
from bot.db.engine import get_engine, session_factory
from bot.db.requests import save_request
from bot.staff_accounts import create_user
from bot.web.staff import create_staff_app
from bot.web.staff.config import StaffConfig
from tests.support import sample_data
from tests.support.sample_data import Turn

EMAIL = "coordinator@example.org"
PASSWORD = "correct horse battery staple"
NOW = datetime.now(timezone.utc).replace(microsecond=0)
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


@dataclass
class Console:
    """The app, its databases and a client; ``login()`` gives an authenticated client."""

    config: StaffConfig
    app: Starlette
    backend: str

    @property
    def sessions(self):
        return session_factory(self.config.database_url)

    @property
    def tracker(self):
        return get_engine(self.config.tracker_url)

    def client(self, **kwargs) -> TestClient:
        return TestClient(self.app, follow_redirects=False, **kwargs)

    def login(
        self, client: Optional[TestClient] = None, email: str = EMAIL, password: str = PASSWORD
    ) -> TestClient:
        client = client or self.client()
        token = csrf_of(client.get("/staff/login").text)
        reply = client.post(
            "/staff/login", data={"email": email, "password": password, "csrf_token": token}
        )
        assert reply.status_code == 303, reply.text
        return client

    def add(self, *conversations: sample_data.Conversation) -> None:
        """Store conversations' events and, through ``save_request``, their requests."""
        sample_data.store(self.tracker, None, conversations)
        for conversation in conversations:
            if conversation.request:
                save_request(self.sessions, conversation.request)


def make_console(database_url: str, tracker_url: str, backend: str, **overrides) -> Console:
    migrate.upgrade(database_url)
    sample_data.create_events_table(get_engine(tracker_url))
    create_user(session_factory(database_url), EMAIL, PASSWORD, reset=True)
    settings = {"page_size": 10, "reconcile_seconds": 0.0, **overrides}
    config = StaffConfig(
        database_url=database_url, tracker_url=tracker_url, secret_key="k" * 48, **settings
    )
    app = Starlette(routes=[Mount("/staff", create_staff_app(config))])
    return Console(config=config, app=app, backend=backend)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def console(request: pytest.FixtureRequest, tmp_path) -> Iterator[Console]:
    """An empty console (one staff account) on each database backend."""
    if request.param == "sqlite":
        database, tracker = (
            f"sqlite:///{tmp_path / 'requests.db'}",
            f"sqlite:///{tmp_path / 't.db'}",
        )
    else:
        database = tracker = request.getfixturevalue("postgres_url")
    made = make_console(database, tracker, request.param)
    yield made
    for url in {database, tracker}:
        get_engine(url).dispose()


def at(days_ago: float, hour: int = 10) -> datetime:
    """A moment ``days_ago`` days back, at a fixed hour (UTC) so dates are predictable."""
    return (NOW - timedelta(days=days_ago)).replace(hour=hour, minute=0, second=0)


def topic(text: str, intent: str, confidence: float = 0.9, **extra) -> Turn:
    return Turn(
        text, intent, confidence, actions=(f"utter_{intent.removeprefix('ask_')}",), **extra
    )


#: Names and details used across tests; one name is a spreadsheet formula (CSV injection).
FORMULA_NAME = "=cmd|' /C calc'!A0"


def scenario() -> Dict[str, sample_data.Conversation]:
    """Five people with known properties, for filter and content assertions."""
    form, details = sample_data.request_turns(
        random.Random(1),
        name=FORMULA_NAME,
        email="alice@example.org",
        country="Poland",
        diagnosis="paraganglioma",
        message="+49 call after 5pm",
    )
    conversations = {
        "alice": sample_data.scripted(
            "alice-0001",
            [
                Turn("hello", "greet", 0.97, actions=("utter_greet",)),
                topic("how much does it cost", "ask_costs", 0.95),
                *form,
            ],
            at(3),
            "socketio",
            details,
        ),
        "bob": sample_data.scripted(
            "bob-0002",
            [
                Turn(
                    "what's the weather in Berlin?",
                    "nlu_fallback",
                    0.35,
                    actions=("action_default_fallback", "utter_default"),
                    rewind=True,
                ),
                topic("what are the side effects", "ask_side_effects", 0.88),
            ],
            at(1),
            "telegram",
        ),
        "carol": sample_data.scripted(
            "carol-0003",
            [
                Turn(
                    "can i talk to a real person", "human_handoff", 0.97, actions=("utter_handoff",)
                ),
                topic("how many sessions 100% needed", "ask_dosing", 0.21),
            ],
            at(10),
            "rest",
        ),
        "dave": sample_data.scripted(
            "dave-0004",
            [
                Turn(
                    "does it work for neuroblastoma?",
                    "ask_tumour",
                    0.81,
                    entities=(("tumour", "neuroblastoma"),),
                    actions=("action_answer_tumour",),
                    slots=(("tumour", "neuroblastoma"),),
                    bot_texts=("It can, for neuroblastoma.",),
                ),
                Turn(
                    "and what about pheo",
                    "ask_tumour",
                    0.77,
                    entities=(("tumour", "pheochromocytoma"),),
                    actions=("action_answer_tumour",),
                    bot_texts=("Yes.",),
                    new_session=True,
                ),
            ],
            NOW - timedelta(hours=3),
            "socketio",
        ),
        "erin": sample_data.scripted("erin-0005", [], at(2), "socketio"),  # opened, never wrote
    }
    conversations["dave"].session_gap_hours = (1.0, 1.5)
    return conversations


@pytest.fixture()
def people(console: Console) -> Dict[str, sample_data.Conversation]:
    found = scenario()
    console.add(*found.values())
    return found


def rows(client: TestClient, query: str = "") -> List[dict]:
    reply = client.get(f"/staff/api/conversations?{query}")
    assert reply.status_code == 200, reply.text
    return reply.json()["conversations"]


def senders(client: TestClient, query: str = "") -> List[str]:
    return [row["sender_id"] for row in rows(client, query)]
