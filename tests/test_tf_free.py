"""Serving without TensorFlow (bot/tf_free.py): same answers, and loud failure if it is needed."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from bot import tf_free

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "mibg.tar.gz"

PROBE = """
import asyncio, json, sys
from bot import speedups
done = speedups.prepare(__import__("pathlib").Path(sys.argv[1]))
from rasa.core.agent import Agent
agent = Agent.load(sys.argv[1])
from bot import tf_free
if "tf-free" in done:
    tf_free.arm()  # serve-rasa arms after Agent.load_model; Agent.load does not call it
texts = ["what are the side effects of mibg", "how much does it cost", "pheochromocytoma"]
parsed = [asyncio.run(agent.parse_message(t)) for t in texts]
import tensorflow as tf
try:
    tf.constant(1)
    used = "ran"
except tf_free.TensorFlowNotLoaded:
    used = "refused"
print(json.dumps({
    "done": done,
    "placeholder": type(sys.modules["tensorflow"]).__name__,
    "intents": [p["intent"]["name"] for p in parsed],
    "confidences": [round(p["intent"]["confidence"], 6) for p in parsed],
    "tensorflow_call": used,
}))
"""


def probe(setting: str) -> dict:
    env = {**os.environ, "TF_FREE": setting, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(MODEL)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


@pytest.mark.skipif(not MODEL.exists(), reason="needs the trained model (make train)")
def test_same_answers_without_tensorflow() -> None:
    free, loaded = probe("auto"), probe("0")
    assert "tf-free" in free["done"] and "tf-free" not in loaded["done"]
    assert free["placeholder"] == "_PlaceholderModule"
    assert loaded["placeholder"] == "module"
    assert free["tensorflow_call"] == "refused"
    assert loaded["tensorflow_call"] == "ran"
    assert free["intents"] == loaded["intents"]
    assert free["intents"][:2] == ["ask_side_effects", "ask_costs"]
    assert free["confidences"] == loaded["confidences"]


def fake_model(tmp_path: Path, component: str) -> Path:
    metadata = {"predict_schema": {"nodes": {"x": {"uses": f"rasa.something.{component}"}}}}
    path = tmp_path / f"{component}.tar.gz"
    data = json.dumps(metadata).encode()
    with tarfile.open(path, "w:gz") as archive:
        info = tarfile.TarInfo("metadata.json")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return path


def test_models_with_tensorflow_components_load_tensorflow(tmp_path: Path) -> None:
    assert tf_free.model_needs_tensorflow(fake_model(tmp_path, "DIETClassifier"))
    assert tf_free.model_needs_tensorflow(fake_model(tmp_path, "TEDPolicy"))
    assert not tf_free.model_needs_tensorflow(fake_model(tmp_path, "RulePolicy"))
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(b"not a model")
    assert tf_free.model_needs_tensorflow(broken)
    assert tf_free.model_needs_tensorflow(tmp_path / "missing.tar.gz")


@pytest.mark.skipif(not MODEL.exists(), reason="needs the trained model (make train)")
def test_our_model_runs_without_tensorflow(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not tf_free.model_needs_tensorflow(MODEL)
    monkeypatch.setenv("TF_FREE", "0")
    assert not tf_free.wanted(MODEL)
    monkeypatch.setenv("TF_FREE", "auto")
    assert tf_free.wanted(MODEL)


def test_the_refusal_names_the_switch_that_loads_tensorflow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tf_free, "_armed", True)
    with pytest.raises(tf_free.TensorFlowNotLoaded) as refused:
        tf_free._placeholder("tensorflow.constant")(1)
    switch = re.search(r"set (\w+)=(\w+) to serve this model with TensorFlow", str(refused.value))
    assert switch, str(refused.value)
    # The named setting does what the message says: TensorFlow is loaded.
    monkeypatch.setenv(switch.group(1), switch.group(2))
    assert not tf_free.wanted(fake_model(tmp_path, "RulePolicy"))
