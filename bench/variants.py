"""What-if runs of our bot for speed tuning: tracker stores, workers, profiles, action calls.

``python -m bench.variants [--list] [--only NAME ...] [--reuse-models]`` serves our model in
several set-ups (and the baseline's, for the action-server keep-alive check), measured exactly as
``bench.run`` does, and prints one row per set-up and load phase. Every set-up but "as is" (a
plain ``rasa run``, for what ``serve-rasa`` adds) is served as deployed (``bench.launch
--deployed``). The repository's ``config.yml`` and ``endpoints.yml`` are never changed: each
variant writes its own copy of ``endpoints.yml`` under ``bench/work/variants/``. Results go to
``bench/results/variants-<UTC>.json``; the findings, and the variants measured before the
speed-ups were part of ``serve-rasa``, are in docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import pstats
import re
import sys
import tempfile
import urllib.request
import uuid
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import yaml
from tqdm import tqdm

from bench import machine, prepare, procs, report, stack
from bench.measure import Target, measure
from bench.plan import FULL, LoadPhase, Plan
from bench.scripted_conversation import ReplyChecker
from bot import settings
from tests.support.postgres import throwaway_database

VARIANTS_DIR = prepare.WORK / "variants"
PLAN = replace(
    FULL,
    phases=(
        LoadPhase("1 conversation", concurrency=1, conversations=5),
        LoadPhase("20 concurrent", concurrency=20, conversations=40),
    ),
)


@dataclass(frozen=True)
class Variant:
    """One way to serve our bot."""

    name: str
    description: str
    #: "sqlite" (as endpoints.yml, temp file), "postgres" (throw-away database), "memory".
    tracker: str = "sqlite"
    #: Rasa workers; more than one share a Redis lock store (``serve-rasa`` needs one).
    workers: int = 1
    #: Serve under cProfile (slower; for where the time goes, not for the figures).
    profile: bool = False
    #: Put the counting proxy between Rasa and the action server.
    count_actions: bool = False
    #: "ours", or "baseline" (the model ``bench.run`` trained into bench/work/baseline/).
    bot: str = "ours"
    #: Extra environment for a dedicated action server (``None``: the shared one).
    action_env: Optional[Dict[str, str]] = None
    #: Load phases instead of the default ones.
    phases: Optional[Tuple[LoadPhase, ...]] = None
    #: Served as ``python -m bot serve-rasa`` serves it (``bench.launch --deployed``).
    deployed: bool = True

    @property
    def slug(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-")


HUNDRED = LoadPhase("100 concurrent", concurrency=100, conversations=100)
VARIANTS: Tuple[Variant, ...] = (
    Variant(
        "as is",
        "config.yml + endpoints.yml, plain `rasa run` without bot/rasa_patches, 1 worker",
        deployed=False,
    ),
    Variant(
        "as deployed",
        "config.yml + endpoints.yml with bot/rasa_patches, as `python -m bot serve-rasa` runs it",
    ),
    Variant(
        "as deployed, 2 workers", "as deployed with 2 workers and a Redis lock store", workers=2
    ),
    Variant(
        "as deployed, long",
        "as deployed, 200 conversations 20 at a time (~30 s): attach a sampling profiler",
        phases=(LoadPhase("20 concurrent, long", concurrency=20, conversations=200),),
    ),
    Variant(
        "as deployed, cProfile", "as deployed, under cProfile: where the time goes", profile=True
    ),
    Variant(
        "in-memory tracker",
        "as deployed without tracker_store: what the SQL store costs",
        tracker="memory",
    ),
    Variant("postgres tracker", "as deployed, SQL tracker store on PostgreSQL", tracker="postgres"),
    Variant(
        "postgres, 2 workers",
        "as deployed, PostgreSQL tracker store, 2 workers and a Redis lock store (scale-out)",
        tracker="postgres",
        workers=2,
    ),
    Variant(
        "action calls", "as deployed, counting proxy before the action server", count_actions=True
    ),
    Variant(
        "baseline, 100 concurrent",
        "the rasa init bot, action server with Sanic's default keep-alive (5 s)",
        bot="baseline",
        deployed=False,
        action_env={"SANIC_KEEP_ALIVE_TIMEOUT": "5"},
        phases=(HUNDRED,),
    ),
    Variant(
        "baseline, 100 concurrent, keep-alive 120 s",
        "the same with SANIC_KEEP_ALIVE_TIMEOUT=120 for the action server",
        bot="baseline",
        deployed=False,
        action_env={"SANIC_KEEP_ALIVE_TIMEOUT": "120"},
        phases=(HUNDRED,),
    ),
)


def write_endpoints(variant: Variant, directory: Path) -> Path:
    """A copy of endpoints.yml with this variant's tracker store (the lock store is added by
    ``bench.launch --deployed`` from ``LOCK_STORE_URL``, as ``serve-rasa`` does)."""
    endpoints = yaml.safe_load((prepare.ROOT / "endpoints.yml").read_text(encoding="utf-8"))
    if variant.tracker == "memory":
        endpoints.pop("tracker_store", None)
    path = directory / "endpoints.yml"
    path.write_text(yaml.safe_dump(endpoints, sort_keys=False), encoding="utf-8")
    return path


def variant_model(
    variant: Variant, env: Dict[str, str], reuse: bool, interval: float
) -> Tuple[Path, Dict[str, Any]]:
    """Our model (trained from config.yml unless its inputs are unchanged), or the baseline's."""
    if variant.bot == "baseline":
        model = prepare.WORK / "baseline" / "baseline.tar.gz"
        if not model.exists():
            raise SystemExit(f"{model} is missing: run `make bench` first")
        return model, {"reused": True}
    bot = prepare.Bot("ours", prepare.ROOT / "config.yml", "config.yml")
    trained = prepare.train(bot, env, "any" if reuse else "same-inputs", interval)
    return bot.model, asdict(trained)


@contextmanager
def action_proxy(action: procs.Server, env: Dict[str, str]) -> Iterator[procs.Server]:
    port = procs.free_port()
    proxy = procs.start(
        "action proxy",
        [sys.executable, "-m", "bench.action_proxy", "--target", action.url, "--port", str(port)],
        env,
        prepare.ROOT,
        prepare.WORK / "logs" / "action-proxy.log",
        f"http://127.0.0.1:{port}",
    )
    try:
        procs.wait_http_ok(proxy, "/health", 60)
        yield proxy
    finally:
        proxy.stop()


def profile_summary(path: Path, top: int = 25) -> Dict[str, Any]:
    """Own time by area (package directory) and the functions with most cumulative time."""
    stats = pstats.Stats(str(path))
    by_area: Dict[str, float] = defaultdict(float)
    rows = []
    for (filename, line, function), (_, calls, own, cumulative, _) in stats.stats.items():
        match = re.search(r"site-packages/([^/]+(?:/[^/]+)?(?:/[^/.]+)?)", filename)
        if match:
            area = match.group(1)
        elif filename.startswith(str(prepare.ROOT)):
            area = "repo: " + str(Path(filename).relative_to(prepare.ROOT).parent)
        else:
            area = "python: " + (Path(filename).name if filename != "~" else function)
        by_area[area] += own
        rows.append((cumulative, own, calls, f"{filename}:{line}({function})"))
    rows.sort(reverse=True)
    return {
        "own_seconds_by_area": dict(sorted(by_area.items(), key=lambda kv: -kv[1])[:top]),
        "top_cumulative": [
            {"cumulative_s": c, "own_s": o, "calls": n, "function": f} for c, o, n, f in rows[:top]
        ],
    }


def run_variant(
    variant: Variant,
    plan: Plan,
    tmp: Path,
    env: Dict[str, str],
    action: procs.Server,
    checker: ReplyChecker,
    steps: tqdm,
    reuse: bool,
) -> Dict[str, Any]:
    directory = VARIANTS_DIR / variant.slug
    directory.mkdir(parents=True, exist_ok=True)
    steps.set_description(f"{variant.name}: model")
    model, trained = variant_model(variant, env, reuse, plan.sample_interval_s)
    extra_env = {"SANIC_WORKERS": str(variant.workers)}
    if variant.deployed:
        # As serve-rasa is configured: RASA_WORKERS, and LOCK_STORE_URL for several workers.
        extra_env = {"RASA_WORKERS": str(variant.workers)}
        if variant.workers > 1:
            extra_env.update(
                LOCK_STORE_URL=settings.load_bench().bench_redis_url,
                # Letters and digits only; keeps these locks apart from anyone else's.
                LOCK_STORE_PREFIX=f"bench{uuid.uuid4().hex[:8]}",
            )
    prefix: List[str] = [sys.executable]
    profile_path = directory / "server.prof"
    if variant.profile:
        prefix += ["-m", "cProfile", "-o", str(profile_path)]
        profile_path.unlink(missing_ok=True)
    if variant.deployed:
        prefix += ["-m", "bench.launch", "--deployed", "--"]
    if prefix == [sys.executable]:
        prefix = []
    target = Target(variant.slug, model, write_endpoints(variant, directory), extra_env, prefix)
    if variant.phases:
        plan = replace(plan, phases=variant.phases)
    with _tracker_env(variant) as tracker_env, _action_server(variant, action, tmp, env) as action:
        target.extra_env.update(tracker_env)
        if variant.count_actions:
            with action_proxy(action, env) as proxy:
                # Rasa talks to the proxy; CPU is still read from the action server itself.
                via_proxy = replace(action, url=proxy.url)
                result = measure(target, plan, tmp, env, via_proxy, checker, [], steps)
                with urllib.request.urlopen(proxy.url + "/stats", timeout=10) as reply:
                    calls = json.loads(reply.read())
            result["action_calls"] = calls
        else:
            result = measure(target, plan, tmp, env, action, checker, [], steps)
    result.update(name=variant.name, description=variant.description, train=trained)
    if variant.profile and profile_path.exists():
        result["profile"] = profile_summary(profile_path)
    return result


@contextmanager
def _action_server(
    variant: Variant, shared: procs.Server, tmp: Path, env: Dict[str, str]
) -> Iterator[procs.Server]:
    """The shared action server, or a dedicated one with the variant's environment."""
    if variant.action_env is None:
        yield shared
        return
    directory = tmp / variant.slug
    directory.mkdir(exist_ok=True)
    server = stack.start_action_server(
        directory, {**env, **variant.action_env}, f"actions-{variant.slug}"
    )
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def _tracker_env(variant: Variant) -> Iterator[Dict[str, str]]:
    if variant.tracker == "postgres":
        with throwaway_database("mibg_bench") as url:
            yield {"TRACKER_DATABASE_URL": url}
    else:
        yield {}


def table(results: List[Dict[str, Any]]) -> str:
    """One row per variant and load phase (variants may run different phases)."""
    columns = ["variant", "phase", "cold start s", "peak RSS MiB", "p50 ms", "p95 ms", "msg/s"]
    columns += ["rasa CPU ms/msg", "actions CPU ms/msg", "errors"]
    lines = [columns, ["---"] * len(columns)]
    for result in results:
        for phase in result.get("phases") or []:
            cells = [
                (result.get("cold_start_s"), 1),
                (result.get("rss_peak_mib"), 0),
                (phase.get("p50_ms"), 0),
                (phase.get("p95_ms"), 0),
                (phase.get("throughput_msg_s"), 1),
                (phase.get("server_cpu_ms_per_msg"), 1),
                (phase.get("action_cpu_ms_per_msg"), 1),
                (phase.get("errors"), 0),
            ]
            lines.append([result["name"], phase["name"]] + [report.fmt(v, d) for v, d in cells])
    return "\n".join("| " + " | ".join(line) + " |" for line in lines)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.variants", description=__doc__)
    parser.add_argument("--only", nargs="*", help="variant names (default: all)")
    parser.add_argument("--reuse-models", action="store_true", help="do not retrain models")
    parser.add_argument("--list", action="store_true", help="list the variants and exit")
    args = parser.parse_args(argv)
    if args.list:
        for variant in VARIANTS:
            print(f"{variant.name}: {variant.description}")
        return 0
    chosen = [v for v in VARIANTS if not args.only or v.name in args.only]
    unknown = set(args.only or []) - {v.name for v in VARIANTS}
    if unknown:
        parser.error(f"unknown variants: {', '.join(sorted(unknown))}")
    env = stack.base_env(dict(os.environ))
    checker = ReplyChecker.from_domain(prepare.ROOT / "domain.yml")
    output: Dict[str, Any] = {"machine": machine.info(), "plan": PLAN.as_dict(), "variants": []}
    total = len(chosen) * (1 + len(PLAN.phases))
    with (
        tqdm(total=total, desc="variants", unit="step") as steps,
        tempfile.TemporaryDirectory(prefix="mibg-bench-") as tmp,
    ):
        action = stack.start_action_server(Path(tmp), env)
        try:
            for variant in chosen:
                output["variants"].append(
                    run_variant(
                        variant, PLAN, Path(tmp), env, action, checker, steps, args.reuse_models
                    )
                )
        finally:
            action.stop()
    output["machine"]["loadavg_end"] = procs.loadavg()
    path = report.write(output, "variants")
    print(table(output["variants"]))
    for result in output["variants"]:
        if "action_calls" in result:
            print(f"\naction server calls ({result['name']}):")
            for name, entry in sorted(result["action_calls"].items()):
                print(
                    f"  {name}: {entry['calls']} calls, "
                    f"{entry['request_bytes'] / max(entry['calls'], 1) / 1024:.1f} KiB/request"
                )
        if "profile" in result:
            print(f"\nown time by area ({result['name']}), seconds:")
            for area, seconds in list(result["profile"]["own_seconds_by_area"].items())[:15]:
                print(f"  {seconds:8.2f}  {area}")
    print(f"\nresults: {path.relative_to(prepare.ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
