"""Several Rasa servers behind nginx (bot/serving.py, docs/deploy.md), without starting them:
client message ids, the nginx config, the tracker tables created once (retried messages:
tests/rasa_patches/test_retry_replay.py)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bot import serving

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("a1-B_2", True),
        ("x" * 64, True),
        ("x" * 65, False),
        ("", False),
        ("a b", False),
        (7, False),
    ],
)
def test_client_message_ids(value: Any, ok: bool) -> None:
    assert serving.is_client_message_id(value) is ok


def test_nginx_config_balances_rest_and_keeps_socketio_sticky(tmp_path: Path) -> None:
    config = serving.nginx_config("127.0.0.1:7399", ["127.0.0.1:7301", "10.0.0.2:5005"], tmp_path)
    assert config.count("server 127.0.0.1:7301 max_fails=1") == 2
    assert config.count("server 10.0.0.2:5005 max_fails=1") == 2
    assert "least_conn;" in config and "hash $remote_addr consistent;" in config
    assert "listen 127.0.0.1:7399;" in config and f"pid {tmp_path.resolve()}/nginx.pid;" in config
    assert "$http_upgrade" in config and "${" not in config


@pytest.mark.parametrize(
    ("listen", "servers", "key"),
    [
        ("127.0.0.1", ["127.0.0.1:1"], "$remote_addr"),
        ("127.0.0.1:80", [], "$remote_addr"),
        ("127.0.0.1:80", ["a:1; include /etc/x"], "$remote_addr"),
        ("127.0.0.1:80", ["a:1"], "$remote_addr; x"),
    ],
)
def test_nginx_config_refuses_what_is_no_address(listen: str, servers: list, key: str) -> None:
    with pytest.raises(serving.ServingError):
        serving.nginx_config(listen, servers, Path("/tmp/x"), key)


@pytest.mark.skipif(not Path(NGINX).exists(), reason="nginx is not installed")
def test_nginx_accepts_the_written_config(tmp_path: Path) -> None:
    runtime = tmp_path / "nginx"
    config = serving.nginx_config("127.0.0.1:7398", ["127.0.0.1:7301", "127.0.0.1:7302"], runtime)
    path = serving.write_nginx_config(config, runtime)
    result = subprocess.run(
        [NGINX, "-t", "-p", str(runtime), "-e", str(runtime / "error.log"), "-c", str(path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_tracker_tables_are_created_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    assert serving.create_tracker_tables(url) is True
    assert serving.create_tracker_tables(url) is False
    assert sa.inspect(sa.create_engine(url)).has_table("events")


def test_tracker_tables_on_postgresql_under_the_advisory_lock(postgres_url: str) -> None:
    assert serving.create_tracker_tables(postgres_url) is True
    assert serving.create_tracker_tables(postgres_url) is False


def test_serve_rasa_creates_the_tracker_table_before_rasa_starts_its_workers(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rasa forks its workers inside ``rasa_main``: the table must exist before that call."""
    import os

    import rasa.__main__

    from bot import cli, rasa_patches, settings

    monkeypatch.setattr(os, "environ", {**os.environ, "TRACKER_DATABASE_URL": postgres_url})
    monkeypatch.setattr(settings, "VAR_DIR", tmp_path)
    monkeypatch.setattr(rasa_patches, "apply", lambda *args, **kwargs: [])
    seen = []
    engine = sa.create_engine(postgres_url)
    monkeypatch.setattr(
        rasa.__main__, "main", lambda: seen.append(sa.inspect(engine).has_table("events"))
    )
    monkeypatch.setattr(cli.sys, "argv", list(cli.sys.argv))
    assert cli.cmd_serve_rasa(cli.build_parser().parse_args(["serve-rasa"])) == 0
    engine.dispose()
    assert seen == [True]
