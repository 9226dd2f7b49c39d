"""The Starlette application served on ``WEB_PORT`` (8000): demo page, widget files, staff console."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route


async def healthz(_: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


def create_app() -> Starlette:
    routes = [Route("/healthz", healthz)]
    return Starlette(routes=routes)


app = create_app()
