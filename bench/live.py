"""A live stack (action server, Rasa, optionally the web app) for the scripts in ``bench/``.

The same servers, environment and waits as the ``live_stack`` test fixture (tests/conftest.py,
whose helpers this reuses), but as a context manager with fixed ports and extra environment,
so a script run by ``make`` can start one, use it and stop it.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, Iterator, Optional

from tests.conftest import MODEL, ROOT, LiveStack, _start, stop_processes, wait_for


def stack_env(
    workdir: Path, ports: tuple, extra: Optional[Dict[str, str]] = None
) -> Dict[str, str]:
    """The environment of every server: throw-away SQLite files in ``workdir``, our ports."""
    rasa_port, action_port, web_port = ports
    env = dict(os.environ)
    env.pop("ACTION_SERVER_TOKEN", None)  # made by the servers in MIBG_VAR_DIR
    for name in ("RASA_WORKERS", "LOCK_STORE_URL", "LOCK_STORE_PREFIX"):
        env.pop(name, None)
    env.update(
        PYTHONPATH=str(ROOT),
        RASA_PORT=str(rasa_port),
        ACTION_PORT=str(action_port),
        WEB_PORT=str(web_port),
        DATABASE_URL=f"sqlite:///{workdir / 'requests.db'}",
        TRACKER_DATABASE_URL=f"sqlite:///{workdir / 'tracker.db'}",
        MIBG_VAR_DIR=str(workdir),
        TF_CPP_MIN_LOG_LEVEL="3",
        RASA_TELEMETRY_ENABLED="false",
        CORS_ORIGINS=f"http://localhost:{web_port},http://127.0.0.1:{web_port}",
        SANIC_KEEP_ALIVE_TIMEOUT="120",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra or {})
    return env


@contextlib.contextmanager
def running_stack(
    base_port: int, extra_env: Optional[Dict[str, str]] = None, web: bool = False
) -> Iterator[LiveStack]:
    """Servers on ``base_port`` (Rasa), ``+1`` (actions), ``+2`` (web); stopped on exit.

    Each server's stdout and stderr go to ``<name>.log`` in ``stack.logs`` (a temp directory,
    kept when ``KEEP_STACK_LOGS`` is set).
    """
    if not MODEL.exists():
        raise SystemExit(f"no trained model at {MODEL}: run `make train`")
    ports = (base_port, base_port + 1, base_port + 2)
    keep = bool(os.environ.get("KEEP_STACK_LOGS"))
    workdir = Path(tempfile.mkdtemp(prefix="mibg-stack-"))
    env = stack_env(workdir, ports, extra_env)
    subprocess.run(
        [sys.executable, "-m", "bot", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    stack = LiveStack(
        rasa_url=f"http://127.0.0.1:{ports[0]}",
        action_url=f"http://127.0.0.1:{ports[1]}",
        web_url=f"http://127.0.0.1:{ports[2]}",
        env=env,
        logs=workdir,
    )
    stack.processes = [
        _start([sys.executable, "-m", "bot", "serve-actions"], env, workdir / "actions.log"),
        _start([sys.executable, "-m", "bot", "serve-rasa"], env, workdir / "rasa.log"),
    ]
    if web:
        stack.processes.append(
            _start([sys.executable, "-m", "bot", "serve-web"], env, workdir / "web.log")
        )
    try:
        wait_for(f"{stack.action_url}/health", 60, stack.processes[0])
        wait_for(f"{stack.rasa_url}/webhooks/rest/", 180, stack.processes[1])
        if web:
            wait_for(f"{stack.web_url}/healthz", 60, stack.processes[2])
        yield stack
    finally:
        stop_processes(stack.processes)
        if not keep:
            import shutil

            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"stack logs kept in {workdir}", file=sys.stderr)
