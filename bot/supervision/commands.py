"""The command lines of our processes, built in one place: ``python -m bot <command> ...``.

supervisord's configuration (``make run``, ``bot/supervision/supervisord.py``), the live tests
(``tests/support/stack.py``) and the benchmark (``bench/``) start the same three servers and
migrate the same databases; the systemd units (``deploy/systemd/``) run these commands with
the installed venv's Python. Each builds its command line here, so a server is started the
same way everywhere.
"""

from __future__ import annotations

import sys
from typing import Dict, List, Mapping

#: The servers ``python -m bot serve-<name>`` starts, in the order they are started.
SERVERS = ("actions", "rasa", "web")
#: Environment defaults per server (an operator's value wins). The action server keeps
#: connections alive longer than Rasa's 15 s client pool: Sanic's default 5 s dropped
#: kept-alive calls under load.
SERVER_DEFAULTS: Mapping[str, Mapping[str, str]] = {
    "actions": {"SANIC_KEEP_ALIVE_TIMEOUT": "120"},
}


def bot(*args: str, python: str = sys.executable) -> List[str]:
    """``python -m bot ARGS``: any command of ``bot/cli.py``."""
    return [python, "-m", "bot", *args]


def serve(server: str, *args: str, python: str = sys.executable) -> List[str]:
    """The command that starts ``server`` (one of :data:`SERVERS`), with extra ``args``."""
    if server not in SERVERS:
        raise ValueError(f"no server {server!r}; ours are {', '.join(SERVERS)}")
    return bot(f"serve-{server}", *args, python=python)


def migrate(python: str = sys.executable) -> List[str]:
    """The command that brings the requests database to the newest schema."""
    return bot("db", "upgrade", python=python)


def defaults(server: str) -> Dict[str, str]:
    """:data:`SERVER_DEFAULTS` of ``server`` (a copy; empty for most)."""
    return dict(SERVER_DEFAULTS.get(server, {}))
