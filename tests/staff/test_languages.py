"""Each conversation's language: list column and filter, transcript markers, overview breakdown.

The language is the tracker's ``language`` slot (set at session start, and right after a message
whose language is clear); a tracker without one is English.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Dict, List

import pytest
from sqlalchemy import insert, text

from bot.db import migrate
from bot.db.engine import get_engine
from bot.db.staff_models import ConversationSummary
from bot.web.staff import summaries
from bot.web.staff.filters import ConversationFilters
from bot.web.staff.tracker import Event
from tests.staff.conftest import Console, at, rows, senders, topic
from tests.support import sample_data
from tests.support.sample_data import Turn


def _fallback(text: str, **extra) -> Turn:
    return Turn(text, "nlu_fallback", 0.3, actions=("utter_default",), rewind=True, **extra)


def polyglot_scenario() -> Dict[str, sample_data.Conversation]:
    conversations = {
        # Written before the language slot existed: no slot event at all (stored without them).
        "old": sample_data.scripted("old-en", [topic("how much does it cost", "ask_costs")], at(5)),
        # The widget said nothing, the first message was German: "en" at session start, then "de".
        "greta": sample_data.scripted(
            "greta-de",
            [
                topic("was kostet das", "ask_costs", language="de"),
                _fallback("wie ist das wetter"),
                topic("welche nebenwirkungen", "ask_side_effects"),
            ],
            at(4),
        ),
        # Telegram's app language was Russian: "ru" at session start.
        "ivan": sample_data.scripted(
            "ivan-ru", [topic("сколько стоит", "ask_costs"), _fallback("погода")], at(3), "telegram"
        ),
        # English, then asked for German in the second message.
        "mixed": sample_data.scripted(
            "mixed-en-de",
            [
                topic("what is mibg", "ask_what_is_mibg"),
                topic("auf deutsch bitte, wie wirkt es", "ask_how_it_works", language="de"),
                topic("und die kosten", "ask_costs"),
            ],
            at(2),
        ),
        # German; a second session starts with "en" again until the German message sets "de".
        "return": sample_data.scripted(
            "return-de",
            [
                topic("was ist mibg", "ask_what_is_mibg", language="de"),
                topic("und die dosis", "ask_dosing", language="de", new_session=True),
            ],
            at(1),
        ),
    }
    conversations["ivan"].language = "ru"
    return conversations


@pytest.fixture()
def polyglots(console: Console) -> Dict[str, sample_data.Conversation]:
    found = polyglot_scenario()
    old = found.pop("old")
    console.add(*found.values())
    no_slot = [row for row in sample_data.tracker_rows(old) if row["type_name"] != "slot"]
    from rasa.core.tracker_store import SQLTrackerStore

    with console.tracker.begin() as connection:
        connection.execute(insert(SQLTrackerStore.SQLEvent.__table__), no_slot)
    return {**found, "old": old}


def test_list_shows_each_conversations_language(console: Console, polyglots) -> None:
    client = console.login()
    found = {row["sender_id"]: row for row in rows(client)}
    assert {sender: row["language"] for sender, row in found.items()} == {
        "old-en": "en",
        "greta-de": "de",
        "ivan-ru": "ru",
        "mixed-en-de": "de",
        "return-de": "de",
    }
    assert found["mixed-en-de"]["languages"] == ["de", "en"]
    assert found["return-de"]["languages"] == ["de"]  # the session's "en" answered nothing
    page = client.get("/staff/conversations").text
    assert "<th" in page and ">Language</th>" in page
    assert re.search(r'data-language="ru">Русский', page)
    assert re.search(r'data-language="de">Deutsch <span[^>]*>\+ en</span>', page)


def test_filter_by_language(console: Console, polyglots) -> None:
    client = console.login()
    assert set(senders(client, "language=de")) == {"greta-de", "mixed-en-de", "return-de"}
    assert senders(client, "language=ru") == ["ivan-ru"]
    assert senders(client, "language=en") == ["old-en"]
    assert len(senders(client, "language=fr")) == 5  # not a language we speak: ignored
    assert senders(client, "language=de&fallback=yes") == ["greta-de"]
    assert senders(client, "language=ru&fallback=no") == []
    page = client.get("/staff/conversations?language=ru").text
    assert '<option value="ru" selected>Русский</option>' in page


def test_language_is_kept_in_pagination_links(console: Console) -> None:
    people = [
        replace(
            sample_data.scripted(f"de-{n:02d}", [topic("was kostet das", "ask_costs")], at(n)),
            language="de",
        )
        for n in range(12)
    ]
    console.add(*people)
    filters = ConversationFilters.from_query({"language": "de", "fallback": "no"})
    assert filters.active and filters.as_query(page=2) == "fallback=no&language=de&page=2"
    assert ConversationFilters.from_query({"language": "xx"}).language == ""
    client = console.login()
    page = client.get("/staff/conversations?language=de").text
    assert "language=de&amp;page=2" in page
    assert len(senders(client, "language=de&page=2")) == 2


def test_transcript_marks_where_the_language_switched(console: Console, polyglots) -> None:
    client = console.login()
    page = client.get("/staff/conversations/mixed-en-de").text
    assert 'class="language" data-language="de">Deutsch</span>' in page
    assert "(started in English)" in page
    markers = re.findall(r'<div class="language-switch"[^>]*><span>([^<]*)</span>', page)
    assert markers == ["Language: English → Deutsch"]
    # The marker comes right before the message that switched.
    assert page.index("language-switch") < page.index("auf deutsch bitte") < page.index("und die")
    assert page.index("what is mibg") < page.index("language-switch")
    items = client.get("/staff/api/conversations/mixed-en-de").json()["items"]
    user = [item["language"] for item in items if item["kind"] == "user"]
    assert user == ["en", "de", "de"]
    switches = [item for item in items if item["kind"] == "language"]
    assert [(s["previous"], s["language"]) for s in switches] == [("en", "de")]


@pytest.mark.parametrize("sender", ["greta-de", "return-de", "ivan-ru", "old-en"])
def test_no_marker_without_a_switch_between_messages(
    console: Console, polyglots, sender: str
) -> None:
    client = console.login()
    page = client.get(f"/staff/conversations/{sender}").text
    assert "language-switch" not in page and "started in" not in page
    expected = {"greta-de": "de", "return-de": "de", "ivan-ru": "ru", "old-en": "en"}[sender]
    assert f'class="language" data-language="{expected}"' in page


def test_overview_by_language(console: Console, polyglots) -> None:
    client = console.login()
    figures = client.get("/staff/api/overview?days=30").json()
    by = {entry["language"]: entry for entry in figures["by_language"]}
    assert list(by) == ["en", "de", "ru"]
    assert {code: entry["conversations"] for code, entry in by.items()} == {
        "en": 1,
        "de": 3,
        "ru": 1,
    }
    # Turns by the language they were answered in: mixed's first one is English.
    assert {code: entry["user_messages"] for code, entry in by.items()} == {
        "en": 2,
        "de": 7,
        "ru": 2,
    }
    assert by["de"]["fallback_turns"] == 1 and abs(by["de"]["fallback_rate"] - 1 / 7) < 1e-4
    assert by["ru"]["fallback_turns"] == 1 and by["en"]["fallback_turns"] == 0
    assert dict(by["de"]["top_topics"]) == {
        "ask_costs": 2,
        "ask_side_effects": 1,
        "ask_how_it_works": 1,
        "ask_what_is_mibg": 1,
        "ask_dosing": 1,
    }
    assert dict(by["en"]["top_topics"]) == {"ask_costs": 1, "ask_what_is_mibg": 1}
    # The totals are the sums over the languages.
    assert figures["user_messages"] == sum(entry["user_messages"] for entry in by.values())
    assert dict(figures["top_topics"])["ask_costs"] == 4
    page = client.get("/staff/?days=30").text
    assert 'id="by-language"' in page
    assert '<a href="/staff/conversations?language=ru">Русский</a>' in page


def _events(conversation: sample_data.Conversation) -> List[Event]:
    found = []
    for number, row in enumerate(sample_data.tracker_rows(conversation), start=1):
        wanted = row["type_name"] == "user" or (
            row["type_name"] == "slot" and row["action_name"] == "language"
        )
        data = json.loads(row["data"]) if wanted else {}
        found.append(
            Event(
                number,
                row["sender_id"],
                row["type_name"],
                row["timestamp"],
                row["intent_name"],
                row["action_name"],
                data,
            )
        )
    return found


def test_a_switch_read_in_a_later_batch_still_moves_its_message() -> None:
    """The slot set after a message may arrive in the next refresh: the turn still moves."""
    events = _events(polyglot_scenario()["mixed"])
    second_user = [i for i, e in enumerate(events) if e.type_name == "user"][1]
    assert events[second_user + 1].action_name == "language"

    def folded(*batches: List[Event]) -> ConversationSummary:
        summary = summaries._new_summary(events[0])
        for batch in batches:
            summaries.fold(summary, batch, 0.35)
        return summary

    whole = folded(events)
    split = folded(events[: second_user + 1], events[second_user + 1 :])
    assert split.language == whole.language == "de"
    assert split.language_turns == whole.language_turns
    assert json.loads(whole.language_turns)["en"] == {
        "turns": 1,
        "fallbacks": 0,
        "intents": {"ask_what_is_mibg": 1},
    }


def test_migration_empties_old_summaries_so_they_are_rebuilt_with_languages(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'requests.db'}"
    migrate.upgrade(url, "0003")
    engine = get_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO conversation_summaries (sender_id, first_event_id, last_event_id,"
                " started_at, last_at, channel, sessions, user_messages, fallbacks, handoff,"
                " intents, fallback_texts, search_text, open_session_users)"
                " VALUES ('s', 1, 9, 0, 0, NULL, 1, 1, 0, 0, '{}', '[]', '', 0)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO summary_sync_state (id, source, last_event_id, reconciled_at)"
                " VALUES (1, 'sqlite:///t.db', 9, 5)"
            )
        )
    migrate.upgrade(url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM conversation_summaries")).scalar() == 0
        state = connection.execute(text("SELECT last_event_id FROM summary_sync_state")).scalar()
        assert state == 0
        assert connection.execute(text("SELECT language FROM conversation_summaries")).all() == []
    migrate.downgrade(url, "0003")
    engine.dispose()
