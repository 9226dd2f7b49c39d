"""One kept-alive HTTP session to the action server instead of a new one per call.

Rasa 3.6's ``EndpointConfig.request`` opens a new ``aiohttp.ClientSession`` for every call and
closes it afterwards: a new TCP connection per custom action, of which our form makes one on
almost every turn. It also encodes the whole conversation (~50 KiB of JSON) with the standard
``json`` module.

:func:`install` keeps one session per endpoint settings and event loop, and encodes request
bodies with ``ujson`` (a Rasa dependency; same JSON, about 3x faster here; ``json`` for
anything ujson refuses). Idle connections are dropped after ``KEEPALIVE_S`` seconds, below
Sanic's default keep-alive of 5 s, so the client never reuses a connection the action server
may be closing ("Cannot write to closing transport"). Status handling, headers, parameters and
TLS stay those of Rasa's method.

Calls that run an action (a body with ``next_action``) are guarded as well, because Rasa
waits 300 s for them and, when one fails, sends the patient nothing:

- they time out after ``ACTION_TIMEOUT_S`` (5 s);
- a refused or broken connection, a timeout or an error status other than 400 (400 is the
  action server's way to reject an action, which Rasa handles) counts as a failure of the
  endpoint's circuit breaker (``bot.supervision.breaker``); while it is open, calls are not
  made at all;
- after a failed call, the same message (turn) makes no second call: the form's validation
  runs before and after a question in the form, and each would wait for the timeout;
- a failed or skipped call is answered by ``bot.supervision.fallback``: the patient hears
  ``utter_action_unavailable`` and the form stays where it was.

Log lines name the action and the error's type only.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import ssl
from typing import Any, Awaitable, Callable, Dict, Optional, Tuple

from bot.rasa_patches.registry import Patching
from bot.settings import Settings
from bot.supervision import fallback
from bot.supervision.breaker import CircuitBreaker

logger = logging.getLogger(__name__)

#: Seconds an idle connection is kept; below the 5 s Sanic closes them after by default.
KEEPALIVE_S = 4.0


def dumps(value: Any) -> str:
    import ujson

    try:
        return ujson.dumps(value, ensure_ascii=False, escape_forward_slashes=False)
    except (OverflowError, TypeError, ValueError):
        return json.dumps(value)


_sessions: Dict[Tuple[Any, ...], Any] = {}


def _session(endpoint: Any) -> Any:
    import aiohttp
    from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT

    loop = asyncio.get_running_loop()
    auth_key = tuple(sorted((endpoint.basic_auth or {}).items()))
    key = (id(loop), tuple(sorted((endpoint.headers or {}).items())), auth_key)
    session = _sessions.get(key)
    if session is None or session.closed:
        auth = None
        if endpoint.basic_auth:
            auth = aiohttp.BasicAuth(
                endpoint.basic_auth["username"], endpoint.basic_auth["password"]
            )
        session = aiohttp.ClientSession(
            headers=endpoint.headers,
            auth=auth,
            timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_S),
            json_serialize=dumps,
        )
        _sessions[key] = session
    return session


#: The settings the guard was applied with, and one breaker per action-server URL.
_config: Settings = Settings()
_breakers: Dict[str, CircuitBreaker] = {}
#: Conversation -> id of its latest message whose action call failed (see ``guarded``).
_failed_turns: Dict[str, str] = {}
MAX_FAILED_TURNS = 10_000


def breaker(url: str) -> CircuitBreaker:
    """The circuit breaker of the action server at ``url`` (one per process)."""
    found = _breakers.get(url)
    if found is None:
        found = _breakers[url] = CircuitBreaker(
            _config.action_breaker_failures, _config.action_breaker_cooldown_s
        )
    return found


def is_action_call(method: str, body: Any) -> bool:
    return method == "post" and isinstance(body, dict) and "next_action" in body


async def guarded(url: str, action_call: Dict[str, Any], send: Callable[[], Awaitable[Any]]) -> Any:
    """``send()``'s answer, or the fallback's when it fails or the breaker is open."""
    import aiohttp
    from rasa.utils.endpoints import ClientResponseError

    name = action_call.get("next_action")
    turn = _turn(action_call)
    if turn is not None and _failed_turns.get(turn[0]) == turn[1]:
        # This message already waited for a failed call (the form's validation before a
        # question is answered and again after it): at most one timeout per message.
        logger.warning("action server not called for %s: failed in this turn", name)
        return fallback.answer(action_call)
    circuit = breaker(url)
    if not circuit.allow():
        logger.warning("action server not called for %s: circuit open", name)
        return fallback.answer(action_call)
    try:
        result = await send()
    except ClientResponseError as error:
        if error.status == 400:  # a rejection is an answer: Rasa lets the rules take over
            circuit.success()
            raise
        reason = f"HTTP {error.status}"
    except (aiohttp.ClientError, asyncio.TimeoutError) as error:
        reason = type(error).__name__
    except BaseException:
        circuit.abandon()  # cancelled or a bug of ours: neither a success nor a failure
        raise
    else:
        circuit.success()
        return result
    if circuit.failure():
        logger.warning(
            "action server failed %d time(s) in a row: not called for %.0f s",
            circuit.consecutive,
            circuit.cooldown_s,
        )
    logger.warning("action server could not run %s (%s): answered for it", name, reason)
    if turn is not None:
        if len(_failed_turns) >= MAX_FAILED_TURNS:
            _failed_turns.clear()
        _failed_turns[turn[0]] = turn[1]
    return fallback.answer(action_call)


def _turn(action_call: Dict[str, Any]) -> Optional[Tuple[str, str]]:
    """(conversation, id of its latest message), if the call names both."""
    tracker = action_call.get("tracker")
    latest = tracker.get("latest_message") if isinstance(tracker, dict) else None
    message_id = latest.get("message_id") if isinstance(latest, dict) else None
    sender = action_call.get("sender_id")
    if isinstance(sender, str) and isinstance(message_id, str):
        return sender, message_id
    return None


def _reset(config: Settings) -> None:
    global _config
    _config = config
    _breakers.clear()
    _failed_turns.clear()


def install(patching: Patching) -> None:
    """Replace ``EndpointConfig.request`` with the kept-alive, guarded version."""
    import aiohttp
    from aiohttp import ContentTypeError
    from rasa.shared.exceptions import FileNotFoundException
    from rasa.utils.endpoints import ClientResponseError, EndpointConfig, concat_url

    _reset(patching.context.settings)
    patching.on_undo(lambda: _reset(Settings()))

    async def send(
        self: EndpointConfig,
        method: str = "post",
        subpath: Optional[str] = None,
        content_type: Optional[str] = "application/json",
        compress: bool = False,
        **kwargs: Any,
    ) -> Optional[Any]:
        headers = {}
        if content_type:
            headers["Content-Type"] = content_type
        if "headers" in kwargs:
            headers.update(kwargs.pop("headers"))
        if self.headers:
            headers.update(self.headers)
        url = concat_url(self.url, subpath)
        sslcontext = None
        if self.cafile:
            try:
                sslcontext = ssl.create_default_context(cafile=self.cafile)
            except FileNotFoundError as e:
                raise FileNotFoundException(
                    f"Failed to find certificate file, "
                    f"'{os.path.abspath(self.cafile)}' does not exist."
                ) from e
        async with _session(self).request(
            method,
            url,
            headers=headers,
            params=self.combine_parameters(kwargs),
            compress=compress,
            ssl=sslcontext,
            **kwargs,
        ) as response:
            if response.status >= 400:
                raise ClientResponseError(
                    response.status, response.reason, await response.content.read()
                )
            try:
                return await response.json()
            except ContentTypeError:
                return None

    async def request_kept_alive(
        self: EndpointConfig, method: str = "post", *args: Any, **kwargs: Any
    ) -> Optional[Any]:
        body = kwargs.get("json")
        if not isinstance(body, dict) or not is_action_call(method, body):
            return await send(self, method, *args, **kwargs)
        kwargs["timeout"] = aiohttp.ClientTimeout(total=_config.action_timeout_s)
        return await guarded(self.url, body, lambda: send(self, method, *args, **kwargs))

    patching.replace(EndpointConfig, "request", request_kept_alive)
