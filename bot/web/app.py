"""The Starlette application served on ``WEB_PORT`` (8000): demo page, widget files, staff console.

The demo page embeds the chat widget (``static/widget.js``), which talks socket.io to the Rasa
server on another port. Every response carries security headers; the Content-Security-Policy
allows scripts, styles and connections only to this site and that Rasa server, so a page can
make no third-party requests at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import AsyncIterator, Dict, List
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot import log_privacy, offline, settings

# Also when uvicorn is started directly (bot.web.app:app): no Rasa telemetry, redacted logs,
# private database files.
offline.apply()
log_privacy.install()

from bot.db.engine import private_files  # noqa: E402
from bot.i18n import locales  # noqa: E402

private_files()

from bot.web.staff import create_staff_app  # noqa: E402 - after the process setup above

WEB_DIR = Path(__file__).resolve().parent
STATIC_DIR = WEB_DIR / "static"
templates = Jinja2Templates(directory=str(WEB_DIR / "templates"))
#: Installed by ``npm ci`` (``make``); served from here so the widget needs no CDN.
SOCKET_IO_CLIENT = settings.ROOT / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"
#: Host names we are willing to echo into a URL and a header (the Host header is client input).
HOSTNAME_RE = re.compile(r"[A-Za-z0-9.-]{1,253}|[0-9A-Fa-f:.]{2,45}")


def rasa_url(request: Request) -> str:
    """The Rasa server as the visitor's browser reaches it (the widget's ``serverUrl``)."""
    config = settings.load()
    if config.public_rasa_url:
        return config.public_rasa_url
    host = request.url.hostname or ""
    if not HOSTNAME_RE.fullmatch(host):
        host = "localhost"
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    scheme = "https" if request.url.scheme == "https" else "http"
    return f"{scheme}://{host}:{config.rasa_port}"


def content_security_policy(rasa: str) -> str:
    """Only this site, plus the Rasa server for socket.io (HTTP long-polling and WebSocket)."""
    parts = urlsplit(rasa)
    websocket = ("wss" if parts.scheme == "https" else "ws") + f"://{parts.netloc}"
    origin = f"{parts.scheme}://{parts.netloc}"
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            f"connect-src 'self' {origin} {websocket}",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'self'",
        ]
    )


def security_headers(request: Request) -> Dict[str, str]:
    return {
        "Content-Security-Policy": content_security_policy(rasa_url(request)),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "SAMEORIGIN",
    }


class SecurityHeadersMiddleware:
    """Adds ``security_headers`` to every HTTP response that does not set them itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = security_headers(Request(scope))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def healthz(_: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


async def demo_page(request: Request) -> Response:
    """A patient-information page about MIBG therapy with the chat widget.

    ``?lang=de`` sets the page's ``<html lang>``, which the widget takes as its language.
    """
    language = locales.normalise(request.query_params.get("lang", ""))
    return templates.TemplateResponse(
        request, "index.html", {"rasa_url": rasa_url(request), "language": language}
    )


@lru_cache(maxsize=1)
def widget_strings_script() -> str:
    """``window.MibgChatStrings = {en: {...}, de: {...}, ...}`` from bot/locales/*/widget.yml."""
    strings = {language: locales.widget_strings(language) for language in locales.languages()}
    # "</" can never end a script element here; the JSON is data, not markup.
    payload = json.dumps(strings, ensure_ascii=False).replace("</", "<\\/")
    return f"window.MibgChatStrings = {payload};\n"


async def widget_strings(_: Request) -> Response:
    return Response(widget_strings_script(), media_type="text/javascript; charset=utf-8")


async def socket_io_client(_: Request) -> Response:
    if not SOCKET_IO_CLIENT.is_file():
        return PlainTextResponse("socket.io client missing: run `make` (npm ci)", status_code=404)
    return FileResponse(SOCKET_IO_CLIENT, media_type="text/javascript")


def public_routes() -> List[BaseRoute]:
    """The demo page, the widget's files and the health check."""
    return [
        Route("/", demo_page, name="demo"),
        Route("/healthz", healthz),
        # Before the /static mount, which would otherwise answer 404 for it.
        Route("/static/vendor/socket.io.min.js", socket_io_client, name="socket_io_client"),
        Route("/static/widget-strings.js", widget_strings, name="widget_strings"),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]


def create_app() -> Starlette:
    routes = public_routes()
    # The staff console (its own login, CSRF and stricter headers): bot/web/staff.
    routes.append(Mount("/staff", app=create_staff_app(), name="staff"))
    return Starlette(
        routes=routes,
        middleware=[Middleware(SecurityHeadersMiddleware)],
        lifespan=retention_schedule,
    )


@contextlib.asynccontextmanager
async def retention_schedule(_: Starlette) -> AsyncIterator[None]:
    """The daily retention run (``bot.privacy.retention``), in this one process only.

    The web app runs as one uvicorn process, unlike the Rasa server (``RASA_WORKERS``), so the
    job runs once however many Rasa workers there are. ``RETENTION_SCHEDULE=0`` turns it off
    (then run ``python -m bot retention run`` from cron).
    """
    task = None
    if settings.load().retention_schedule:
        from bot.privacy import retention

        task = asyncio.create_task(retention.run_daily())
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


app = create_app()
