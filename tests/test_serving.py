"""Worker count and lock store for serve-rasa (bot/serving.py)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
import yaml

from bot import serving

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("RASA_WORKERS", "LOCK_STORE_URL", "LOCK_STORE_PREFIX", "SANIC_WORKERS"):
        monkeypatch.delenv(name, raising=False)


def test_default_is_one_worker_and_the_endpoints_as_they_are(tmp_path: Path) -> None:
    endpoints, workers = serving.configure(ROOT / "endpoints.yml", tmp_path)
    assert (endpoints, workers) == (ROOT / "endpoints.yml", 1)
    assert serving.os.environ["SANIC_WORKERS"] == "1"


def test_several_workers_without_a_lock_store_are_refused(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("RASA_WORKERS", "2")
    with pytest.raises(serving.ServingError, match="LOCK_STORE_URL"):
        serving.configure(ROOT / "endpoints.yml", tmp_path)


@pytest.mark.parametrize("value", ["0", "-1", "two"])
def test_bad_worker_counts(monkeypatch, value: str) -> None:
    monkeypatch.setenv("RASA_WORKERS", value)
    with pytest.raises(serving.ServingError):
        serving.worker_count()


def test_redis_lock_store_is_added(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RASA_WORKERS", "2")
    monkeypatch.setenv("LOCK_STORE_URL", "rediss://:s3cret@redis.internal:6380/3")
    monkeypatch.setenv("LOCK_STORE_PREFIX", "mibgprod")
    endpoints, workers = serving.configure(ROOT / "endpoints.yml", tmp_path)
    assert workers == 2 and serving.os.environ["SANIC_WORKERS"] == "2"
    assert endpoints.parent == tmp_path
    assert stat.S_IMODE(endpoints.stat().st_mode) == 0o600  # holds the password
    data = yaml.safe_load(endpoints.read_text(encoding="utf-8"))
    original = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8"))
    assert data["lock_store"] == {
        "type": "redis",
        "url": "redis.internal",
        "port": 6380,
        "db": 3,
        "key_prefix": "mibgprod",
        "use_ssl": True,
        "password": "s3cret",
    }
    assert data["tracker_store"] == original["tracker_store"]  # ${...} left for Rasa
    assert "${ACTION_PORT}" in data["action_endpoint"]["url"]


@pytest.mark.parametrize(
    "url, prefix",
    [("http://redis:6379", "mibg"), ("redis://host/abc", "mibg"), ("redis://host/1", "mibg-x")],
)
def test_bad_lock_store_settings(url: str, prefix: str) -> None:
    with pytest.raises(serving.ServingError):
        serving.redis_lock_store(url, prefix)
