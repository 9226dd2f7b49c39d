"""Serving without TensorFlow (``tf-free``): same answers, and loud failure if it is needed."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
from importlib import metadata
from pathlib import Path

import pytest

from bench.prepare import tensorflow_python
from bot import rasa_patches, settings
from bot.rasa_patches import tf_free
from bot.rasa_patches.registry import Context
from tests.support.stack import MODEL, ROOT

PROBE = """
import asyncio, json, sys
from bot import rasa_patches, settings
done = rasa_patches.apply(settings.load(), model=__import__("pathlib").Path(sys.argv[1]))
from rasa.core.agent import Agent
agent = Agent.load(sys.argv[1])
from bot.rasa_patches import tf_free
if "tf-free" in done:
    tf_free.arm()  # armed by Agent.load_model already; once more does no harm
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


def probe(setting: str, python: str = sys.executable) -> dict:
    env = {**os.environ, "TF_FREE": setting, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [python, "-c", PROBE, str(MODEL)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


@pytest.mark.skipif(not MODEL.exists(), reason="needs the trained model (make train)")
def test_served_without_tensorflow() -> None:
    free = probe("auto")
    assert "tf-free" in free["done"]
    assert free["placeholder"] == "_PlaceholderModule"
    assert free["tensorflow_call"] == "refused"
    assert free["intents"][:2] == ["ask_side_effects", "ask_costs"]


#: The runtime venv has no TensorFlow; `make bench` builds a venv with it (TENSORFLOW_PYTHON).
WITH_TENSORFLOW = tensorflow_python()


@pytest.mark.skipif(not MODEL.exists(), reason="needs the trained model (make train)")
@pytest.mark.skipif(
    WITH_TENSORFLOW is None, reason="needs a venv with TensorFlow (make bench builds it)"
)
def test_same_answers_without_tensorflow() -> None:
    assert WITH_TENSORFLOW is not None
    free, loaded = probe("auto"), probe("0", WITH_TENSORFLOW)
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


def wanted(model: Path) -> bool:
    """Whether ``apply`` leaves TensorFlow out for ``model`` (with the environment's settings)."""
    config = settings.load()
    return "tf-free" not in rasa_patches.switched_off(config) and tf_free.wanted(
        Context(config, model=model)
    )


@pytest.mark.skipif(not MODEL.exists(), reason="needs the trained model (make train)")
def test_our_model_runs_without_tensorflow(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not tf_free.model_needs_tensorflow(MODEL)
    monkeypatch.setenv("TF_FREE", "0")
    assert not wanted(MODEL)
    monkeypatch.setenv("TF_FREE", "auto")
    assert wanted(MODEL)
    assert not tf_free.wanted(Context(settings.load(), model=None))  # no model named: load it


def test_training_without_tensorflow_is_decided_from_the_config(tmp_path: Path) -> None:
    assert not tf_free.config_needs_tensorflow(ROOT / "config.yml")
    assert tf_free.wanted(Context(training_config=ROOT / "config.yml"))
    diet = tmp_path / "diet.yml"
    diet.write_text(
        "pipeline:\n- name: WhitespaceTokenizer\n- name: DIETClassifier\n"
        "policies:\n- name: RulePolicy\n",
        encoding="utf-8",
    )
    assert tf_free.config_needs_tensorflow(diet)
    defaults = tmp_path / "defaults.yml"  # Rasa fills in its policies: TEDPolicy among them
    defaults.write_text("pipeline:\n- name: WhitespaceTokenizer\npolicies:\n", encoding="utf-8")
    assert tf_free.config_needs_tensorflow(defaults)
    assert tf_free.config_needs_tensorflow(tmp_path / "missing.yml")


def test_the_error_names_the_setting_that_loads_tensorflow() -> None:
    tf_free.arm()
    try:
        with pytest.raises(tf_free.TensorFlowNotLoaded, match="TF_FREE=0"):
            tf_free._placeholder("tensorflow.constant")(1)
    finally:
        tf_free.arm(False)


def test_a_venv_without_tensorflow_gets_the_stand_in() -> None:
    """The test session's stand-in (tests/conftest.py): only where TensorFlow is not installed."""
    code = (
        "from bot.rasa_patches import tf_free; print(tf_free.stand_in_where_not_installed()); "
        "print(tf_free.stand_in_where_not_installed()); import tensorflow; "
        "print(type(tensorflow).__name__)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout.split()
    try:
        metadata.version("tensorflow")
    except metadata.PackageNotFoundError:
        assert out == ["True", "False", "_PlaceholderModule"]
    else:  # this venv has TensorFlow: left alone
        assert out == ["False", "False", "module"]
