"""A counting proxy in front of the action server: which actions Rasa calls, how often, how big.

Rasa sends the whole conversation (every event) with each call to the action server, so the
size of those requests grows along a conversation. Run as
``python -m bench.action_proxy --target http://127.0.0.1:PORT --port PORT``; ``GET /stats``
returns the counts. Only names and sizes are kept, never the content. It adds a hop, so use it
to count calls, not to time them.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from typing import Any, Dict

from aiohttp import ClientSession, web


def build_app(target: str) -> web.Application:
    stats: Dict[str, Dict[str, Any]] = defaultdict(
        lambda: {"calls": 0, "request_bytes": 0, "response_bytes": 0, "seconds": 0.0}
    )

    async def webhook(request: web.Request) -> web.Response:
        body = await request.read()
        payload = await request.json()
        started = time.perf_counter()
        headers = {"Content-Type": "application/json"}
        if "Authorization" in request.headers:  # the action server's shared token
            headers["Authorization"] = request.headers["Authorization"]
        async with request.app["session"].post(
            target + "/webhook", data=body, headers=headers
        ) as reply:
            answer = await reply.read()
            status = reply.status
        entry = stats[str(payload.get("next_action"))]
        entry["calls"] += 1
        entry["request_bytes"] += len(body)
        entry["response_bytes"] += len(answer)
        entry["seconds"] += time.perf_counter() - started
        return web.Response(body=answer, status=status, content_type="application/json")

    async def health(_: web.Request) -> web.Response:
        async with app["session"].get(target + "/health") as reply:
            return web.Response(body=await reply.read(), status=reply.status)

    async def report(_: web.Request) -> web.Response:
        return web.json_response(dict(stats))

    async def reset(_: web.Request) -> web.Response:
        stats.clear()
        return web.json_response({})

    async def open_session(app: web.Application) -> None:
        app["session"] = ClientSession()

    async def close_session(app: web.Application) -> None:
        await app["session"].close()

    app = web.Application(client_max_size=64 * 2**20)
    app.router.add_post("/webhook", webhook)
    app.router.add_get("/health", health)
    app.router.add_get("/stats", report)
    app.router.add_post("/reset", reset)
    app.on_startup.append(open_session)
    app.on_cleanup.append(close_session)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    web.run_app(build_app(args.target), host="127.0.0.1", port=args.port, print=None)


if __name__ == "__main__":
    main()
