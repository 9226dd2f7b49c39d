"""The servers a benchmark run talks to: one action server, and one Rasa server per bot.

Both bots get the same channel (our REST channel only, written to ``bench/work/credentials.yml``
so work in progress on other channels cannot break the benchmark), the same kind of tracker
store (the repository's ``endpoints.yml``: SQL, here SQLite in a fresh temp file per server) and
the same action server (started as `make run` does). Our bot is served as
``python -m bot serve-rasa`` serves it, with the speed-ups of ``bot/rasa_patches`` applied
in-process (``bench.launch --deployed``); the baseline is a plain ``rasa run``, as a default
bot is, by the TensorFlow venv's ``rasa`` (bench/prepare.py). ``--enable-api`` with a random
token opens ``/model/parse`` for the NLU evaluation.
"""

from __future__ import annotations

import json
import secrets
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List

from bench import procs
from bench.load import REST_PATH
from bench.prepare import RASA, ROOT, WORK, rasa_with_tensorflow
from bot import settings
from bot.rasa_patches import tf_free
from bot.supervision import commands
from tests.support.stack import migrate

CREDENTIALS = "bot.channels.rest.SafeRestInput:\n"
#: As `make run` starts the action server: a keep-alive longer than Rasa's 15 s aiohttp pool
#: (Sanic's 5 s default made Rasa reuse closed connections and lose conversations under load).
ACTION_SERVER_ENV = commands.defaults("actions")
#: One action-server token for every server of a benchmark run.
ACTION_SERVER_TOKEN = secrets.token_urlsafe(32)
#: How the benchmark serves our bot: Rasa in-process with bot.rasa_patches, as serve-rasa does.
AS_DEPLOYED = [sys.executable, "-m", "bench.launch", "--deployed", "--"]


def base_env(environ: Dict[str, str]) -> Dict[str, str]:
    """The environment for every process we start: quiet, no telemetry, our code importable."""
    env = dict(environ)
    env.update(
        PYTHONPATH=str(ROOT),
        TF_CPP_MIN_LOG_LEVEL="3",
        RASA_TELEMETRY_ENABLED="false",
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
        PYTHONUNBUFFERED="1",
        # What the Rasa servers send and the action servers require (endpoints.yml).
        ACTION_SERVER_TOKEN=ACTION_SERVER_TOKEN,
    )
    # Settings of the caller's own servers must not leak into ours (workers, keep-alive, ports).
    for name in list(env):
        if name.startswith("SANIC_") or name in (
            "RASA_PORT",
            "ACTION_PORT",
            "TRACKER_DATABASE_URL",
            "RASA_WORKERS",
            "LOCK_STORE_URL",
            "LOCK_STORE_PREFIX",
        ):
            del env[name]
    return env


def redis_answers(url: str, timeout_s: float = 2.0) -> bool:
    """Whether a Redis server answers PING at ``url`` (redis://host:port/db)."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port or 6379), timeout_s) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(64).startswith((b"+PONG", b"-NOAUTH"))
    except OSError:
        return False


def scale_out_env() -> tuple[Dict[str, str], str]:
    """How ours is served: ``BENCH_WORKERS`` (default 2) workers sharing a Redis lock store.

    That is the production setting of docs/performance.md (``RASA_WORKERS`` and
    ``LOCK_STORE_URL`` for ``serve-rasa``). Without Redis at ``BENCH_REDIS_URL`` (default
    redis://127.0.0.1:6379/1) ours runs with one worker, and the returned note says so.
    """
    config = settings.load_bench()
    workers, url = config.bench_workers, config.bench_redis_url
    if workers <= 1:
        return {"RASA_WORKERS": "1"}, "ours: 1 worker (BENCH_WORKERS=1)"
    if not redis_answers(url):
        return {"RASA_WORKERS": "1"}, f"ours: 1 worker, no Redis answered at {url}"
    env = {
        "RASA_WORKERS": str(workers),
        "LOCK_STORE_URL": url,
        # Letters and digits only; keeps these locks apart from anyone else's on this Redis.
        "LOCK_STORE_PREFIX": f"bench{uuid.uuid4().hex[:8]}",
    }
    return env, f"ours: {workers} workers sharing a Redis lock store ({url})"


def start_action_server(tmp: Path, env: Dict[str, str], log_name: str = "actions") -> procs.Server:
    """Migrate a fresh SQLite requests database and start the action server on a free port.

    ``env`` may override ``ACTION_SERVER_ENV`` (the variants measure Sanic's default keep-alive).
    """
    env = {
        **ACTION_SERVER_ENV,
        **env,
        "DATABASE_URL": f"sqlite:///{tmp / 'requests.db'}",
        "VAR_DIR": str(tmp),
    }
    migrate(env)
    port = procs.free_port()
    server = procs.start(
        "action server",
        commands.serve("actions", "--port", str(port)),
        env,
        ROOT,
        WORK / "logs" / f"{log_name}.log",
        f"http://127.0.0.1:{port}",
    )
    procs.wait_http_ok(server, "/health", 120)
    return server


@dataclass
class RasaServer:
    server: procs.Server
    #: Samples the memory of the server's process tree from its start until ``stop()``.
    sampler: procs.TreeSampler
    token: str
    #: Seconds from process start until the first REST message was answered.
    cold_start_s: float
    first_reply_ms: float

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def pid(self) -> int:
        return self.server.process.pid

    def stop(self) -> None:
        self.sampler.stop()
        self.server.stop()


def rasa_command(model: Path, port: int, endpoints: Path, token: str) -> List[str]:
    """``rasa run`` for ``model``: the TensorFlow venv's ``rasa`` when the model needs it."""
    credentials = WORK / "credentials.yml"
    credentials.parent.mkdir(parents=True, exist_ok=True)
    credentials.write_text(CREDENTIALS, encoding="utf-8")
    return [
        rasa_with_tensorflow() if tf_free.model_needs_tensorflow(model) else RASA,
        "run",
        "--model",
        str(model),
        "--port",
        str(port),
        "--credentials",
        str(credentials),
        "--endpoints",
        str(endpoints),
        "--enable-api",
        # One argument: secrets.token_urlsafe can start with "-", which argparse would take
        # for an option ("argument -t/--auth-token: expected one argument").
        f"--auth-token={token}",
    ]


def _post_json(url: str, payload: object, timeout_s: float) -> tuple:
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout_s) as reply:
        return reply.status, json.loads(reply.read() or b"null")


def wait_first_answer(server: procs.Server, timeout_s: float) -> tuple[float, float]:
    """Send a REST message until one is answered; (seconds since start, that request's ms)."""
    deadline = time.monotonic() + timeout_s
    payload = {"sender": f"bench-cold-{uuid.uuid4().hex[:12]}", "message": "hello"}
    while time.monotonic() < deadline:
        server.check_alive()
        sent = time.monotonic()
        try:
            status, body = _post_json(server.url + REST_PATH, payload, 30)
        except (OSError, urllib.error.HTTPError, ValueError):
            time.sleep(0.1)
            continue
        if status == 200 and body:
            now = time.monotonic()
            return now - server.started_at, 1000 * (now - sent)
        time.sleep(0.1)
    raise TimeoutError(
        f"{server.name} answered no message within {timeout_s:.0f} s; see {server.log}"
    )


def start_rasa(
    name: str,
    model: Path,
    tmp: Path,
    env: Dict[str, str],
    action_port: int,
    timeout_s: float,
    sample_interval_s: float,
    endpoints: Path | None = None,
    extra_env: Dict[str, str] | None = None,
    prefix: List[str] | None = None,
) -> RasaServer:
    """Start ``rasa run`` for ``model`` with a fresh SQLite tracker store; wait for an answer.

    ``prefix`` runs the server under another program (``python -m cProfile -o ...``).
    """
    port = procs.free_port()
    token = secrets.token_urlsafe(16)
    server_env = {
        **env,
        "ACTION_PORT": str(action_port),
        "TRACKER_DATABASE_URL": f"sqlite:///{tmp / f'{name}-tracker.db'}",
        "VAR_DIR": str(tmp),
        # As `python -m bot serve-rasa` does.
        "SANIC_REQUEST_MAX_SIZE": "65536",
        "SANIC_WORKERS": "1",
        **(extra_env or {}),
    }
    cmd = rasa_command(model, port, endpoints or ROOT / "endpoints.yml", token)
    if not tf_free.model_needs_tensorflow(model) and "bench.launch" not in (prefix or []):
        # The runtime venv's `rasa` cannot import TensorFlow: bench.launch leaves it out.
        prefix = [*(prefix or [sys.executable]), "-m", "bench.launch", "--"]
    server = procs.start(
        f"Rasa server ({name})",
        (prefix or []) + cmd,
        server_env,
        ROOT,
        WORK / "logs" / f"{name}-rasa.log",
        f"http://127.0.0.1:{port}",
    )
    sampler = procs.TreeSampler(server.process.pid, sample_interval_s).__enter__()
    try:
        cold_start_s, first_reply_ms = wait_first_answer(server, timeout_s)
    except BaseException:
        sampler.stop()
        server.stop()
        raise
    return RasaServer(server, sampler, token, cold_start_s, first_reply_ms)
