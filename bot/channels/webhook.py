"""What the messenger webhooks (Telegram, Facebook) share around their own ``/webhook`` route.

Both refuse a delivery without the platform's secret (Telegram's token, Meta's signature) before
they read its body, answer 404 everywhere while their settings are missing, and on server stop
let the updates already taken finish before the output's connection pool is closed. Each
channel keeps only what its platform does differently: the header, the handshake, the update
format.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Awaitable, Callable

from sanic import Blueprint, response
from sanic.exceptions import InvalidUsage
from sanic.request import Request
from sanic.response import HTTPResponse

if TYPE_CHECKING:
    from bot.channels.delivery import BackgroundHandler


def off_blueprint(name: str) -> Blueprint:
    """The routes of a channel whose settings are missing: every request gets 404."""
    blueprint = Blueprint(f"{name}_webhook_off", __name__)

    async def off(_: Request) -> HTTPResponse:
        return response.json({"error": f"the {name} channel is not enabled"}, status=404)

    blueprint.add_route(off, "/", methods=["GET"])
    blueprint.add_route(off, "/webhook", methods=["GET", "POST"])
    return blueprint


def refusal(request: Request, authentic: bool) -> HTTPResponse | None:
    """The answer to a delivery the webhook does not take: 403 unless ``authentic`` (the
    platform's secret or signature checked), 400 when the body is not JSON; ``None``: go on
    with ``request.json``."""
    if not authentic:
        return response.json({"error": "forbidden"}, status=403)
    try:
        request.load_json()  # what ``request.json`` does; it keeps the result
    except InvalidUsage:
        return response.json({"error": "the body must be JSON"}, status=400)
    return None


def current_agent(request: Request) -> Callable[[], Any]:
    """The Rasa agent of the request's app at the time it is called (a model reload replaces it)."""
    app = request.app
    return lambda: getattr(app.ctx, "agent", None)


def webhook_blueprint(
    name: str, background: BackgroundHandler, close_output: Callable[[], Awaitable[object]]
) -> Blueprint:
    """The routes of an enabled channel before its own: ``GET /`` answers that it is up, and
    when the server stops the messages already taken are handled before the output's
    connection pool is closed. The channel adds ``/webhook``."""
    webhook = Blueprint(f"secure_{name}_webhook", __name__)

    @webhook.listener("before_server_stop")
    async def stop(_app: Any, _loop: Any) -> None:
        await background.close()  # lets the messages already taken finish
        await close_output()

    @webhook.route("/", methods=["GET"])
    async def health(_: Request) -> HTTPResponse:
        return response.json({"status": "ok"})

    return webhook
