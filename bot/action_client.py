"""One kept-alive HTTP session to the action server instead of a new one per call.

Rasa 3.6's ``EndpointConfig.request`` opens a new ``aiohttp.ClientSession`` for every call and
closes it afterwards: a new TCP connection per custom action, of which our form makes one on
almost every turn. It also encodes the whole conversation (~50 KiB of JSON) with the standard
``json`` module.

:func:`install` keeps one session per endpoint settings and event loop, and encodes request
bodies with ``ujson`` (a Rasa dependency; same JSON, about 3x faster here; ``json`` for
anything ujson refuses). Idle connections are dropped after ``KEEPALIVE_S`` seconds, below
Sanic's default keep-alive of 5 s, so the client never reuses a connection the action server
may be closing ("Cannot write to closing transport"). Status handling, headers, parameters,
TLS and the timeout stay those of Rasa's method.
"""

from __future__ import annotations

import asyncio
import json
import os
import ssl
from typing import Any, Dict, Optional, Tuple

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


def install() -> None:
    """Replace ``EndpointConfig.request`` with the kept-alive version (idempotent)."""
    from aiohttp import ContentTypeError
    from rasa.shared.exceptions import FileNotFoundException
    from rasa.utils.endpoints import ClientResponseError, EndpointConfig, concat_url

    if getattr(EndpointConfig, "_mibg_kept_alive", False):
        return

    async def request(
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

    EndpointConfig._mibg_original_request = EndpointConfig.request
    EndpointConfig.request = request
    EndpointConfig._mibg_kept_alive = True


def uninstall() -> None:
    """Rasa's own method back (for tests)."""
    from rasa.utils.endpoints import EndpointConfig

    if getattr(EndpointConfig, "_mibg_kept_alive", False):
        EndpointConfig.request = EndpointConfig._mibg_original_request
        EndpointConfig._mibg_kept_alive = False
