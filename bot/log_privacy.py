"""A logging filter that keeps request bodies, tracker dumps and message text out of the logs.

Our own code logs no personal data, but the libraries do on their failure paths:

- Rasa logs ``ClientResponseError(..., body=...)`` with the action server's answer when a custom
  action fails; rasa_sdk's 500 answer echoes the whole request: every slot (name, e-mail, phone,
  diagnosis) and the conversation.
- Rasa's parser warns ``Failed to parse arguments in line '<message>'`` for a message starting
  with "/" that is not a valid intent (``/name@example.net``), through ``warnings.warn``, and
  logs ``message.parsing.failed`` with the text (structlog, rendered as JSON or key=value).
- rasa_sdk, Sanic, aiohttp and uvicorn log tracebacks whose exception messages can hold values
  from the request (``KeyError: 'anna@example.org'``).

:func:`install` puts :class:`PrivacyFilter` on the loggers of Rasa, rasa_sdk, Sanic, aiohttp,
uvicorn, socket.io and Python warnings (captured into logging), and applies it to every record
when it is made, so records of child loggers and of handlers added later (Rasa and Sanic set up
their own) are covered too. The filter keeps what helps an operator (logger, level, event name,
exception types, file and line) and replaces the rest:

- a traceback keeps its frames; each exception's message becomes ``<redacted>``;
- ``body=...`` and JSON with conversation keys (``"slots"``, ``"tracker"``, ``"text"``, ...)
  become ``<redacted>``;
- Rasa's warning about a "/" message keeps only its first words; text quoted after "message",
  "text", "utterance" or "line" (Rasa's debug lines) becomes ``<redacted>``;
- structlog's values for Rasa's own list of personal keys (``user_text``, ``parse_data_text``,
  ...) become ``<redacted>``;
- whatever still looks like an e-mail address or a phone number is masked.
"""

from __future__ import annotations

import json
import logging
import re
import traceback
from typing import Any, Optional

REDACTED = "<redacted>"
#: The loggers the filter is installed on (and their children).
LOGGERS = (
    "rasa",
    "rasa_sdk",
    "sanic",
    "sanic.root",
    "sanic.error",
    "sanic.access",
    "aiohttp",
    "uvicorn",
    "uvicorn.error",
    "uvicorn.access",
    "engineio",
    "socketio",
    "py.warnings",
)
#: Rasa's structlog keys that can hold user text (``rasa.utils.log_utils._anonymizer``) and
#: the ones Rasa logs trackers, slots and events under.
PERSONAL_KEYS = (
    "text",
    "response_text",
    "user_text",
    "slot_values",
    "parse_data_text",
    "parse_data_entities",
    "prediction_events",
    "tracker_latest_message",
    "prefilled_slots",
    "message",
    "response",
    "slot_candidates",
    "rasa_event",
    "rasa_events",
    "tracker_states",
    "current_states",
    "old_states",
    "successes",
    "current_entity",
    "next_entity",
    "states",
    "entity",
    "token_text",
    "user_message",
    "json_message",
    "events",
    "slots",
    "tracker",
    "value",
    "body",
    "request_body",
    "metadata",
)
#: structlog fields an operator needs and that hold no user data.
KEPT_JSON_KEYS = {"event", "event_key", "event_info", "level", "timestamp", "logger", "name"}
#: Colours of Rasa's console renderer (a terminal): "\x1b[36muser_text\x1b[0m=..."
ANSI_RE = re.compile(r"\x1b\[[0-9;]*m")
BODY_RE = re.compile(r"\bbody=.*", re.DOTALL)
CONVERSATION_JSON_RE = re.compile(
    r"[\[{].*[\"'](?:sender_id|slots|tracker|latest_message|events|text|request_body|"
    r"parse_data|entities|value)[\"']\s*:.*[\]}]",
    re.DOTALL,
)
#: key=value as structlog's console renderer writes it; an unquoted value runs to the next key.
KEY_VALUE_RE = re.compile(
    r"\b(" + "|".join(PERSONAL_KEYS) + r")=('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|"
    r".*?(?=\s+[A-Za-z_]\w*=|\Z))",
    re.DOTALL,
)
#: Rasa's plain-text log lines quote the user's text after these words ("Received user
#: message 'I am Anna' with intent ...").
QUOTED_TEXT_RE = re.compile(
    r"\b(message|text|utterance|line)(\s+)('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")",
    re.IGNORECASE,
)
SLASH_MESSAGE_WARNING_RE = re.compile(r"(Failed to parse arguments in line).*", re.DOTALL)
EMAIL_RE = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
#: International (+49 30 1234567) or local (030 1234567) numbers, one separator at a time (so
#: the aligned columns of a printed matrix, "0  0  2", are not taken for one).
PHONE_RE = re.compile(r"(?<![\w.:/+-])(?:\+\d|0\d)(?:[ ().\-/]?\d){6,}(?![\w.:-])")


def _redact_json(message: str) -> Optional[str]:
    """A structlog JSON line with only its event name, level and the like kept."""
    if not message.startswith("{"):
        return None
    try:
        data = json.loads(message)
    except ValueError:
        return None
    if not isinstance(data, dict) or "event" not in data:
        return None
    return json.dumps(
        {key: (value if key in KEPT_JSON_KEYS else REDACTED) for key, value in data.items()}
    )


def redact(message: str) -> str:
    """``message`` without request bodies, conversation JSON, user text, e-mails and phones."""
    as_json = _redact_json(message)
    if as_json is not None:
        return as_json
    if "\x1b[" in message:
        message = ANSI_RE.sub("", message)
    message = SLASH_MESSAGE_WARNING_RE.sub(r"\1 " + REDACTED, message)
    message = BODY_RE.sub("body=" + REDACTED, message)
    message = CONVERSATION_JSON_RE.sub(REDACTED, message)
    message = KEY_VALUE_RE.sub(lambda m: f"{m.group(1)}={REDACTED}", message)
    message = QUOTED_TEXT_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", message)
    message = EMAIL_RE.sub("<email>", message)
    return PHONE_RE.sub(_phone, message)


def _phone(match: re.Match) -> str:
    found = match.group(0)
    if DATE_RE.match(found) or sum(ch.isdigit() for ch in found) < 8:
        return found  # a date or a short number, not a phone number
    return "<phone>"


def redacted_traceback(exc_info: Any) -> str:
    """The traceback with its frames, each exception's message replaced by ``<redacted>``."""
    if exc_info is True or not isinstance(exc_info, tuple) or exc_info[0] is None:
        return ""
    formatted = traceback.TracebackException(*exc_info, compact=True)
    pending: list[Optional[traceback.TracebackException]] = [formatted]
    seen: set[int] = set()
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        # The message, as format() prints it: a private attribute, not in typeshed.
        current._str = REDACTED  # type: ignore[attr-defined]
        if getattr(current, "text", None) is not None:  # a SyntaxError's source line
            # None is what format() gets for an exception without a source line; typeshed
            # says str.
            current.text = None  # type: ignore[assignment]
        pending.extend([current.__cause__, current.__context__])
    return "".join(formatted.format()).rstrip("\n")


class PrivacyFilter(logging.Filter):
    """Redacts a record's message and traceback in place; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_mibg_redacted", False):
            return True
        record._mibg_redacted = True
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string: log that, not the args
            message = str(record.msg)
        record.msg, record.args = redact(message), None
        if record.exc_info:
            record.exc_text = redacted_traceback(record.exc_info)
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


_FILTER = PrivacyFilter()


def _matches(name: str) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in LOGGERS)


def install() -> None:
    """Install the filter on the library loggers and on every record they make (idempotent)."""
    if getattr(logging, "_mibg_log_privacy", False):
        return
    make_record = logging.getLogRecordFactory()

    def record_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        if _matches(record.name):
            _FILTER.filter(record)
        return record

    logging.setLogRecordFactory(record_factory)
    for name in LOGGERS:
        logging.getLogger(name).addFilter(_FILTER)
    # Rasa warns through warnings.warn (to stderr): route warnings into logging ("py.warnings").
    logging.captureWarnings(True)
    logging._mibg_log_privacy = True  # type: ignore[attr-defined]
