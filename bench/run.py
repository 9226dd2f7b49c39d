"""``make bench``: train, serve and measure our bot and a `rasa init` bot side by side.

Usage: ``python -m bench.run [--quick] [--retrain | --reuse-models] [--baseline-epochs N]``.
A model trained from unchanged inputs is reused with its measured training time. Prints the
comparison table and writes ``bench/results/bench-<UTC>.json``. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, List

from tqdm import tqdm

from bench import machine, prepare, procs, report, stack
from bench import plan as plans
from bench.measure import Target, measure
from bench.scripted_conversation import ReplyChecker, all_expected, treatment_request
from bot.checks.nlu_eval import read_examples

HOLDOUT = prepare.ROOT / "tests" / "nlu_holdout.yml"


def parse_args(argv: List[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--quick", action="store_true", help="smoke run (minutes, not a benchmark)")
    reuse = parser.add_mutually_exclusive_group()
    reuse.add_argument(
        "--retrain", action="store_true", help="train both bots even if their inputs are unchanged"
    )
    reuse.add_argument(
        "--reuse-models",
        action="store_true",
        help="serve whatever models are in bench/work/ (no training time; for debugging)",
    )
    parser.add_argument("--baseline-epochs", type=int, default=None, help="override the epochs")
    return parser.parse_args(argv)


def main(argv: List[str] | None = None) -> int:
    args = parse_args(argv)
    plan = plans.choose(args.quick, args.baseline_epochs)
    env = stack.base_env(dict(os.environ))
    checker = ReplyChecker.from_domain(prepare.ROOT / "domain.yml")
    checker.check_names(all_expected([treatment_request("check", i) for i in range(12)]))
    examples = read_examples(HOLDOUT)
    result: Dict[str, Any] = {
        "machine": machine.info(),
        "plan": plan.as_dict(),
        "holdout": {"file": str(HOLDOUT.relative_to(prepare.ROOT)), "examples": len(examples)},
        "bots": {},
    }
    bots = prepare.bots(plan.baseline_epochs)
    for note in plan.notes:
        print(f"NOTE: {note}", file=sys.stderr)
    # Per bot: training, cold start, one step per load phase, the NLU evaluation.
    total = len(bots) * (3 + len(plan.phases))
    with tqdm(total=total, desc="bench", unit="step") as steps:
        for bot in bots.values():
            steps.set_description(f"{bot.name}: training")
            reuse = "never" if args.retrain else "any" if args.reuse_models else "same-inputs"
            trained = prepare.train(bot, env, reuse, plan.sample_interval_s)
            result["bots"][bot.name] = {
                "description": bot.description,
                "config": str(bot.config.relative_to(prepare.ROOT)),
                "config_text": bot.config.read_text(encoding="utf-8"),
                "train": trained.__dict__,
                "loadavg_after_training": procs.loadavg(),
            }
            steps.update(1)
        with tempfile.TemporaryDirectory(prefix="mibg-bench-") as tmp:
            action = stack.start_action_server(Path(tmp), env)
            try:
                for bot in bots.values():
                    extra_env: Dict[str, str] = {}
                    if bot.deployed_speedups:
                        extra_env, serving = stack.scale_out_env()
                        result["bots"][bot.name]["serving"] = serving
                        print(f"NOTE: {serving}", file=sys.stderr)
                    result["bots"][bot.name].update(
                        measure(
                            Target(
                                bot.name,
                                bot.model,
                                extra_env=extra_env,
                                prefix=stack.AS_DEPLOYED if bot.deployed_speedups else None,
                            ),
                            plan,
                            Path(tmp),
                            env,
                            action,
                            checker,
                            examples,
                            steps,
                        )
                    )
            finally:
                action.stop()
    result["machine"]["loadavg_end"] = procs.loadavg()
    result["ratios"] = report.ratios(result)
    path = report.write(result, "bench-quick" if plan.quick else "bench")
    print()
    for note in plan.notes:
        print(f"NOTE: {note}")
    for name, bot_result in result["bots"].items():
        if "serving" in bot_result:
            print(f"NOTE: {bot_result['serving']}")
        train = bot_result["train"]
        if train["reused"]:
            when = train["trained_utc"] or "unknown"
            print(f"NOTE: {name}: model reused (same inputs), training time measured at {when}")
    print(report.table(result))
    print(f"\nresults: {path.relative_to(prepare.ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
