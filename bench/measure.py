"""Measure one served bot: cold start, memory, latency under load, errors, NLU quality.

Shared by the benchmark (``bench.run``) and the what-if runs for tuning (``bench.variants``),
so both measure the same way.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

from tqdm import tqdm

from bench import procs, stack
from bench.load import PhaseResult, run_phase
from bench.plan import LoadPhase, Plan
from bench.scripted_conversation import Conversation, ReplyChecker, treatment_request
from bench.served_nlu import evaluate


@dataclass
class Target:
    """A model and how to serve it (the variants change endpoints, environment, prefix)."""

    name: str
    model: Path
    endpoints: Path | None = None
    extra_env: Dict[str, str] | None = None
    prefix: List[str] | None = None


def conversations(bot: str, tag: str, count: int) -> List[Conversation]:
    """``count`` scripts with sender ids nobody else uses."""
    run = uuid.uuid4().hex[:8]
    return [treatment_request(f"bench-{bot}-{tag}-{run}-{i}", i) for i in range(count)]


def _load(
    server: stack.RasaServer,
    target: Target,
    phase: LoadPhase,
    checker: ReplyChecker,
    plan: Plan,
    tag: str,
    action_pid: int,
) -> PhaseResult:
    scripts = conversations(target.name, tag, phase.conversations)
    total = sum(len(c.turns) for c in scripts)
    with tqdm(total=total, desc=f"  {target.name}: {phase.name}", unit="msg", leave=False) as bar:
        cpu_before = procs.tree_cpu_seconds(server.pid)
        action_before = procs.tree_cpu_seconds(action_pid)
        result = asyncio.run(
            run_phase(
                server.url,
                phase.name,
                scripts,
                phase.concurrency,
                checker,
                plan.request_timeout_s,
                on_message=lambda: bar.update(1),
            )
        )
        result.server_cpu_s = procs.tree_cpu_seconds(server.pid) - cpu_before
        result.action_cpu_s = procs.tree_cpu_seconds(action_pid) - action_before
    return result


def measure(
    target: Target,
    plan: Plan,
    tmp: Path,
    env: Dict[str, str],
    action: procs.Server,
    checker: ReplyChecker,
    examples: Sequence[Tuple[str, str]],
    steps: tqdm,
) -> Dict[str, Any]:
    """Serve ``target``, run the plan's phases and the NLU evaluation, stop the server."""
    steps.set_description(f"{target.name}: cold start")
    server = stack.start_rasa(
        target.name,
        target.model,
        tmp,
        env,
        action.port,
        plan.cold_start_timeout_s,
        plan.sample_interval_s,
        target.endpoints,
        target.extra_env,
        target.prefix,
    )
    try:
        result: Dict[str, Any] = {
            "cold_start_s": server.cold_start_s,
            "first_reply_ms": server.first_reply_ms,
            "rss_after_start_mib": server.sampler.sample(),
        }
        steps.update(1)
        steps.set_description(f"{target.name}: warm-up")
        warmup = LoadPhase("warm-up", 1, plan.warmup_conversations)
        result["warmup"] = _load(
            server, target, warmup, checker, plan, "warmup", action.process.pid
        ).summary()
        phases = []
        for index, phase in enumerate(plan.phases):
            steps.set_description(f"{target.name}: {phase.name}")
            phase_result = _load(
                server, target, phase, checker, plan, f"p{index}", action.process.pid
            )
            summary = phase_result.summary()
            summary["loadavg_after"] = procs.loadavg()
            phases.append(summary)
            steps.update(1)
        result["phases"] = phases
        if examples:
            steps.set_description(f"{target.name}: NLU hold-out")
            result["nlu"] = asyncio.run(evaluate(server.url, server.token, examples)).__dict__
            steps.update(1)
        result["rss_peak_mib"] = server.sampler.peak_mib
        result["rss_end_mib"] = server.sampler.sample()
    finally:
        server.stop()
    return result
