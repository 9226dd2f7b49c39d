"""``python -m bot rasa ...`` runs Rasa patched: ``rasa test`` as ``serve-rasa`` serves,
``rasa train`` with the patches marked for training."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any, Dict, List

import pytest

from bot import cli, rasa_patches
from bot.supervision import commands
from tests.support.stack import MODEL, ROOT


@pytest.fixture()
def calls(monkeypatch: pytest.MonkeyPatch) -> List[Dict[str, Any]]:
    seen: List[Dict[str, Any]] = []
    monkeypatch.setattr(rasa_patches, "apply", lambda settings, **where: seen.append(where) or [])
    return seen


def test_rasa_test_gets_the_model_it_tests(calls, tmp_path: Path) -> None:
    model = tmp_path / "m.tar.gz"
    model.write_bytes(b"")
    cli.patch_rasa_for(["test", "core", "--model", str(model), "--stories", "x.yml"])
    cli.patch_rasa_for(["run", f"--model={model}"])
    assert calls == [{"model": model}, {"model": model}]


def test_the_newest_model_of_a_folder_is_the_one_rasa_loads(calls, tmp_path: Path) -> None:
    old, new = tmp_path / "old.tar.gz", tmp_path / "new.tar.gz"
    old.write_bytes(b"")
    new.write_bytes(b"")
    os.utime(old, (1, 1))
    cli.patch_rasa_for(["shell", "-m", str(tmp_path)])
    cli.patch_rasa_for(["test", "--model", str(tmp_path / "none")])
    assert calls == [{"model": new}, {"model": None}]


def test_training_gets_its_config(calls) -> None:
    cli.patch_rasa_for(["train", "--fixed-model-name", "mibg", "--out", "models"])
    cli.patch_rasa_for(["train", "nlu", "-c", "other.yml"])
    assert calls == [
        {"training_config": Path("config.yml")},
        {"training_config": Path("other.yml")},
    ]


def test_other_commands_are_not_patched(calls) -> None:
    for args in (["telemetry"], ["data", "validate"], ["--version"], []):
        assert cli.patch_rasa_for(args) == []
    assert calls == []


def test_a_refused_patch_stops_the_command(monkeypatch, capsys) -> None:
    def refuse(*args: Any, **kwargs: Any) -> List[str]:
        raise rasa_patches.RasaVersionError("written for Rasa 3.6.21; RASA_PATCHES=off")

    monkeypatch.setattr(rasa_patches, "apply", refuse)
    assert cli.cmd_rasa(["test", "core"]) == 2
    assert "RASA_PATCHES=off" in capsys.readouterr().err


@pytest.mark.skipif(not MODEL.exists(), reason="needs the trained model (make train)")
def test_rasa_test_runs_with_the_patches_serve_rasa_applies(tmp_path: Path) -> None:
    """What ``make test`` runs (scripts/test-all.sh), on one story, with debug logs."""
    stories = tmp_path / "stories.yml"
    stories.write_text(
        'version: "3.1"\nstories:\n- story: what is mibg\n  steps:\n  - user: |\n'
        "      what is mibg therapy\n    intent: ask_what_is_mibg\n  - action: action_answer\n",
        encoding="utf-8",
    )
    args = ["test", "core", "--model", str(MODEL), "--stories", str(stories)]
    out = subprocess.run(
        commands.bot("rasa", *args, "--out", str(tmp_path / "out")),
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    applied = [line for line in out.stderr.splitlines() if line.startswith("Rasa patches applied")]
    assert len(applied) == 1, out.stderr[-2000:]
    for name in ("tf-free", "long-history", "sequential-graph", "entity-guard"):
        assert name in applied[0]
    assert "Correct:" in out.stdout + out.stderr
