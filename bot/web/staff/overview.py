"""Figures for the overview page: volume per day, top topics, fallbacks and what fell back.

Computed from the summaries (one row per conversation) rather than from raw events, so a 90-day
overview of 10,000 conversations reads 10,000 small rows, not every event's JSON.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Dict, List, Tuple
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from bot.db.models import TreatmentRequest
from bot.db.staff_models import ConversationSummary as Summary
from bot.web.staff import languages
from bot.web.staff.config import NOT_TOPICS
from bot.web.staff.request_queries import as_utc

PERIODS = (7, 30, 90)
TOP = 10
#: Topics shown per language.
TOP_PER_LANGUAGE = 5


@dataclass(frozen=True)
class LanguageFigures:
    """One language's share: conversations in it now, and the user turns answered in it."""

    code: str
    name: str
    #: Conversations whose language (their newest user turn's) is this one: the list's filter.
    conversations: int
    user_messages: int
    fallback_turns: int
    top_topics: List[Tuple[str, int]]

    @property
    def fallback_rate(self) -> float:
        return self.fallback_turns / self.user_messages if self.user_messages else 0.0

    def as_json(self) -> Dict[str, object]:
        return {
            "language": self.code,
            "name": self.name,
            "conversations": self.conversations,
            "user_messages": self.user_messages,
            "fallback_turns": self.fallback_turns,
            "fallback_rate": round(self.fallback_rate, 4),
            "top_topics": self.top_topics,
        }


@dataclass(frozen=True)
class Overview:
    days: List[date]
    conversations_per_day: List[int]
    requests_per_day: List[int]
    conversations: int
    requests: int
    user_messages: int
    fallback_turns: int
    conversations_with_fallback: int
    handoffs: int
    top_topics: List[Tuple[str, int]]
    top_fallback_messages: List[Tuple[str, int]]
    #: Every known language, English first, also those without conversations in the period.
    by_language: List[LanguageFigures] = field(default_factory=list)

    @property
    def fallback_rate(self) -> float:
        return self.fallback_turns / self.user_messages if self.user_messages else 0.0

    def as_json(self) -> Dict[str, object]:
        return {
            "days": [day.isoformat() for day in self.days],
            "conversations_per_day": self.conversations_per_day,
            "requests_per_day": self.requests_per_day,
            "conversations": self.conversations,
            "requests": self.requests,
            "user_messages": self.user_messages,
            "fallback_turns": self.fallback_turns,
            "fallback_rate": round(self.fallback_rate, 4),
            "conversations_with_fallback": self.conversations_with_fallback,
            "handoffs": self.handoffs,
            "top_topics": self.top_topics,
            "top_fallback_messages": self.top_fallback_messages,
            "by_language": [figures.as_json() for figures in self.by_language],
        }


def normalise_message(text: str) -> str:
    """Group "Weather today?" with "weather today": lower case, single spaces, no end marks."""
    return re.sub(r"\s+", " ", text.strip().lower()).rstrip(" ?!.,;:")


def overview(
    sessions: sessionmaker, tz: ZoneInfo, days: int, today: date | None = None
) -> Overview:
    today = today or datetime.now(tz).date()
    first = today - timedelta(days=days - 1)
    start = datetime.combine(first, time.min, tz)
    end = datetime.combine(today + timedelta(days=1), time.min, tz)
    day_list = [first + timedelta(days=offset) for offset in range(days)]
    index = {day: offset for offset, day in enumerate(day_list)}
    per_day = [0] * days
    requests_per_day = [0] * days
    topics: Counter = Counter()
    fell_back: Counter = Counter()
    totals: Counter = Counter()
    conversations_in: Counter = Counter()
    turns_in: Counter = Counter()
    fallbacks_in: Counter = Counter()
    topics_in: Dict[str, Counter] = defaultdict(Counter)
    query = select(
        Summary.started_at,
        Summary.user_messages,
        Summary.fallbacks,
        Summary.handoff,
        Summary.intents,
        Summary.language,
        Summary.language_turns,
        Summary.fallback_texts,
    ).where(
        Summary.started_at >= start.timestamp(),
        Summary.started_at < end.timestamp(),
        Summary.user_messages > 0,
    )
    request_query = select(TreatmentRequest.created_at).where(
        TreatmentRequest.created_at >= start.astimezone(timezone.utc),
        TreatmentRequest.created_at < end.astimezone(timezone.utc),
    )
    with sessions() as session:
        for row in session.execute(query):
            started, messages, fallbacks, handoff, intents, language, stored, texts = row
            day = datetime.fromtimestamp(started, tz).date()
            per_day[index[day]] += 1
            totals.update(
                conversations=1,
                user_messages=messages,
                fallback_turns=fallbacks,
                with_fallback=1 if fallbacks else 0,
                handoffs=1 if handoff else 0,
            )
            conversations_in[language] += 1
            # The per-language intents add up to the conversation's ``intents``: the totals are
            # summed per language once at the end, and the non-topics dropped there too.
            stats = languages.unpack(stored, language, messages, fallbacks, intents or "{}")
            for code, counts in stats.items():
                turns_in[code] += counts.get("turns", 0)
                fallbacks_in[code] += counts.get("fallbacks", 0)
                topics_in[code].update(counts.get("intents") or {})
            if fallbacks:
                fell_back.update(normalise_message(text) for text in json.loads(texts or "[]"))
        for (created,) in session.execute(request_query):
            day = as_utc(created).astimezone(tz).date()
            if day in index:
                requests_per_day[index[day]] += 1
    fell_back.pop("", None)
    for counted in topics_in.values():
        for intent in NOT_TOPICS & counted.keys():
            del counted[intent]
        topics.update(counted)
    return Overview(
        days=day_list,
        conversations_per_day=per_day,
        requests_per_day=requests_per_day,
        conversations=totals["conversations"],
        requests=sum(requests_per_day),
        user_messages=totals["user_messages"],
        fallback_turns=totals["fallback_turns"],
        conversations_with_fallback=totals["with_fallback"],
        handoffs=totals["handoffs"],
        top_topics=topics.most_common(TOP),
        top_fallback_messages=fell_back.most_common(TOP),
        by_language=[
            LanguageFigures(
                code=code,
                name=languages.name(code),
                conversations=conversations_in[code],
                user_messages=turns_in[code],
                fallback_turns=fallbacks_in[code],
                top_topics=topics_in[code].most_common(TOP_PER_LANGUAGE),
            )
            for code in languages.known()
        ],
    )
