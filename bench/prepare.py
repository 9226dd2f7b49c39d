"""Train the two bots of the benchmark from the same data into ``bench/work/``.

- ``ours``: the repository's ``config.yml``, unchanged.
- ``baseline``: what ``rasa init`` trains. Its ``config.yml`` leaves ``pipeline`` and
  ``policies`` empty, so Rasa's default recipe fills both from the installed package's
  ``rasa/engine/recipes/config_files/default_config.yml``. We write that file out explicitly
  (same content, so the report can show it and ``--quick`` can lower the epochs).

The two bots run in different virtualenvs: ours in the runtime one, which has no TensorFlow
(``python -m bot rasa train``, as ``make train``), the baseline in the TensorFlow venv that
``make bench`` builds from requirements-tensorflow.lock (``TENSORFLOW_PYTHON``): DIET and TED
need it. Which one a bot uses follows from its config (bot/rasa_patches/tf_free.py).

Each training gets an empty Rasa cache directory, so the time is a full training, not a
cache hit, and the repository's ``.rasa/cache`` is left alone. A model whose inputs (config,
domain, data, custom components, Rasa version) have not changed since it was trained is reused
by default, with the training time measured back then (the baseline takes 15-25 minutes to
train here); ``--retrain`` forces a new training.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any, Dict, List

import yaml

from bench import procs
from bot import settings
from bot.rasa_patches import tf_free

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "work"
RASA = str(Path(sys.executable).with_name("rasa"))


def tensorflow_python() -> str | None:
    """A Python that can import TensorFlow: ``TENSORFLOW_PYTHON`` if it exists, else this one
    if it has TensorFlow, else None."""
    python = settings.load_bench().tensorflow_python
    if python and Path(python).exists():
        return python
    try:  # installed, not the test session's placeholder (find_spec would find that)
        metadata.version("tensorflow")
    except metadata.PackageNotFoundError:
        return None
    return sys.executable


def rasa_with_tensorflow() -> str:
    """The ``rasa`` script of the TensorFlow venv (for the baseline bot)."""
    python = tensorflow_python()
    if python is None:
        raise RuntimeError(
            "the baseline bot needs TensorFlow, which the runtime venv does not install: run "
            "`make bench` (it builds .venv-tensorflow) or set TENSORFLOW_PYTHON"
        )
    return str(Path(python).with_name("rasa"))


def rasa_cli(config: Path) -> List[str]:
    """How to run Rasa's command line to train with ``config``: without TensorFlow as
    ``make train`` does when no component needs it, else with the TensorFlow venv's ``rasa``."""
    if tf_free.config_needs_tensorflow(config):
        return [rasa_with_tensorflow()]
    return [sys.executable, "-m", "bot", "rasa"]


@dataclass(frozen=True)
class Bot:
    """One side of the comparison."""

    name: str
    config: Path
    description: str
    #: Under ``bench/work/``; the quick baseline has its own, so it never replaces the full one.
    directory: str = ""
    #: Served as deployed, with ``bot/rasa_patches`` applied (our bot only).
    deployed_speedups: bool = False

    @property
    def model(self) -> Path:
        directory = self.directory or self.name
        return WORK / directory / f"{directory}.tar.gz"


@dataclass
class TrainResult:
    seconds: float | None
    peak_rss_mib: float | None
    model_mib: float
    #: When the model was trained; older than the run when a trained model was reused.
    trained_utc: str | None = None
    fingerprint: str | None = None
    reused: bool = False


def fingerprint(bot: Bot) -> str:
    """A hash of everything the trained model depends on (as the Makefile's TRAIN_INPUTS)."""
    config = bot.config.read_text(encoding="utf-8")
    files = [ROOT / "domain.yml", *sorted((ROOT / "data").rglob("*.yml"))]
    if "bot." in config:  # our custom components and the spaCy pipeline they use
        files += [*sorted((ROOT / "bot" / "nlu").glob("*.py")), ROOT / "bot/content/tumours.py"]
        files.append(ROOT / "var/spacy-en/meta.json")
    digest = hashlib.sha256(config.encode())
    digest.update(metadata.version("rasa").encode())
    for path in files:
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def rasa_package_dir() -> Path:
    """The installed ``rasa`` package, found without importing it (that pulls in TensorFlow)."""
    spec = importlib.util.find_spec("rasa")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("rasa is not installed in this Python")
    return Path(list(spec.submodule_search_locations)[0])


def default_config() -> Dict[str, Any]:
    """The pipeline and policies a `rasa init` bot is trained with (Rasa's default recipe)."""
    init_config = yaml.safe_load(
        (rasa_package_dir() / "cli/initial_project/config.yml").read_text(encoding="utf-8")
    )
    if init_config.get("pipeline") or init_config.get("policies"):
        raise RuntimeError("rasa init's config.yml is no longer empty: update bench/prepare.py")
    path = rasa_package_dir() / "engine/recipes/config_files/default_config.yml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def baseline_directory(epochs: int | None) -> str:
    return "baseline" if epochs is None else f"baseline-epochs-{epochs}"


def write_baseline_config(epochs: int | None) -> Path:
    """Write the baseline's config.yml into its ``bench/work/`` directory; return the path."""
    config = default_config()
    config["assistant_id"] = "bench-baseline"
    if epochs is not None:
        for component in config["pipeline"] + config["policies"]:
            if "epochs" in component:
                component["epochs"] = epochs
    path = WORK / baseline_directory(epochs) / "config.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    header = (
        "# Written by bench/prepare.py: Rasa 3.6's default recipe config (what `rasa init` trains)"
        + (f"\n# QUICK RUN: epochs lowered to {epochs}" if epochs is not None else "")
        + "\n"
    )
    path.write_text(header + yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def bots(baseline_epochs: int | None) -> Dict[str, Bot]:
    return {
        "ours": Bot(
            "ours",
            ROOT / "config.yml",
            "config.yml of this repository, served with bot/rasa_patches as serve-rasa does",
            deployed_speedups=True,
        ),
        "baseline": Bot(
            "baseline",
            write_baseline_config(baseline_epochs),
            "rasa init default config (Rasa 3.6 default recipe)"
            + (f", epochs {baseline_epochs} (QUICK)" if baseline_epochs is not None else ""),
            baseline_directory(baseline_epochs),
        ),
    }


def _reusable(bot: Bot, reuse: str, inputs_hash: str) -> TrainResult | None:
    record = bot.model.parent / "train.json"
    if reuse == "never" or not bot.model.exists():
        return None
    if reuse == "any":
        return TrainResult(None, None, bot.model.stat().st_size / 2**20, reused=True)
    if record.exists():
        saved = TrainResult(**json.loads(record.read_text(encoding="utf-8")))
        if saved.fingerprint == inputs_hash:
            saved.reused = True
            return saved
    return None


def train(bot: Bot, env: Dict[str, str], reuse: str, sample_interval_s: float) -> TrainResult:
    """``rasa train`` the bot into ``bench/work/<name>/``; times the whole command.

    ``reuse``: "same-inputs" keeps a model trained from the same inputs (and its measured
    time), "any" keeps whatever model is there (no training time), "never" always trains.
    """
    inputs_hash = fingerprint(bot)
    reused = _reusable(bot, reuse, inputs_hash)
    if reused is not None:
        return reused
    out = bot.model.parent
    out.mkdir(parents=True, exist_ok=True)
    cache = out / "rasa-cache"
    shutil.rmtree(cache, ignore_errors=True)
    bot.model.unlink(missing_ok=True)
    cmd = [
        *rasa_cli(bot.config),
        "train",
        "--config",
        str(bot.config),
        "--domain",
        "domain.yml",
        "--data",
        "data",
        "--out",
        str(out),
        "--fixed-model-name",
        bot.model.name.removesuffix(".tar.gz"),
        "--force",
    ]
    log = out / "train.log"
    started = time.monotonic()
    with log.open("wb") as stream:
        process = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env={**env, "RASA_CACHE_DIRECTORY": str(cache)},
            stdout=stream,
            stderr=subprocess.STDOUT,
        )
        with procs.TreeSampler(process.pid, sample_interval_s) as sampler:
            returncode = process.wait()
    seconds = time.monotonic() - started
    shutil.rmtree(cache, ignore_errors=True)
    if returncode != 0 or not bot.model.exists():
        raise RuntimeError(f"training {bot.name} failed ({returncode}); see {log}")
    result = TrainResult(
        seconds,
        sampler.peak_mib,
        bot.model.stat().st_size / 2**20,
        trained_utc=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        fingerprint=inputs_hash,
    )
    (out / "train.json").write_text(json.dumps(asdict(result), indent=2), encoding="utf-8")
    return result
