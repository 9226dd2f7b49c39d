"""The supervisord configuration ``python -m bot run`` writes: parsed by supervisord itself."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from supervisor.datatypes import RestartUnconditionally
from supervisor.options import ServerOptions

from bot.supervision import supervisord


def parsed(path: Path) -> ServerOptions:
    options = ServerOptions()
    options.realize(args=["-c", str(path)])
    return options


def test_every_server_is_restarted_and_stopped_as_a_group(tmp_path: Path) -> None:
    options = parsed(supervisord.write_config(tmp_path / "var"))
    programs = {group.name: group.process_configs[0] for group in options.process_group_configs}
    assert set(programs) == {"actions", "rasa", "web", "ready"}
    for name in ("actions", "rasa", "web"):
        program = programs[name]
        assert program.autorestart is RestartUnconditionally, name  # honcho stopped all instead
        assert program.stopasgroup and program.killasgroup, name
        assert program.command.endswith(f"-m bot serve-{name}")
        assert program.stdout_logfile == str(tmp_path / "var" / "log" / f"{name}.log")
    assert programs["ready"].autorestart is False
    assert programs["ready"].command.endswith("wait-ready --exit")
    assert options.nodaemon  # the foreground process of `make run`


def test_runtime_files_are_private(tmp_path: Path) -> None:
    var = tmp_path / "var"
    path = supervisord.write_config(var)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # holds the control socket's password
    for folder in (supervisord.runtime_dir(var), supervisord.log_dir(var)):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    options = parsed(path)
    (server,) = options.server_configs
    assert server["file"] == str(supervisord.socket_path(var)) and server["chmod"] == 0o700
    assert server["username"] == "mibg" and server["password"]
    assert options.pidfile.startswith(str(var / "supervisor"))


def test_a_percent_sign_in_a_path_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    var = tmp_path / "100%var"  # supervisord would expand it, in some options twice
    with pytest.raises(ValueError, match="'%'"):
        supervisord.write_config(var)
    assert not var.exists()


def test_a_second_run_on_the_same_var_leaves_the_first_ones_config(tmp_path: Path) -> None:
    import socket

    var = tmp_path / "v"
    first = supervisord.write_config(var).read_text()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listening:
        listening.bind(str(supervisord.socket_path(var)))  # a running supervisord
        listening.listen(1)
        with pytest.raises(RuntimeError, match="already runs"):
            supervisord.write_config(var)
    assert supervisord.config_path(var).read_text() == first  # its socket password still works
