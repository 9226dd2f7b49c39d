"""Settings: one module reads them, each from the variable named as its field, old names kept."""

from __future__ import annotations

import dataclasses
import re
from typing import Any, List

import pytest

from bot import settings
from bot.settings import OLD_NAMES, ROOT, BenchSettings, Settings

#: Reading the process environment: ``os.environ.get(...)``, ``os.getenv(...)``, or
#: ``os.environ[...]`` that is not an assignment. (Copying it for a child process is no read.)
READS_ENVIRONMENT = re.compile(r"os\.environ\.get\(|os\.getenv\(|os\.environ\[[^\]]+\](?!\s*=[^=])")


class RecordingEnviron(dict):
    """An empty environment that remembers which variables were asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: List[str] = []

    def get(self, key: str, default: Any = None) -> Any:
        self.asked.append(key)
        return super().get(key, default)


@pytest.mark.parametrize(
    "config, load", [(Settings, settings.load), (BenchSettings, settings.load_bench)]
)
def test_every_setting_is_read_from_its_field_name_in_upper_case(monkeypatch, config, load) -> None:
    environ = RecordingEnviron()
    monkeypatch.setattr(settings.os, "environ", environ)
    load()
    expected = {f.name.upper() for f in dataclasses.fields(config)}
    old = {OLD_NAMES[name] for name in expected if name in OLD_NAMES}
    assert set(environ.asked) == expected | old


def test_old_names_still_work_and_the_new_name_wins(monkeypatch) -> None:
    monkeypatch.delenv("TF_FREE", raising=False)
    monkeypatch.delenv("LOCAL_ACTIONS", raising=False)
    monkeypatch.setenv("MIBG_TF_FREE", "0")
    monkeypatch.setenv("MIBG_LOCAL_ACTIONS", "0")
    config = settings.load()
    assert config.tf_free is False and config.local_actions is False
    monkeypatch.setenv("TF_FREE", "auto")
    monkeypatch.setenv("LOCAL_ACTIONS", "1")
    config = settings.load()
    assert config.tf_free is True and config.local_actions is True


def test_no_other_module_reads_the_environment() -> None:
    offenders = []
    for package in ("bot", "actions", "bench"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if path == ROOT / "bot" / "settings.py":
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if READS_ENVIRONMENT.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []
