"""A live stack (action server, Rasa, optionally the web app) for the scripts in ``bench/``.

The same servers, environment and waits as the ``live_stack`` test fixture (both use
``tests/support/stack.py``), but as a context manager with fixed ports
and extra environment, so a script run by ``make`` can start one, use it and stop it.
"""

from __future__ import annotations

import contextlib
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Dict, Iterator, Optional

from bot import settings
from tests.support.stack import MODEL, LiveStack, prepared_stack, running

#: The caller's own server settings, which must not reach this stack.
NOT_INHERITED = ("RASA_WORKERS", "LOCK_STORE_URL", "LOCK_STORE_PREFIX")


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
    workdir = Path(tempfile.mkdtemp(prefix="mibg-stack-"))
    stack = prepared_stack(workdir, base_port, base_port + 1, base_port + 2)
    env = stack.env
    for name in NOT_INHERITED:
        env.pop(name, None)
    env.update(PYTHONUNBUFFERED="1", **(extra_env or {}))
    try:
        with running(stack, web=web):
            yield stack
    finally:
        if settings.load_bench().keep_stack_logs:
            print(f"stack logs kept in {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
