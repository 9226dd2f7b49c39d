"""How much work one benchmark run does: the full plan, and a quick one for smoke runs.

The numbers are chosen so the full run stays under 30 minutes and the quick run under 6 on the
2-core machine, with the default bot as the slow side.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any, Dict, Tuple


@dataclass(frozen=True)
class LoadPhase:
    """``conversations`` scripted conversations, ``concurrency`` of them in flight at a time."""

    name: str
    concurrency: int
    conversations: int


@dataclass(frozen=True)
class Plan:
    """Everything that differs between ``--quick`` and a full run."""

    quick: bool
    phases: Tuple[LoadPhase, ...]
    #: ``None`` keeps the `rasa init` default (100); a number overrides every epochs setting of
    #: the baseline (DIET, ResponseSelector, TED, UnexpecTED) and is shown in every report.
    baseline_epochs: int | None = None
    #: Per-request timeout; a slower answer counts as an error.
    request_timeout_s: float = 120.0
    cold_start_timeout_s: float = 600.0
    #: Conversations run (and discarded) after the cold start, before any phase is measured.
    warmup_conversations: int = 1
    #: Seconds between samples of the server's memory and CPU.
    sample_interval_s: float = 0.2
    notes: Tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> Dict[str, Any]:
        return asdict(self)


FULL = Plan(
    quick=False,
    phases=(
        LoadPhase("1 conversation", concurrency=1, conversations=10),
        LoadPhase("20 concurrent", concurrency=20, conversations=40),
        LoadPhase("100 concurrent", concurrency=100, conversations=100),
    ),
)

QUICK = Plan(
    quick=True,
    phases=(
        LoadPhase("1 conversation", concurrency=1, conversations=2),
        LoadPhase("5 concurrent", concurrency=5, conversations=10),
    ),
    # DIET's first epoch (graph tracing) alone takes over a minute here; later ones ~9 s each.
    baseline_epochs=2,
    request_timeout_s=60.0,
    notes=(
        "QUICK smoke run: baseline trained with 2 epochs instead of 100 and fewer, smaller "
        "load phases; the figures are not the benchmark.",
    ),
)


def choose(quick: bool, baseline_epochs: int | None = None) -> Plan:
    """The plan for this run; ``baseline_epochs`` overrides the plan's choice."""
    plan = QUICK if quick else FULL
    if baseline_epochs is not None:
        note = f"baseline trained with {baseline_epochs} epochs instead of 100"
        plan = replace(plan, baseline_epochs=baseline_epochs, notes=plan.notes + (note,))
    return plan
