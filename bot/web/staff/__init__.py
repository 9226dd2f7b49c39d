"""The staff console, mounted under ``/staff`` by ``bot.web.app``: ``create_staff_app()``.

Coordinators review conversations and treatment requests here; see docs/staff-console.md.
"""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from bot.web.staff.config import StaffConfig, from_environment
from bot.web.staff.security import SecurityHeaders
from bot.web.staff.views import StaffConsole

STATIC = Path(__file__).resolve().parent.parent / "static" / "staff"


def create_staff_app(config: StaffConfig | None = None) -> Starlette:
    """The console as its own ASGI app; ``config`` defaults to the environment (``make run``)."""
    console = StaffConsole(config or from_environment())
    page, data = console.page, console.data
    routes = [
        Route("/", page(console.overview_page), name="overview"),
        Route("/login", console.login_form, methods=["GET"], name="login"),
        Route("/login", console.login, methods=["POST"]),
        Route("/logout", page(console.logout), methods=["POST"], name="logout"),
        Route("/conversations", page(console.conversation_list), name="conversations"),
        Route("/conversations/{sender_id:path}", page(console.conversation_page)),
        Route("/review/{sender_id:path}", page(console.review), methods=["POST"]),
        Route("/erase/{sender_id:path}", page(console.erase_confirm), methods=["GET"]),
        Route("/erase/{sender_id:path}", page(console.erase), methods=["POST"]),
        Route("/requests", page(console.request_list), name="requests"),
        Route("/requests/export.csv", data(console.export_csv), name="export"),
        Route("/requests/{reference}", page(console.request_page)),
        Route("/requests/{reference}/status", page(console.request_status), methods=["POST"]),
        Route("/audit", page(console.audit_page), name="audit"),
        Route("/api/overview", data(console.overview_json)),
        Route("/api/conversations", data(console.conversation_list_json)),
        Route("/api/conversations/{sender_id:path}", data(console.conversation_json)),
        Route("/api/requests", data(console.request_list_json)),
        Mount("/static", StaticFiles(directory=str(STATIC)), name="static"),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(SecurityHeaders)])
    app.state.console = console
    return app
