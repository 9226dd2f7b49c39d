"""Realistic tracker events for tests, the browser test and the benchmark (not used at run time).

Events are made with Rasa's own event classes and stored row by row exactly as
``SQLTrackerStore.save`` stores them (``bot.db.tracker_events``), much faster than running
conversations through a Rasa agent. What the bot says are the responses of ``domain.yml``
(``bot.domain``) in the conversation's language (``bot.i18n``); the answering action of a
question is the product's (``actions.answers``); tumours and how they are written come from
``bot/content/tumours.py``; a request's notice version is the product's (``bot.settings``).
The people, their details and what they type are invented.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from functools import cache
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

import yaml
from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from actions.answers import ANSWERS, TUMOUR_RESPONSES
from bot import domain, settings
from bot.content.tumours import ENGLISH_SYNONYMS, TUMOURS
from bot.db import tracker_events
from bot.db.models import RequestStatus, TreatmentRequest
from bot.db.requests import (
    REFERENCE_ALPHABET,
    REFERENCE_LENGTH,
    REFERENCE_PREFIX,
    RequestDetails,
    new_reference,
)
from bot.settings import ROOT

MODEL_META = {
    "model_id": "0f3c1b7e5d2a4c6b8e9f1a2b3c4d5e6f",
    "assistant_id": yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))[
        "assistant_id"
    ],
}


@cache
def responses(language: str) -> Dict[str, List[Dict[str, Any]]]:
    """The bot's responses in ``language``, as ``bot.i18n.nlg.LocalisedNLG`` sends them."""
    from bot.i18n.nlg import localised_responses

    return localised_responses(domain.load()["responses"])[language]


class _Slots(dict):
    """Slot values for a response's ``{slot}`` placeholders; a slot not set yet reads as
    Rasa prints an unset slot."""

    def __missing__(self, name: str) -> str:
        return "None"


def response_text(name: str, language: str, slots: Dict[str, Any]) -> Optional[str]:
    """The text of response ``name`` in ``language`` with ``slots`` filled in; ``None`` for a
    name the domain does not have (an action that is not a response)."""
    from rasa.core.nlg.interpolator import interpolate_text

    variations = responses(language).get(name)
    if not variations or not variations[0].get("text"):
        return None
    return interpolate_text(variations[0]["text"], _Slots(slots))


#: Question intent -> example messages (answered by ``actions.answers.ANSWERS[intent]``).
EXAMPLES: Dict[str, Sequence[str]] = {
    "ask_what_is_mibg": (
        "what is mibg",
        "What is MIBG therapy?",
        "can you explain metaiodobenzylguanidine",
        "what does mibg mean",
        "what is this treatment",
    ),
    "ask_how_it_works": (
        "how does it work",
        "how does mibg kill the tumour",
        "how is the radiation delivered",
    ),
    "ask_candidates": (
        "which cancers is it used for",
        "who can get this therapy",
        "is it for adults too",
    ),
    "ask_side_effects": (
        "what are the side effects",
        "is it dangerous",
        "will my child lose hair",
        "does it hurt",
        "what about nausea after therapy",
    ),
    "ask_dosing": (
        "how many sessions are needed",
        "how much mibg do they give",
        "how long is the course",
    ),
    "ask_monitoring": ("what tests are done during treatment", "do they check the kidneys"),
    "ask_preparation": (
        "do i need to stop my blood pressure pills",
        "how do i prepare for the therapy",
    ),
    "ask_treatment_abroad": ("why should i do it in germany", "is germany better than home"),
    "ask_services": (
        "what do you help with",
        "do you arrange an interpreter",
        "can you book the hotel",
    ),
    "ask_agency": ("is booking health reliable", "who are you"),
    "ask_authors": ("who wrote this article", "is the author a doctor"),
    "ask_destinations": ("can i go to turkey instead", "do you work with clinics in switzerland"),
    "ask_costs": (
        "how much does it cost",
        "what is the price of mibg therapy",
        "does insurance pay",
        "is there a cost estimate",
    ),
    "ask_privacy": ("why do you need my phone", "what happens with my data"),
    "personal_case": (
        "will it work for my mum",
        "my son has relapsed, can he get it",
        "is my father eligible at 78",
    ),
}
TUMOUR_QUESTIONS = (
    "does it work for {w}?",
    "what about {w}",
    "success rate for {w}",
    "my daughter has {w}, can mibg help",
)
FALLBACK_MESSAGES = (
    "what's the weather in berlin",
    "tell me a joke",
    "asdfgh",
    "can i bring my dog",
    "is proton therapy better",
    "what about lutetium",
    "do you sell vitamins",
    "how far is the airport from munich",
    "my wifi is slow",
    "?",
)
HANDOFF_MESSAGES = (
    "can i talk to a real person",
    "I want to speak to a doctor",
    "please call me",
    "connect me with a manager",
)
SMALL_TALK = {
    "greet": ("utter_greet", ("hi", "hello", "good morning", "Hallo")),
    "thanks": ("utter_you_are_welcome", ("thanks", "thank you very much", "great, thanks")),
    "goodbye": ("utter_goodbye", ("bye", "goodbye", "that's all")),
}
FIRST_NAMES = ("Maria", "Olena", "Ahmed", "Li", "Sofia", "Jan", "Amina", "Pavel", "Nora", "Omar")
LAST_NAMES = ("Example", "Testova", "Sample", "Muster", "Placeholder", "Demo", "Fictive")
COUNTRIES = ("Ukraine", "Poland", "Kazakhstan", "Israel", "Nigeria", "Romania", "Georgia")
DIAGNOSES = (
    "neuroblastoma stage 4",
    "metastatic pheochromocytoma",
    "paraganglioma",
    "carcinoid tumour of the small intestine",
    "medullary thyroid cancer",
)
CHANNELS = (("socketio", 60), ("rest", 15), ("telegram", 15), ("facebook", 10))


@dataclass(frozen=True)
class Turn:
    """One user message and what the bot did with it."""

    text: str
    intent: str
    confidence: float = 0.93
    entities: Tuple[Tuple[str, str], ...] = ()
    #: Actions after the message; ``utter_*`` ones also send their response.
    actions: Tuple[str, ...] = ()
    slots: Tuple[Tuple[str, Any], ...] = ()
    #: Responses a custom action sends (``action_answer_tumour``: ``utter_tumour_<key>``), in
    #: the conversation's language.
    responses: Tuple[str, ...] = ()
    #: Bot texts of non-utter actions, as given (after ``responses``).
    bot_texts: Tuple[str, ...] = ()
    #: A fallback turn is reverted by Rasa (``rewind``) after the bot's reply.
    rewind: bool = False
    form: str | None = None  # "start" / "end" of the request form
    new_session: bool = False  # this message comes in a new session
    #: The message's language was clear: the ``language`` slot is set to it right after.
    language: str | None = None


@dataclass
class Conversation:
    sender_id: str
    channel: str
    started: datetime
    turns: List[Turn]
    request: RequestDetails | None = None
    #: How long (hours) before a returning visitor's new session.
    session_gap_hours: Tuple[float, float] = (6.0, 72.0)
    #: What ``action_session_start`` puts in the ``language`` slot (the channel's hint, or "en").
    language: str = "en"


def topic_turn(rng: random.Random, intent: str | None = None) -> Turn:
    intent = intent or rng.choice(list(EXAMPLES))
    confidence = round(rng.uniform(0.55, 0.99), 4)
    return Turn(rng.choice(EXAMPLES[intent]), intent, confidence, actions=(ANSWERS[intent],))


def tumour_turn(rng: random.Random) -> Turn:
    """A question about one of the article's tumours, written as patients write it."""
    key = rng.choice(list(TUMOURS))
    word = rng.choice(ENGLISH_SYNONYMS[key])
    return Turn(
        rng.choice(TUMOUR_QUESTIONS).format(w=word),
        "ask_tumour",
        round(rng.uniform(0.5, 0.97), 4),
        entities=(("tumour", key),),
        actions=("action_answer_tumour",),
        slots=(("tumour", key),),
        responses=(TUMOUR_RESPONSES[key],),
    )


def fallback_turn(rng: random.Random, text: str | None = None) -> Turn:
    text = text or rng.choice(FALLBACK_MESSAGES)
    if rng.random() < 0.3:
        return Turn(
            text, "out_of_scope", round(rng.uniform(0.5, 0.9), 4), actions=("utter_out_of_scope",)
        )
    return Turn(
        text,
        "nlu_fallback",
        0.35,
        actions=("action_default_fallback", "utter_default"),
        rewind=True,
    )


def handoff_turn(rng: random.Random) -> Turn:
    return Turn(rng.choice(HANDOFF_MESSAGES), "human_handoff", 0.97, actions=("utter_handoff",))


def small_talk(rng: random.Random, intent: str) -> Turn:
    action, texts = SMALL_TALK[intent]
    return Turn(rng.choice(texts), intent, round(rng.uniform(0.8, 0.99), 4), actions=(action,))


def request_turns(
    rng: random.Random, name: str | None = None, **overrides: str
) -> Tuple[List[Turn], Dict]:
    """The treatment-request form, answer by answer, and the details it collects."""
    name = name or f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    details = {
        "full_name": name,
        "email": f"{name.split()[0].lower()}.{rng.randint(10, 999)}@example.org",
        "phone": f"+49 151 {rng.randint(1000000, 9999999)}",
        "country": rng.choice(COUNTRIES),
        "diagnosis": rng.choice(DIAGNOSES),
        "destination": "Germany",
        "message": rng.choice(("please call in the morning", "we have recent PET scans", "")),
        **overrides,
    }
    fields = ("full_name", "email", "phone", "country", "diagnosis", "destination", "message")
    turns = [
        Turn(
            "I want to apply for treatment",
            "request_treatment",
            0.96,
            actions=("treatment_request_form", "utter_ask_privacy_consent"),
            slots=(("requested_slot", "privacy_consent"),),
            form="start",
        ),
        Turn(
            "yes",
            "affirm",
            0.98,
            actions=("treatment_request_form", "utter_ask_full_name"),
            slots=(("privacy_consent", True), ("requested_slot", "full_name")),
        ),
    ]
    for index, name_of_field in enumerate(fields):
        following = fields[index + 1] if index + 1 < len(fields) else None
        ask = f"utter_ask_{following}" if following else "utter_request_summary"
        slots: List[Tuple[str, Any]] = [(name_of_field, details[name_of_field] or None)]
        slots.append(("requested_slot", following or "request_confirmed"))
        turns.append(
            Turn(
                details[name_of_field] or "no",
                "inform",
                round(rng.uniform(0.6, 0.95), 4),
                actions=("treatment_request_form", ask),
                slots=tuple(slots),
            )
        )
    turns.append(
        Turn(
            "yes, send it",
            "affirm",
            0.97,
            actions=("treatment_request_form", "action_submit_request", "utter_request_saved"),
            slots=(
                ("request_confirmed", True),
                ("request_reference", _reference(rng)),  # as action_submit_request sets it
                ("requested_slot", None),
            ),
            form="end",
        )
    )
    return turns, details


def _reference(rng: random.Random) -> str:
    """A reference in the product's format, drawn from ``rng``."""
    code = "".join(rng.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))
    return REFERENCE_PREFIX + code


def random_conversation(
    rng: random.Random, started: datetime, request_share: float
) -> Conversation:
    """A plausible visitor: greets (or not), asks a few things, maybe falls back, asks for a
    person, leaves a request, or comes back in a second session."""
    turns: List[Turn] = []
    if rng.random() < 0.6:
        turns.append(small_talk(rng, "greet"))
    for _ in range(rng.choice((1, 1, 2, 2, 3, 3, 4, 5, 7))):
        roll = rng.random()
        if roll < 0.2:
            turns.append(tumour_turn(rng))
        elif roll < 0.32:
            turns.append(fallback_turn(rng))
        else:
            turns.append(topic_turn(rng))
    if rng.random() < 0.08:
        turns.append(handoff_turn(rng))
    details = None
    if rng.random() < request_share:
        form, details = request_turns(rng)
        turns.extend(form)
    if rng.random() < 0.5:
        turns.append(small_talk(rng, "thanks" if rng.random() < 0.5 else "goodbye"))
    if rng.random() < 0.07:
        turns.append(Turn(**{**topic_turn(rng).__dict__, "new_session": True}))
    channel = rng.choices([c for c, _ in CHANNELS], [w for _, w in CHANNELS])[0]
    sender = uuid.UUID(int=rng.getrandbits(128)).hex
    turns = _with_languages(random.Random(sender), turns)
    conversation = Conversation(sender, channel, started, turns)
    if details:
        conversation.request = _request_details(conversation, details)
    return conversation


def _with_languages(rng: random.Random, turns: List[Turn]) -> List[Turn]:
    """About a quarter of visitors write German and one in six Russian (their first message
    sets the slot); a few switch language half-way. Its own ``rng``: the rest stays as it was."""
    roll = rng.random()
    language = "de" if roll < 0.25 else "ru" if roll < 0.42 else None
    marked = list(turns)
    if language and marked:
        marked[0] = replace(marked[0], language=language)
    if len(marked) > 2 and rng.random() < 0.05:
        middle = len(marked) // 2
        marked[middle] = replace(marked[middle], language="en" if language else "de")
    return marked


def _request_details(conversation: Conversation, details: Dict[str, str]) -> RequestDetails:
    return RequestDetails(
        sender_id=conversation.sender_id,
        channel=conversation.channel,
        consent_at=conversation.started + timedelta(minutes=2),
        notice_version=settings.load().privacy_notice_version,
        **{key: (value or None) for key, value in details.items()},
    )


def scripted(
    sender_id: str,
    turns: List[Turn],
    started: datetime,
    channel: str = "socketio",
    details: Dict[str, str] | None = None,
) -> Conversation:
    """A conversation exactly as given (tests)."""
    conversation = Conversation(sender_id, channel, started, turns)
    if details:
        conversation.request = _request_details(conversation, details)
    return conversation


def rasa_events(conversation: Conversation, rng: random.Random | None = None) -> List[Any]:
    """The Rasa events the conversation produces, with increasing timestamps."""
    from rasa.shared.core.events import (
        ActionExecuted,
        ActiveLoop,
        BotUttered,
        SessionStarted,
        SlotSet,
        UserUtteranceReverted,
        UserUttered,
    )

    rng = rng or random.Random(conversation.sender_id)
    clock = [conversation.started.timestamp()]

    def tick(low: float = 0.002, high: float = 0.05) -> float:
        clock[0] += rng.uniform(low, high)
        return clock[0]

    language = [conversation.language]  # the ``language`` slot: which responses are sent
    slots: Dict[str, Any] = {}

    def session_start() -> List[Any]:
        language[0] = conversation.language
        disclaimer = response_text("utter_disclaimer", language[0], slots)
        return [
            ActionExecuted(
                "action_session_start",
                policy=None,
                confidence=1.0,
                timestamp=tick(),
                metadata=MODEL_META,
            ),
            BotUttered(
                disclaimer,
                data={"buttons": None},
                metadata={"utter_action": "utter_disclaimer", **MODEL_META},
                timestamp=tick(),
            ),
            SessionStarted(timestamp=tick(), metadata=MODEL_META),
            SlotSet("language", conversation.language, timestamp=tick(), metadata=MODEL_META),
            ActionExecuted("action_listen", timestamp=tick(), metadata=MODEL_META),
        ]

    events: List[Any] = session_start()
    for turn in conversation.turns:
        if turn.new_session:
            low, high = conversation.session_gap_hours
            clock[0] += rng.uniform(low * 3600, high * 3600)
            events.extend(session_start())
        tick(4, 90)  # the person types
        message_id = uuid.UUID(int=rng.getrandbits(128)).hex
        entities = [
            {
                "entity": name,
                "start": 0,
                "end": len(turn.text),
                "value": value,
                "confidence": 1.0,
                "extractor": "TumourEntityExtractor",
            }
            for name, value in turn.entities
        ]
        intent = {"name": turn.intent, "confidence": turn.confidence}
        ranking = [intent, {"name": "ask_candidates", "confidence": round(1 - turn.confidence, 4)}]
        parse_data = {
            "intent": intent,
            "entities": entities,
            "text": turn.text,
            "message_id": message_id,
            "metadata": {},
            "text_tokens": [[0, len(turn.text)]],
            "intent_ranking": ranking,
            "response_selector": {"all_retrieval_intents": [], "default": {}},
        }
        events.append(
            UserUttered(
                turn.text,
                intent,
                entities,
                parse_data,
                timestamp=tick(),
                input_channel=conversation.channel,
                message_id=message_id,
                metadata=MODEL_META,
            )
        )
        if turn.language:  # action_extract_slots, before any reply
            events.append(SlotSet("language", turn.language, timestamp=tick(), metadata=MODEL_META))
            language[0] = turn.language
        for name, value in turn.entities:
            events.append(SlotSet(name, value, timestamp=tick(), metadata=MODEL_META))
        # What the bot knows when it answers: the turn's slots are set by then (the form
        # validates an answer before it asks the next question or shows the summary).
        slots.update({**dict(turn.entities), **dict(turn.slots)})
        # Texts of the custom actions (one each, in order): their responses, then given texts.
        custom = [(response_text(name, language[0], slots), name) for name in turn.responses]
        custom += [(text, "") for text in turn.bot_texts]
        for action in turn.actions:
            events.append(
                ActionExecuted(
                    action,
                    policy="RulePolicy",
                    confidence=1.0,
                    timestamp=tick(),
                    metadata=MODEL_META,
                )
            )
            if action == "treatment_request_form" and turn.form == "start":
                events.append(ActiveLoop(action, timestamp=tick(), metadata=MODEL_META))
            text, response = None, action
            if action.startswith("utter_"):
                text = response_text(action, language[0], slots)
            elif custom and not action.startswith("treatment_"):
                text, response = custom.pop(0)
                response = response or action
            if text:
                events.append(
                    BotUttered(
                        text,
                        data={"buttons": None},
                        metadata={"utter_action": response, **MODEL_META},
                        timestamp=tick(),
                    )
                )
        for name, value in turn.slots:
            if name not in dict(turn.entities):
                events.append(SlotSet(name, value, timestamp=tick(), metadata=MODEL_META))
        if turn.form == "end":
            events.append(ActiveLoop(None, timestamp=tick(), metadata=MODEL_META))
        if turn.rewind:
            events.append(UserUtteranceReverted(timestamp=tick(), metadata=MODEL_META))
        events.append(ActionExecuted("action_listen", timestamp=tick(), metadata=MODEL_META))
    return events


def tracker_rows(conversation: Conversation) -> List[Dict[str, Any]]:
    """Rows for ``events``, as ``rasa.core.tracker_store.SQLTrackerStore.save`` writes them."""
    return [tracker_events.row(conversation.sender_id, e) for e in rasa_events(conversation)]


def create_events_table(engine: Engine) -> None:
    """Rasa's own table definition, so tests run against the real schema."""
    from rasa.core.tracker_store import SQLTrackerStore

    SQLTrackerStore.Base.metadata.create_all(engine)


def store(
    engine: Engine,
    sessions: sessionmaker | None,
    conversations: Iterable[Conversation],
    batch_rows: int = 20_000,
) -> Tuple[int, int]:
    """Write the events (in conversation order) and the requests; returns (events, requests)."""
    table = tracker_events.events
    pending: List[Dict[str, Any]] = []
    requests: List[TreatmentRequest] = []
    references: set = set()
    written = 0

    def flush() -> None:
        if pending:
            with engine.begin() as connection:
                connection.execute(insert(table), pending)
            pending.clear()

    for conversation in conversations:
        rows = tracker_rows(conversation)
        pending.extend(rows)
        written += len(rows)
        if conversation.request and sessions is not None:
            reference = new_reference()
            while reference in references:
                reference = new_reference()
            references.add(reference)
            requests.append(
                TreatmentRequest(
                    reference=reference,
                    created_at=conversation.request.consent_at + timedelta(minutes=1),
                    status=RequestStatus.new,
                    **conversation.request.__dict__,
                )
            )
        if len(pending) >= batch_rows:
            flush()
    flush()
    if requests:
        with sessions.begin() as session:
            session.add_all(requests)
    return written, len(requests)


def generate(
    count: int,
    seed: int = 7,
    days: int = 90,
    request_share: float = 0.1,
    now: datetime | None = None,
) -> Iterator[Conversation]:
    """``count`` random conversations spread over the last ``days`` days, oldest first."""
    rng = random.Random(seed)
    now = now or datetime.now(timezone.utc)
    starts = sorted(now - timedelta(seconds=rng.uniform(600, days * 86400)) for _ in range(count))
    for started in starts:
        yield random_conversation(rng, started, request_share)
