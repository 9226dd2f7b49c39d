"""A live stack (Rasa, the action server, the web app) on free ports, for tests and the bench.

``prepared_stack`` gives the servers' environment on throw-away SQLite files with the requests
database migrated; ``start_servers`` starts them with the command lines of
``bot.supervision.commands`` and waits until each answers. The ``live_stack`` fixture
(tests/conftest.py) and ``bench/live.py`` both use them.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Type, TypeVar

from bot.settings import ROOT
from bot.supervision import commands

MODEL = ROOT / "models" / "mibg.tar.gz"


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


def start_process(cmd: List[str], env: Dict[str, str], log: Path) -> subprocess.Popen:
    """``cmd`` in the repository, its output (stdout and stderr) to ``log``, in a process group
    of its own (a Rasa server with ``RASA_WORKERS=2`` forks its workers into it)."""
    return subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _signal_group(process: subprocess.Popen, signal_number: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal_number)


def stop_processes(processes: List[subprocess.Popen]) -> None:
    """Terminate them all, then wait; kill what has not stopped after 15 s. Each process's
    whole group: a worker whose parent is gone must not keep serving (one outlived its test
    stack and kept listening)."""
    for process in processes:
        _signal_group(process, signal.SIGTERM)
    for process in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=15)
        _signal_group(process, signal.SIGKILL)
        process.wait()


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
        start_process(commands.serve(name), env, stack.logs / f"{name}.log")
        for name, _, _ in servers
    ]
    try:
        for (_, url, timeout), process in zip(servers, stack.processes):
            wait_for(url, timeout, process)
    except BaseException:
        stop_processes(stack.processes)
        raise


@contextlib.contextmanager
def running(stack: S, web: bool = True) -> Iterator[S]:
    """``stack`` with its servers started (:func:`start_servers`); stopped on exit."""
    start_servers(stack, web=web)
    try:
        yield stack
    finally:
        stop_processes(stack.processes)


def migrate(env: Dict[str, str]) -> None:
    """Bring the requests database of ``env`` (``DATABASE_URL``) to the newest schema."""
    subprocess.run(commands.migrate(), cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def add_staff_account(env: Dict[str, str], email: str, password: str) -> None:
    """A staff account in the requests database of ``env`` (``python -m bot staff add``)."""
    subprocess.run(
        commands.bot("staff", "add", email),
        cwd=ROOT,
        env={**env, "STAFF_PASSWORD": password},
        check=True,
        stdout=subprocess.DEVNULL,
    )


def prepared_stack(
    workdir: Path,
    rasa_port: int,
    action_port: int,
    web_port: Optional[int] = None,
    kind: Type[S] = LiveStack,
    database_url: Optional[str] = None,
    tracker_url: Optional[str] = None,
    **extra_env: str,
) -> S:
    """A ``kind`` of :class:`LiveStack` (not started) on these ports, its requests database
    migrated: throw-away SQLite files in ``workdir`` unless ``database_url`` / ``tracker_url``
    name others (PostgreSQL), and ``extra_env`` (``RASA_WORKERS``, ``CORS_ORIGINS``...) last.
    Without ``web_port`` the stack has no web app (``web_url`` is empty)."""
    env = dict(os.environ)
    # The action-server token is made by the servers in VAR_DIR (var/action-server.token).
    env.pop("ACTION_SERVER_TOKEN", None)
    env.update(
        PYTHONPATH=str(ROOT),
        RASA_PORT=str(rasa_port),
        ACTION_PORT=str(action_port),
        DATABASE_URL=database_url or f"sqlite:///{workdir / 'requests.db'}",
        TRACKER_DATABASE_URL=tracker_url or f"sqlite:///{workdir / 'tracker.db'}",
        VAR_DIR=str(workdir),
        TF_CPP_MIN_LOG_LEVEL="3",
        RASA_TELEMETRY_ENABLED="false",
        # The action server's keep-alive, given to every server as `make run` gives it.
        **commands.defaults("actions"),
    )
    if web_port is not None:
        env.update(
            WEB_PORT=str(web_port),
            CORS_ORIGINS=f"http://localhost:{web_port},http://127.0.0.1:{web_port}",
        )
    env.update(extra_env)
    migrate(env)
    return kind(
        rasa_url=f"http://127.0.0.1:{rasa_port}",
        action_url=f"http://127.0.0.1:{action_port}",
        web_url=f"http://127.0.0.1:{web_port}" if web_port is not None else "",
        env=env,
        logs=workdir,
    )
