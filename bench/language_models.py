"""One model for every language, or one model per language behind a router? Measured.

``python -m bench.language_models`` (``make bench-languages``) trains NLU-only models with our
pipeline (config.yml): one on every language's examples, and one per language on that
language's alone (what dialoguemd/covidflow did for EN/FR). Each model is loaded in a process
of its own, which parses every language's held-out split and reports:

- intent macro-F1 per language (a router sends each message to its language's model, so the
  router's figure for a language is that model's score on it; the router's language detection
  is assumed perfect here, which flatters it);
- parse latency p50 (the router adds its language detection, measured separately);
- peak RSS after loading and parsing (the router needs every language's model in memory).

The result is written to bench/results/languages.json and printed as a table. docs/languages.md
explains the choice.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List

from bot.checks.nlu_eval import read_examples, score
from bot.i18n import detect, locales
from bot.settings import ROOT
from bot.supervision import commands

WORK = ROOT / "bench" / "work" / "languages"
RESULTS = ROOT / "bench" / "results" / "languages.json"
HOLDOUTS: Dict[str, List[Path]] = {
    "en": [ROOT / "tests" / "nlu_holdout.yml", ROOT / "tests" / "nlu_holdout_new_intents.yml"],
    "de": [ROOT / "tests" / "nlu_holdout_de.yml"],
    "ru": [ROOT / "tests" / "nlu_holdout_ru.yml"],
}


def train(name: str, languages: List[str]) -> Path:
    """An NLU-only model on the examples of ``languages``."""
    data = WORK / f"data-{name}"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    for language in languages:
        for path in detect.training_files(language):
            shutil.copy(path, data / f"{language}-{path.name}")
    model = WORK / f"nlu-{name}.tar.gz"
    command = commands.bot("rasa", "train", "nlu", "--nlu", str(data))
    command += ["--config", "config.yml", "--domain", "domain.yml", "--out", str(WORK)]
    command += ["--fixed-model-name", f"nlu-{name}"]
    started = time.monotonic()
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    print(f"trained {name} in {time.monotonic() - started:.0f} s", flush=True)
    return model


def measure(model: Path) -> Dict[str, object]:
    """In this process: load ``model``, parse every held-out split, report scores and costs."""
    import asyncio

    from bot import rasa_patches, settings

    # As serve-rasa loads it, without TensorFlow (the runtime venv has none); nothing else.
    rasa_patches.apply(settings.load(), model=model, only=["tf-free"])
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))

    async def parse_all(texts: List[str]) -> List[tuple]:
        results = []
        for text in texts:
            started = time.perf_counter()
            parsed = await agent.parse_message(text)
            results.append(
                ((parsed.get("intent") or {}).get("name") or "", time.perf_counter() - started)
            )
        return results

    report: Dict[str, object] = {}
    timings: List[float] = []
    for language, paths in HOLDOUTS.items():
        pairs = [pair for path in paths for pair in read_examples(path)]
        parsed = asyncio.run(parse_all([text for text, _ in pairs]))
        _, macro_f1, _ = score([intent for _, intent in pairs], [p for p, _ in parsed])
        report[f"macro_f1_{language}"] = round(macro_f1, 4)
        timings += [t for _, t in parsed]
    report["parse_p50_ms"] = round(statistics.median(timings) * 1000, 2)
    report["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return report


def detection_p50_ms() -> float:
    """What a router adds per message: py3langid's guess (our own classifier aside)."""
    texts = [
        text for paths in HOLDOUTS.values() for path in paths for text, _ in read_examples(path)
    ]
    detect.langid_language("warm up")
    timings = []
    for text in texts:
        started = time.perf_counter()
        detect.langid_language(text)
        timings.append(time.perf_counter() - started)
    return round(statistics.median(timings) * 1000, 3)


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # the child process
    parser.add_argument("--reuse-models", action="store_true")
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return 0
    WORK.mkdir(parents=True, exist_ok=True)
    names = {"all": list(locales.languages()), **{code: [code] for code in locales.languages()}}
    results: Dict[str, Dict[str, object]] = {}
    for name, languages in names.items():
        model = WORK / f"nlu-{name}.tar.gz"
        if not (args.reuse_models and model.exists()):
            model = train(name, languages)
        child = subprocess.run(
            [sys.executable, "-m", "bench.language_models", "--measure", str(model)],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        results[name] = json.loads(child.stdout.strip().splitlines()[-1])
    router = {f"macro_f1_{code}": results[code][f"macro_f1_{code}"] for code in locales.languages()}
    router["parse_p50_ms"] = round(
        statistics.median(float(results[c]["parse_p50_ms"]) for c in locales.languages())
        + detection_p50_ms(),
        2,
    )
    router["peak_rss_mb"] = round(
        sum(float(results[c]["peak_rss_mb"]) for c in locales.languages()), 1
    )
    summary = {"one_model": results["all"], "router": router, "per_language_models": results}
    RESULTS.write_text(json.dumps(summary, indent=2), encoding="utf-8")
    keys = [f"macro_f1_{c}" for c in locales.languages()] + ["parse_p50_ms", "peak_rss_mb"]
    print(f"{'':14}" + "".join(f"{k:>14}" for k in keys))
    for label, row in (("one model", results["all"]), ("router", router)):
        print(f"{label:14}" + "".join(f"{row[k]!s:>14}" for k in keys))
    return 0


if __name__ == "__main__":
    sys.exit(main())
