"""Intent accuracy and macro-F1 on the held-out NLU examples, through a running server.

Examples are read and scored by ``bot.checks.nlu_eval`` (``read_examples``, ``score``), the
gate ``make test`` applies, so the benchmark and the gate report the same figure.

The server is started with ``--enable-api`` and a random ``--auth-token`` (benchmark only), so
``POST /model/parse`` runs the very model and process that served the conversations; loading
the model a second time in another process would add a minute for the baseline.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, List, Sequence, Tuple

import aiohttp

from bench.load import percentile
from bot.checks.nlu_eval import score

FALLBACK_INTENT = "nlu_fallback"


@dataclass
class NluResult:
    examples: int
    accuracy: float
    macro_f1: float
    fallback_rate: float
    parse_p50_ms: float | None
    parse_p95_ms: float | None
    #: (true intent, predicted intent) -> count, mistakes only; no example text is kept.
    confusions: Dict[str, int] = field(default_factory=dict)


async def evaluate(base_url: str, token: str, examples: Sequence[Tuple[str, str]]) -> NluResult:
    """Parse every example one at a time and score the top intent."""
    truth: List[str] = []
    predicted: List[str] = []
    latencies: List[float] = []
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        for text, intent in examples:
            started = time.perf_counter()
            async with session.post(
                f"{base_url}/model/parse", params={"token": token}, json={"text": text}
            ) as reply:
                reply.raise_for_status()
                body = await reply.json()
            latencies.append(1000 * (time.perf_counter() - started))
            truth.append(intent)
            predicted.append(((body or {}).get("intent") or {}).get("name") or "")
    accuracy, macro_f1, _ = score(truth, predicted)
    confusions = Counter(f"{t} -> {p}" for t, p in zip(truth, predicted, strict=True) if t != p)
    n = len(truth)
    return NluResult(
        examples=n,
        accuracy=accuracy,
        macro_f1=macro_f1,
        fallback_rate=predicted.count(FALLBACK_INTENT) / n if n else 0.0,
        parse_p50_ms=percentile(latencies, 50),
        parse_p95_ms=percentile(latencies, 95),
        confusions=dict(confusions.most_common()),
    )
