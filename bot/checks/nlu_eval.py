"""Evaluate a trained model on held-out NLU examples and on out-of-domain sentences.

``python -m bot.checks.nlu_eval --min-macro-f1 0.95`` prints a per-intent table, the macro-F1,
the accuracy, the share of out-of-domain sentences rejected (``out_of_scope`` or
``nlu_fallback``) and the share of in-domain examples wrongly rejected, and exits 1 when a gate
fails. The held-out file is never used for training (``data/`` holds the training data).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import re
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import yaml

REJECT_INTENTS = {"out_of_scope", "nlu_fallback"}
#: What an out-of-domain sentence is expected to get, as its errors say.
OOD_EXPECTED = "out_of_scope|nlu_fallback"
ANNOTATION_RE = re.compile(r"\[([^\]]+)\](?:\([^)]+\)|\{[^}]+\})")


def read_examples(path: Path) -> List[Tuple[str, str]]:
    """(text, intent) pairs from a Rasa YAML NLU file, entity annotations removed."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    pairs: List[Tuple[str, str]] = []
    for block in data.get("nlu", []):
        intent = block.get("intent")
        if not intent:
            continue
        for line in str(block.get("examples", "")).splitlines():
            line = line.strip()
            if line.startswith("- "):
                pairs.append((ANNOTATION_RE.sub(r"\1", line[2:]).strip(), intent))
    return pairs


def read_sentences(path: Path) -> List[str]:
    return list((yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("sentences", []))


@dataclass
class Report:
    examples: int
    accuracy: float
    macro_f1: float
    per_intent: Dict[str, Dict[str, float]]
    ood_sentences: int
    ood_rejected: float
    in_domain_rejected: float
    errors: List[Dict[str, str]]


def score(
    gold: List[str], predicted: List[str]
) -> Tuple[float, float, Dict[str, Dict[str, float]]]:
    """Accuracy, macro-F1 over the gold intents, and per-intent precision/recall/F1/support."""
    labels = sorted(set(gold))
    per_intent: Dict[str, Dict[str, float]] = {}
    for label in labels:
        tp = sum(g == label and p == label for g, p in zip(gold, predicted))
        fp = sum(g != label and p == label for g, p in zip(gold, predicted))
        fn = sum(g == label and p != label for g, p in zip(gold, predicted))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_intent[label] = {"precision": precision, "recall": recall, "f1": f1, "support": tp + fn}
    accuracy = sum(g == p for g, p in zip(gold, predicted)) / len(gold) if gold else 0.0
    macro_f1 = sum(v["f1"] for v in per_intent.values()) / len(per_intent) if per_intent else 0.0
    return accuracy, macro_f1, per_intent


async def _predict(model: Path, texts: List[str]) -> List[str]:
    import structlog

    from bot import rasa_patches, settings

    # As serve-rasa loads it, without TensorFlow (the runtime venv has none); nothing else.
    rasa_patches.apply(settings.load(), model=model, only=["tf-free"])
    from rasa.core.agent import Agent

    # Rasa's structlog prints every parse at debug level; only warnings matter here.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))

    agent = Agent.load(str(model))
    predicted = []
    for text in texts:
        parsed = await agent.parse_message(text)
        predicted.append((parsed.get("intent") or {}).get("name") or "")
    return predicted


def evaluate(model: Path, holdouts: List[Path], oods: List[Path]) -> Report:
    pairs = [pair for path in holdouts for pair in read_examples(path)]
    sentences = [sentence for path in oods for sentence in read_sentences(path)]
    predicted = asyncio.run(_predict(model, [t for t, _ in pairs] + sentences))
    held, ood_predicted = predicted[: len(pairs)], predicted[len(pairs) :]
    gold = [intent for _, intent in pairs]
    accuracy, macro_f1, per_intent = score(gold, held)
    in_domain = [(g, p) for g, p in zip(gold, held) if g not in REJECT_INTENTS]
    return Report(
        examples=len(pairs),
        accuracy=accuracy,
        macro_f1=macro_f1,
        per_intent=per_intent,
        ood_sentences=len(sentences),
        ood_rejected=(
            sum(p in REJECT_INTENTS for p in ood_predicted) / len(sentences) if sentences else 0.0
        ),
        in_domain_rejected=(
            sum(p in REJECT_INTENTS for _, p in in_domain) / len(in_domain) if in_domain else 0.0
        ),
        errors=[
            {"text": text, "expected": g, "predicted": p}
            for (text, g), p in zip(pairs, held)
            if g != p
        ]
        + [
            {"text": text, "expected": OOD_EXPECTED, "predicted": p}
            for text, p in zip(sentences, ood_predicted)
            if p not in REJECT_INTENTS
        ],
    )


EMERGENCY = "emergency"


def false_emergencies(report: Report) -> List[Dict[str, str]]:
    """In-domain held-out questions that are not emergencies but got the emergency answer.

    (Out-of-domain sentences read as emergencies count against the out-of-domain rate.)
    """
    return [
        e
        for e in report.errors
        if e["predicted"] == EMERGENCY and e["expected"] not in {EMERGENCY, OOD_EXPECTED}
    ]


def print_report(report: Report) -> None:
    print(f"{'intent':<24}{'precision':>10}{'recall':>8}{'f1':>8}{'n':>5}")
    for intent, row in report.per_intent.items():
        print(
            f"{intent:<24}{row['precision']:>10.3f}{row['recall']:>8.3f}{row['f1']:>8.3f}"
            f"{int(row['support']):>5}"
        )
    for error in report.errors:
        print(f"  miss: {error['expected']} -> {error['predicted']}: {error['text']}")
    print(
        f"held-out examples {report.examples}: accuracy {report.accuracy:.3f}, "
        f"intent macro-F1 {report.macro_f1:.3f}"
    )
    print(
        f"out-of-domain sentences {report.ood_sentences}: rejected {report.ood_rejected:.1%}; "
        f"in-domain examples wrongly rejected {report.in_domain_rejected:.1%}"
    )


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=Path("models/mibg.tar.gz"))
    parser.add_argument("--holdout", type=Path, nargs="+", default=[Path("tests/nlu_holdout.yml")])
    parser.add_argument("--ood", type=Path, nargs="*", default=[Path("tests/ood_sentences.yml")])
    parser.add_argument("--min-macro-f1", type=float, default=0.95)
    parser.add_argument("--min-ood-rejected", type=float, default=0.0)
    parser.add_argument("--max-in-domain-rejected", type=float, default=1.0)
    parser.add_argument("--max-false-emergencies", type=int, default=-1, help="-1: no gate")
    parser.add_argument("--json", type=Path, help="also write the report here")
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)
    report = evaluate(args.model, args.holdout, [path for path in args.ood if path.exists()])
    print_report(report)
    if args.json:
        args.json.write_text(json.dumps(asdict(report), indent=2))
    failed = []
    if report.macro_f1 < args.min_macro_f1:
        failed.append(f"macro-F1 {report.macro_f1:.3f} < {args.min_macro_f1}")
    if report.ood_rejected < args.min_ood_rejected:
        failed.append(
            f"out-of-domain rejection {report.ood_rejected:.3f} < {args.min_ood_rejected}"
        )
    if report.in_domain_rejected > args.max_in_domain_rejected:
        failed.append(
            f"in-domain rejection {report.in_domain_rejected:.3f} > {args.max_in_domain_rejected}"
        )
    wrongly_alarmed = false_emergencies(report)
    if 0 <= args.max_false_emergencies < len(wrongly_alarmed):
        failed.append(f"{len(wrongly_alarmed)} false emergencies > {args.max_false_emergencies}")
    print(f"false emergencies on the held-out questions: {len(wrongly_alarmed)}")
    for reason in failed:
        print(f"FAILED: {reason}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
