"""The command lines of our servers (``bot.supervision.commands``) are commands of bot/cli.py."""

from __future__ import annotations

import sys

import pytest

from bot import cli
from bot.supervision import commands


def handler_of(command: list) -> str:
    assert command[:3] == [sys.executable, "-m", "bot"]
    return cli.build_parser().parse_args(command[3:]).handler.__name__


@pytest.mark.parametrize("server", commands.SERVERS)
def test_each_server_command_is_the_clis_serve_command(server: str) -> None:
    assert handler_of(commands.serve(server)) == f"cmd_serve_{server}"


def test_extra_arguments_go_to_the_server() -> None:
    parsed = cli.build_parser().parse_args(commands.serve("web", "--port", "8123")[3:])
    assert parsed.port == 8123


def test_migrate_is_db_upgrade() -> None:
    assert handler_of(commands.migrate()) == "cmd_db_upgrade"


def test_an_unknown_server_is_refused() -> None:
    with pytest.raises(ValueError, match="no server 'nlu'"):
        commands.serve("nlu")
