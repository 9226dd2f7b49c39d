"""Shared fixtures: a live stack (Rasa + action server + web) on free ports, and databases.

The live stack starts once per test session and only when a test asks for it; it uses the
trained model in ``models/`` (``make test`` trains it first) and throw-away SQLite files.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Type, TypeVar

import pytest

from bot.rasa_patches import tf_free

# The runtime venv has no TensorFlow (requirements.lock): Rasa's modules that import it get the
# placeholders of bot/rasa_patches/tf_free.py, before any test imports Rasa.
tf_free.stand_in_where_not_installed()

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "mibg.tar.gz"
POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_ports(count: int, ports: range) -> List[int]:
    """The first ``count`` ports of ``ports`` that nothing listens on (a live test's own range,
    so parallel runs on one machine do not collide)."""
    found: List[int] = []
    for port in ports:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        found.append(port)
        if len(found) == count:
            return found
    raise RuntimeError(f"not {count} free ports in {ports}")


def wait_for(url: str, timeout: float, process: Optional[subprocess.Popen] = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process for {url} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as reply:
                if reply.status == 200:
                    return
        except (OSError, urllib.error.HTTPError):
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{url} not ready after {timeout} s")


@dataclass
class LiveStack:
    """Running servers and helpers to talk to them."""

    rasa_url: str
    action_url: str
    web_url: str
    env: Dict[str, str]
    logs: Path
    processes: List[subprocess.Popen] = field(default_factory=list)

    def post(self, path: str, payload: object, raw: Optional[bytes] = None) -> tuple:
        """POST JSON (or ``raw`` bytes) to the Rasa server; returns (status, parsed body)."""
        data = raw if raw is not None else json.dumps(payload).encode()
        request = urllib.request.Request(
            self.rasa_url + path, data=data, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as reply:
                body = reply.read()
                return reply.status, json.loads(body) if body else None
        except urllib.error.HTTPError as error:
            body = error.read()
            try:
                return error.code, json.loads(body)
            except ValueError:
                return error.code, body.decode(errors="replace")

    def chat(self, sender: str, message: str) -> List[dict]:
        """Send one message over REST and return the bot's messages."""
        status, body = self.post("/webhooks/rest/webhook", {"sender": sender, "message": message})
        assert status == 200, (status, body)
        return body

    def texts(self, sender: str, message: str) -> str:
        """The bot's reply texts joined by newlines (for ``in`` assertions)."""
        return "\n".join(m.get("text", "") for m in self.chat(sender, message))


S = TypeVar("S", bound=LiveStack)


def _start(cmd: List[str], env: Dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)


def stop_processes(processes: List[subprocess.Popen]) -> None:
    """Terminate them all, then wait; kill what has not stopped after 15 s."""
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def start_servers(stack: LiveStack, web: bool = True) -> None:
    """Start the action server, the Rasa server (and the web app) for ``stack``, logging into
    ``stack.logs``, and wait until each answers; stop them all if one does not."""
    env = stack.env
    servers = [
        ("actions", f"http://127.0.0.1:{env['ACTION_PORT']}/health", 60),
        ("rasa", f"{stack.rasa_url}/webhooks/rest/", 180),
    ]
    if web:
        servers.append(("web", f"{stack.web_url}/healthz", 60))
    stack.processes = [
        _start([sys.executable, "-m", "bot", f"serve-{name}"], env, stack.logs / f"{name}.log")
        for name, _, _ in servers
    ]
    try:
        for (_, url, timeout), process in zip(servers, stack.processes):
            wait_for(url, timeout, process)
    except BaseException:
        stop_processes(stack.processes)
        raise


def prepared_stack(
    workdir: Path, rasa_port: int, action_port: int, web_port: int, kind: Type[S] = LiveStack
) -> S:
    """A ``kind`` of :class:`LiveStack` (not started) on these ports with throw-away SQLite
    files in ``workdir``, its requests database migrated."""
    env = dict(os.environ)
    # The action-server token is made by the servers in VAR_DIR (var/action-server.token).
    env.pop("ACTION_SERVER_TOKEN", None)
    env.update(
        PYTHONPATH=str(ROOT),
        RASA_PORT=str(rasa_port),
        ACTION_PORT=str(action_port),
        WEB_PORT=str(web_port),
        DATABASE_URL=f"sqlite:///{workdir / 'requests.db'}",
        TRACKER_DATABASE_URL=f"sqlite:///{workdir / 'tracker.db'}",
        VAR_DIR=str(workdir),
        TF_CPP_MIN_LOG_LEVEL="3",
        RASA_TELEMETRY_ENABLED="false",
        CORS_ORIGINS=f"http://localhost:{web_port},http://127.0.0.1:{web_port}",
        # Longer than Rasa's 15 s aiohttp pool: Sanic's default 5 s drops calls under load.
        SANIC_KEEP_ALIVE_TIMEOUT="120",
    )
    subprocess.run(
        [sys.executable, "-m", "bot", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return kind(
        rasa_url=f"http://127.0.0.1:{rasa_port}",
        action_url=f"http://127.0.0.1:{action_port}",
        web_url=f"http://127.0.0.1:{web_port}",
        env=env,
        logs=workdir,
    )


@pytest.fixture(scope="session")
def live_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train`")
    workdir = tmp_path_factory.mktemp("live")
    stack = prepared_stack(workdir, free_port(), free_port(), free_port())
    start_servers(stack)
    try:
        yield stack
    finally:
        stop_processes(stack.processes)


@pytest.fixture()
def sender_id() -> str:
    """A fresh conversation id per test."""
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture()
def postgres_url() -> Iterator[str]:
    """A throw-away PostgreSQL database on this machine's server, dropped afterwards."""
    sqlalchemy = pytest.importorskip("sqlalchemy")
    name = f"mibg_test_{uuid.uuid4().hex[:10]}"
    admin = sqlalchemy.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", future=True)
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sqlalchemy.exc.OperationalError as error:
        admin.dispose()
        pytest.fail(f"PostgreSQL at {POSTGRES_ADMIN_URL} is not reachable: {error}")
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        from bot.db.engine import get_engine

        get_engine.cache_clear()
        with admin.connect() as connection:
            connection.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
            )
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        admin.dispose()
