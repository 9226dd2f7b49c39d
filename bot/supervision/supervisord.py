"""``make run`` under supervisord: every server is restarted when it dies (docs/processes.md).

honcho, which ``make run`` used before, stops *all* processes when one exits: a crash of the
action server took the chat down with it. supervisord (PyPI ``supervisor``, no dependencies)
restarts a program that exits unexpectedly within about a second of noticing, and stops them
all, in order, on Ctrl-C or SIGTERM. Each program runs in its own process group, so Ctrl-C in
the terminal reaches supervisord only, which then stops the servers one by one.

:func:`write_config` writes ``var/supervisor/supervisord.conf`` from :data:`PROGRAMS` and the
current interpreter; :func:`run` replaces this process with ``supervisord -n`` (foreground).
Its runtime files (config, pid file, control socket, its own log) live in ``var/supervisor/``
and the servers' output in ``var/log/``, both 0700 with 0600 files, as everything in ``var/``:
logs can hold conversation ids. ``python -m bot ctl status`` (supervisorctl) talks to it
through the socket.
"""

from __future__ import annotations

import os
import secrets
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Sequence

from bot.settings import ROOT
from bot.supervision import commands


@dataclass(frozen=True)
class Program:
    """One supervised server: ``python -m bot serve-<name>`` (``bot.supervision.commands``)."""

    name: str
    #: Seconds it must stay up to count as started; a quicker exit is retried with a growing
    #: back-off and given up after ``startretries`` (a broken model or config).
    startsecs: int = 2
    #: Environment defaults (an operator's value wins).
    defaults: Dict[str, str] = field(default_factory=dict)


PROGRAMS: List[Program] = [
    Program("actions", defaults=commands.defaults("actions")),
    Program("rasa", startsecs=5),
    Program("web"),
]
#: How many quick deaths in a row (within ``startsecs``) before a program is left stopped.
START_RETRIES = 5
#: Seconds a program has to stop after SIGTERM before it (and its process group) is killed.
STOP_WAIT_S = 15
#: A Unix socket's path may be 107 bytes long; a longer ``VAR_DIR`` cannot hold it.
MAX_SOCKET_PATH = 100


def runtime_dir(var_dir: Path) -> Path:
    return var_dir / "supervisor"


def log_dir(var_dir: Path) -> Path:
    return var_dir / "log"


def config_path(var_dir: Path) -> Path:
    return runtime_dir(var_dir) / "supervisord.conf"


def socket_path(var_dir: Path) -> Path:
    return runtime_dir(var_dir) / "supervisor.sock"


def _value(text: object) -> str:
    """A path or value for the config; supervisord expands ``%(...)s`` once or twice depending
    on the option, so no escaping works everywhere: a ``%`` is refused instead."""
    value = str(text)
    if "%" in value:
        raise ValueError(f"supervisord cannot take a '%' in {value!r}")
    return value


def _command(parts: Sequence[str]) -> str:
    return " ".join(_value(part) for part in parts)


def _environment(defaults: Dict[str, str]) -> str:
    missing = {k: v for k, v in defaults.items() if k not in os.environ}
    return ",".join(f'{k}="{_value(v)}"' for k, v in missing.items())


def config_text(var_dir: Path, password: str, python: str = sys.executable) -> str:
    """supervisord's configuration for the servers of :data:`PROGRAMS` and the ready check.

    The control socket is 0700 and asks for a password as well (new on every start, kept only
    in this 0600 file, where supervisorctl reads it).
    """
    run, logs = runtime_dir(var_dir), log_dir(var_dir)
    lines = [
        "; Written by `python -m bot run` (bot/supervision/supervisord.py) on every start.",
        "[supervisord]",
        "nodaemon=true",
        f"directory={_value(ROOT)}",
        f"logfile={_value(run / 'supervisord.log')}",
        "logfile_maxbytes=1MB",
        "logfile_backups=2",
        f"pidfile={_value(run / 'supervisord.pid')}",
        f"childlogdir={_value(run)}",
        "umask=077",
        "",
        "[unix_http_server]",
        f"file={_value(socket_path(var_dir))}",
        "chmod=0700",
        "username=mibg",
        f"password={_value(password)}",
        "",
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
        "",
        "[supervisorctl]",
        f"serverurl=unix://{_value(socket_path(var_dir))}",
        "username=mibg",
        f"password={_value(password)}",
    ]
    for program in PROGRAMS:
        lines += [
            "",
            f"[program:{program.name}]",
            f"command={_command(commands.serve(program.name, python=python))}",
            f"directory={_value(ROOT)}",
            "autorestart=true",
            f"startsecs={program.startsecs}",
            f"startretries={START_RETRIES}",
            "stopsignal=TERM",
            f"stopwaitsecs={STOP_WAIT_S}",
            # Rasa with RASA_WORKERS > 1 has worker processes: stop and kill the whole group.
            "stopasgroup=true",
            "killasgroup=true",
            "redirect_stderr=true",
            f"stdout_logfile={_value(logs / (program.name + '.log'))}",
            "stdout_logfile_maxbytes=10MB",
            "stdout_logfile_backups=3",
        ]
        environment = _environment(program.defaults)
        if environment:
            lines.append(f"environment={environment}")
    lines += [
        "",
        "; Waits for the three servers, prints the URLs to the terminal, and exits.",
        "[program:ready]",
        f"command={_command(commands.bot('wait-ready', '--exit', python=python))}",
        f"directory={_value(ROOT)}",
        "autorestart=false",
        "startsecs=0",
        "priority=999",
        "redirect_stderr=true",
        "stdout_logfile=/dev/stdout",
        "stdout_logfile_maxbytes=0",
        "",
    ]
    return "\n".join(lines)


def _private_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)


def running(var_dir: Path) -> bool:
    """Does a supervisord answer on this ``var/``'s control socket?"""
    import socket

    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        try:
            sock.connect(str(socket_path(var_dir)))
        except OSError:
            return False
    return True


def write_config(var_dir: Path) -> Path:
    """Create the private runtime and log folders and write the configuration (0600).

    Refused while a supervisord runs on ``var_dir``: a new config (with a new socket password)
    would lock ``ctl`` out of the running one.
    """
    if running(var_dir):
        raise RuntimeError(f"supervisord already runs for {var_dir}: `python -m bot ctl status`")
    if len(str(socket_path(var_dir))) > MAX_SOCKET_PATH:
        raise ValueError(f"VAR_DIR is too long for a control socket: {var_dir}")
    text = config_text(var_dir, secrets.token_urlsafe(24))  # refuses a '%' before any mkdir
    _private_dir(runtime_dir(var_dir))
    _private_dir(log_dir(var_dir))
    path = config_path(var_dir)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as stream:
        stream.write(text)
    os.chmod(path, 0o600)
    return path


def _tool(name: str) -> str:
    """supervisord / supervisorctl of this interpreter's environment."""
    return str(Path(sys.executable).parent / name)


def run(var_dir: Path) -> None:
    """Replace this process with supervisord in the foreground (does not return)."""
    path = write_config(var_dir)
    os.umask(0o077)  # supervisord applies its umask only when it daemonizes
    supervisord = _tool("supervisord")
    os.execv(supervisord, [supervisord, "-c", str(path)])


def ctl(var_dir: Path, args: Sequence[str]) -> int:
    """Run supervisorctl against the running supervisord; its exit code."""
    import subprocess

    path = config_path(var_dir)
    if not path.exists():
        print(f"no supervisord configuration at {path}: is `make run` running?", file=sys.stderr)
        return 1
    return subprocess.call([_tool("supervisorctl"), "-c", str(path), *args])
