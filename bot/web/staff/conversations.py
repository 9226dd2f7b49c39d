"""The conversation list (from the summaries) and one person's transcript (from the events).

A "conversation" here is everything one ``sender_id`` wrote, across sessions: requests, reviews
and erasure are all per sender, so the console is too. Sessions show as dividers in the
transcript.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Dict, List, Sequence, Tuple

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from bot.db.models import TreatmentRequest
from bot.db.staff_models import ConversationReview, ConversationSummary, ReviewStatus
from bot.web.staff import languages
from bot.web.staff.config import NOT_TOPICS
from bot.web.staff.filters import ConversationFilters, day_bounds, like_pattern
from bot.web.staff.tracker import Event, events_of
from bot.web.staff.turns import (
    DeliveryFailure,
    UserTurn,
    read_delivery_failure,
    read_user_turn,
    undelivered_stamps,
)

Summary = ConversationSummary
Review = ConversationReview


@dataclass(frozen=True)
class RequestLink:
    reference: str
    status: str


@dataclass(frozen=True)
class ConversationRow:
    sender_id: str
    started_at: datetime
    last_at: datetime
    channel: str | None
    sessions: int
    user_messages: int
    fallbacks: int
    handoff: bool
    #: Intents by how often they were asked, most frequent first.
    topics: List[str]
    requests: List[RequestLink]
    status: str
    tags: List[str]
    #: The conversation's language now, then any other language it had user turns in.
    languages: Tuple[str, ...] = (languages.DEFAULT,)

    @property
    def language(self) -> str:
        return self.languages[0]

    def as_json(self) -> Dict[str, Any]:
        return {
            "sender_id": self.sender_id,
            "language": self.language,
            "languages": list(self.languages),
            "started_at": self.started_at.isoformat(),
            "last_at": self.last_at.isoformat(),
            "channel": self.channel,
            "sessions": self.sessions,
            "user_messages": self.user_messages,
            "fallbacks": self.fallbacks,
            "handoff": self.handoff,
            "topics": self.topics,
            "requests": [link.__dict__ for link in self.requests],
            "status": self.status,
            "tags": self.tags,
        }


@dataclass(frozen=True)
class Page:
    rows: List[Any]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def first_index(self) -> int:
        return 0 if not self.total else (self.page - 1) * self.page_size + 1

    @property
    def last_index(self) -> int:
        return min(self.total, self.page * self.page_size)


def epoch_to_datetime(value: float) -> datetime:
    return datetime.fromtimestamp(value, tz=timezone.utc)


def split_tags(stored: str | None) -> List[str]:
    return [tag for tag in (stored or "").split(",") if tag]


def _conditions(filters: ConversationFilters, tz) -> List[Any]:
    has_request = exists().where(TreatmentRequest.sender_id == Summary.sender_id)
    conditions: List[Any] = [Summary.user_messages > 0]
    start, end = day_bounds(filters.date_from, filters.date_to, tz)
    if start:
        conditions.append(Summary.started_at >= start.timestamp())
    if end:
        conditions.append(Summary.started_at < end.timestamp())
    if filters.has_request:
        conditions.append(has_request if filters.has_request == "yes" else ~has_request)
    if filters.fallback:
        conditions.append(
            Summary.fallbacks > 0 if filters.fallback == "yes" else Summary.fallbacks == 0
        )
    if filters.handoff:
        conditions.append(Summary.handoff.is_(filters.handoff == "yes"))
    if filters.status == "reviewed":
        conditions.append(Review.status == ReviewStatus.reviewed)
    elif filters.status == "unreviewed":
        conditions.append(or_(Review.status.is_(None), Review.status == ReviewStatus.unreviewed))
    if filters.language:
        conditions.append(Summary.language == filters.language)
    if filters.tag:
        conditions.append(Review.tags.like(like_pattern(f",{filters.tag},"), escape="\\"))
    for word in filters.q.lower().split()[:8]:
        conditions.append(Summary.search_text.like(like_pattern(word), escape="\\"))
    return conditions


def list_conversations(
    sessions: sessionmaker, filters: ConversationFilters, tz, page_size: int
) -> Page:
    """One page of conversations matching ``filters``, newest first."""
    joined = select(Summary, Review.status, Review.tags).outerjoin(
        Review, Review.sender_id == Summary.sender_id
    )
    where = and_(*_conditions(filters, tz))
    order = Summary.last_at if filters.sort == "activity" else Summary.started_at
    query = (
        joined.where(where)
        .order_by(order.desc(), Summary.sender_id)
        .limit(page_size)
        .offset((filters.page - 1) * page_size)
    )
    count = (
        select(func.count())
        .select_from(Summary)
        .outerjoin(Review, Review.sender_id == Summary.sender_id)
        .where(where)
    )
    with sessions() as session:
        total = session.execute(count).scalar_one()
        found = session.execute(query).all()
        links = requests_by_sender(session, [row[0].sender_id for row in found])
    rows = [
        ConversationRow(
            sender_id=summary.sender_id,
            started_at=epoch_to_datetime(summary.started_at),
            last_at=epoch_to_datetime(summary.last_at),
            channel=summary.channel,
            sessions=summary.sessions,
            user_messages=summary.user_messages,
            fallbacks=summary.fallbacks,
            handoff=bool(summary.handoff),
            topics=_topics(summary.intents),
            requests=links.get(summary.sender_id, []),
            status=(status.value if status else ReviewStatus.unreviewed.value),
            tags=split_tags(tags),
            languages=languages.used(
                languages.load_stats(summary.language_turns), summary.language
            ),
        )
        for summary, status, tags in found
    ]
    return Page(rows=rows, total=total, page=filters.page, page_size=page_size)


def _topics(intents_json: str) -> List[str]:
    counts: Dict[str, int] = json.loads(intents_json or "{}")
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [name for name, _ in ranked if name not in NOT_TOPICS]


def requests_by_sender(session, senders: Sequence[str]) -> Dict[str, List[RequestLink]]:
    if not senders:
        return {}
    query = (
        select(TreatmentRequest.sender_id, TreatmentRequest.reference, TreatmentRequest.status)
        .where(TreatmentRequest.sender_id.in_(list(senders)))
        .order_by(TreatmentRequest.created_at.desc())
    )
    links: Dict[str, List[RequestLink]] = {}
    for sender, reference, status in session.execute(query):
        links.setdefault(sender, []).append(
            RequestLink(reference, getattr(status, "value", status))
        )
    return links


def known_tags(sessions: sessionmaker) -> List[str]:
    """Every tag in use, for the filter's suggestions."""
    with sessions() as session:
        stored = session.execute(select(Review.tags).where(Review.tags != "")).scalars()
        return sorted({tag for value in stored for tag in split_tags(value)})


# ---------------------------------------------------------------- transcript


@dataclass
class BotMessage:
    at: datetime
    text: str
    buttons: List[str]
    response: str | None
    kind: str = "bot"
    #: The messenger platform never took it (``turns.DeliveryFailure``).
    undelivered: bool = False


@dataclass
class UserMessage:
    at: datetime
    turn: UserTurn
    #: Actions the bot ran in answer (without ``action_listen``), forms starting or ending.
    actions: List[str] = field(default_factory=list)
    #: Slots set while answering: (name, value as short text).
    slots: List[Tuple[str, str]] = field(default_factory=list)
    #: The language the message was answered in (a message that switched: the new one).
    language: str = languages.DEFAULT
    kind: str = "user"


@dataclass
class LanguageSwitch:
    """The conversation's language changed with the user message after it."""

    at: datetime
    language: str
    previous: str
    kind: str = "language"


@dataclass
class SessionStart:
    at: datetime
    number: int
    kind: str = "session"


@dataclass
class Transcript:
    sender_id: str
    items: List[Any]
    user_messages: int
    sessions: int
    channel: str | None = None
    #: The language now, and the one the first user message was answered in.
    language: str = languages.DEFAULT
    first_language: str = languages.DEFAULT

    def as_json(self) -> List[Dict[str, Any]]:
        result: List[Dict[str, Any]] = []
        for item in self.items:
            entry: Dict[str, Any] = {"kind": item.kind, "at": item.at.isoformat()}
            if isinstance(item, UserMessage):
                entry.update(
                    text=item.turn.text,
                    intent=item.turn.intent,
                    confidence=item.turn.confidence,
                    entities=[list(pair) for pair in item.turn.entities],
                    fallback=item.turn.fallback,
                    actions=item.actions,
                    slots=[list(pair) for pair in item.slots],
                    language=item.language,
                )
            elif isinstance(item, BotMessage):
                entry.update(text=item.text, buttons=item.buttons, response=item.response)
                entry.update(undelivered=item.undelivered)
            elif isinstance(item, DeliveryFailure):
                entry.update(item.as_json())
            elif isinstance(item, LanguageSwitch):
                entry.update(language=item.language, previous=item.previous)
            else:
                entry.update(number=item.number)
            result.append(entry)
        return result


def _short(value: Any, limit: int = 80) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def build_transcript(events: Sequence[Event], threshold: float) -> List[Any]:
    """Chat items in order: session dividers, user turns (with NLU and actions), bot messages,
    and a language switch before each user message answered in another language than the one
    before it (the slot's value at a session start alone is no switch: the message decides)."""
    items: List[Any] = []
    current: UserMessage | None = None
    #: The newest user message while a language slot set now still belongs to it.
    answering: UserMessage | None = None
    language = languages.DEFAULT
    session_users = 0
    sessions = 0
    undelivered = undelivered_stamps(events)
    for event in events:
        at = epoch_to_datetime(event.timestamp or 0.0)
        if languages.ends_turn(event):
            answering = None
        switched = languages.slot_language(event)
        if switched:
            language = switched
            if answering is not None:
                answering.language = switched
        if event.starts_session and (sessions == 0 or session_users):
            sessions += 1
            session_users = 0
            current = None
            items.append(SessionStart(at=at, number=sessions))
        if event.type_name == "user":
            if sessions == 0:  # events written before session starts existed
                sessions = 1
                items.append(SessionStart(at=at, number=1))
            session_users += 1
            current = UserMessage(at=at, turn=read_user_turn(event, threshold), language=language)
            answering = current
            items.append(current)
        elif event.type_name == "bot":
            data = event.data
            buttons = (data.get("data") or {}).get("buttons") or []
            meta = data.get("metadata") or {}
            items.append(
                BotMessage(
                    at=at,
                    text=data.get("text") or "",
                    buttons=[str(b.get("title", "")) for b in buttons if isinstance(b, dict)],
                    response=meta.get("utter_action") if isinstance(meta, dict) else None,
                    undelivered=event.timestamp in undelivered,
                )
            )
        elif (failure := read_delivery_failure(event, at)) is not None:
            items.append(failure)
        elif current is not None and event.type_name == "action":
            if event.action_name and event.action_name != "action_listen":
                current.actions.append(event.action_name)
        elif current is not None and event.type_name == "active_loop":
            name = event.data.get("name")
            current.actions.append(f"form {name} started" if name else "form ended")
        elif current is not None and event.type_name == "slot":
            current.slots.append((event.action_name or "", _short(event.data.get("value"))))
    return _mark_switches(items)


def _mark_switches(items: List[Any]) -> List[Any]:
    marked: List[Any] = []
    previous: str | None = None
    for item in items:
        if isinstance(item, UserMessage):
            if previous is not None and item.language != previous:
                marked.append(LanguageSwitch(at=item.at, language=item.language, previous=previous))
            previous = item.language
        marked.append(item)
    return marked


def transcript(tracker: Engine, sender_id: str, threshold: float) -> Transcript | None:
    """The full transcript of ``sender_id``, or None if the tracker has nothing for them."""
    events = events_of(tracker, sender_id)
    if not events:
        return None
    items = build_transcript(events, threshold)
    messages = [item for item in items if isinstance(item, UserMessage)]
    turns = [item.turn for item in messages]
    first = messages[0].language if messages else languages.DEFAULT
    return Transcript(
        sender_id=sender_id,
        items=items,
        user_messages=len(turns),
        sessions=sum(1 for item in items if isinstance(item, SessionStart)),
        channel=next((turn.channel for turn in turns if turn.channel), None),
        language=messages[-1].language if messages else first,
        first_language=first,
    )


def review_of(sessions: sessionmaker, sender_id: str) -> ConversationReview | None:
    with sessions() as session:
        return session.get(ConversationReview, sender_id)
