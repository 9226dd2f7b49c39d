"""The action server (``python -m bot serve-actions``): rasa_sdk's app with a shared token.

rasa_sdk 3.6 has no authentication: anyone who reaches the port could ``POST /webhook`` a
forged conversation and run ``action_submit_request`` to store a treatment request, or read
what the actions answer. Its error answer (HTTP 500) also echoes the whole request, every slot
included, which the Rasa server then logs.

This wrapper builds the SDK app (``rasa_sdk.endpoint.create_app``) and adds:

- a check of ``Authorization: Bearer <ACTION_SERVER_TOKEN>`` (constant-time) on every route
  but ``/health``: 401 without it. The Rasa server sends the header (``endpoints.yml``); the
  token is ``ACTION_SERVER_TOKEN`` or, unset, a random one kept in ``var/action-server.token``
  (0600) that ``serve-rasa`` reads as well;
- an error answer that says only that the action failed (the error is logged by type);
- the address from ``ACTION_HOST`` (default 127.0.0.1), no CORS (only the Rasa server calls
  it), the log-privacy filter, and Rasa's telemetry off.
"""

from __future__ import annotations

import hmac
import logging
from typing import Optional

from bot import log_privacy, offline, settings

offline.apply()  # on import, before rasa_sdk or our actions are loaded

logger = logging.getLogger(__name__)

#: Routes that answer without the token (``make run``'s readiness check).
OPEN_PATHS = frozenset({"/health"})
AUTH_HEADER = "Authorization"
AUTH_SCHEME = "Bearer "


def authorised(header: Optional[str], token: str) -> bool:
    """Whether ``header`` is ``Bearer <token>`` (constant time; non-ASCII never matches)."""
    if not header or not header.isascii() or not header.startswith(AUTH_SCHEME):
        return False
    return hmac.compare_digest(header[len(AUTH_SCHEME) :].encode(), token.encode())


def create_app(token: str, actions_package: str = "actions"):  # -> sanic.Sanic
    """rasa_sdk's action server app, refusing requests without ``token``."""
    if not token:
        raise ValueError("the action server needs a token")
    from rasa_sdk.endpoint import create_app as create_sdk_app
    from sanic import response

    app = create_sdk_app(actions_package, cors_origins=None)

    @app.on_request
    async def require_token(request):  # noqa: ANN001, ANN202 - Sanic middleware
        if request.path in OPEN_PATHS:
            return None
        if not authorised(request.headers.get(AUTH_HEADER), token):
            logger.warning("action server: request without the shared token refused")
            return response.json({"error": "unauthorised"}, status=401)
        return None

    @app.exception(Exception)
    async def failed(request, exception: Exception):  # noqa: ANN001, ANN202
        # rasa_sdk's own handler answers with the request body (every slot): not here.
        logger.error("action server request failed: %s", type(exception).__name__)
        return response.json({"error": "the action failed"}, status=500)

    return app


def serve(port: int, host: str, actions_package: str = "actions") -> None:
    """Start the action server (blocks), as ``python -m rasa_sdk`` would, with the token."""
    offline.apply()
    from rasa_sdk import utils
    from rasa_sdk.plugin import plugin_manager

    utils.configure_colored_logging(logging.INFO)
    utils.update_sanic_log_level()
    log_privacy.install()
    from bot.db.engine import private_files

    private_files()
    logger.info("Starting action endpoint server...")
    app = create_app(settings.action_server_token(), actions_package)
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    logger.info("Action endpoint is up and running on http://%s:%s", host, port)
    app.run(host, port, workers=utils.number_of_sanic_workers(), access_log=False)
