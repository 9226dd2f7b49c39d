"""Does the work per message grow with the length of the conversation? (``make bench-long``)

Starts a stack (bench/live.py), then plays two 600-turn conversations over REST, one message
after the other: the same question again and again, and a mixed one (questions, small talk, a
tumour button, the request form started and cancelled). Prints, for turns 0-50, 150-200,
350-400 and 550-600 of each, the median latency and the median CPU time the Rasa server spent
on a message (all its threads, ``/proc/<pid>/task/*/schedstat``), and the ratios of the window
around the 400th turn (350-400) to the one around the 10th (0-50). Exits 1 when a ratio
exceeds ``--max-ratio`` (default 1.5): the cost of a message must not grow with the history.

``--gate cpu`` (the default) checks the CPU ratio: on a shared machine (CI, or eight helpers
on two cores) the wall-clock median of a window moves with the other load by more than 1.5x,
while the server's own CPU time per message does not. ``--gate wall`` checks the latency.

Medians, as the issue measured them: a turn of the mixed conversation that starts or cancels
the request form still costs more in a long conversation (Rasa's loop handling is recomputed
over the history then, bot/rasa_patches/history.py); two turns in twelve.

The flood limits (bot/channels/limits.py) are turned off for this stack: one visitor sending
600 messages in a few seconds is exactly what they stop.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

from bench.live import running_stack

TURNS = 600
WINDOWS: Tuple[Tuple[int, int], ...] = ((0, 50), (150, 200), (350, 400), (550, 600))
REPEATED = ["side effects?"]
MIXED = [
    "hi",
    "what is mibg therapy?",
    "side effects?",
    "does mibg work for neuroblastoma?",
    "/ask_candidates",
    '/ask_tumour{"tumour": "pheochromocytoma"}',
    "how should I prepare?",
    "how much does it cost?",
    "I want to apply for treatment",
    "cancel",
    "what does myelosuppression mean?",
    "thanks",
]


class RestClient:
    """One keep-alive HTTP connection to the REST channel."""

    def __init__(self, url: str) -> None:
        host, port = url.removeprefix("http://").split(":")
        self.connection = http.client.HTTPConnection(host, int(port), timeout=60)

    def send(self, sender: str, text: str) -> Tuple[int, List[Dict], float]:
        body = json.dumps({"sender": sender, "message": text})
        started = time.perf_counter()
        self.connection.request(
            "POST", "/webhooks/rest/webhook", body, {"Content-Type": "application/json"}
        )
        reply = self.connection.getresponse()
        data = reply.read()
        elapsed = time.perf_counter() - started
        return reply.status, json.loads(data or b"null"), elapsed


def cpu_ms(pid: int) -> float:
    """CPU time used so far by every thread of process ``pid`` (Linux schedstat, ns precision)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError, ValueError, IndexError):  # a thread that ended
            total += int((task / "schedstat").read_text().split()[0])
    return total / 1e6


def play(
    client: RestClient, messages: Sequence[str], turns: int, server_pid: int
) -> Tuple[List[float], List[float]]:
    """One conversation of ``turns`` messages cycling ``messages``: the milliseconds each turn
    took, and the server's CPU milliseconds for each."""
    sender = f"long-{uuid.uuid4().hex[:10]}"
    latencies: List[float] = []
    cpu: List[float] = []
    for turn in range(turns):
        used = cpu_ms(server_pid)
        status, body, seconds = client.send(sender, messages[turn % len(messages)])
        cpu.append(cpu_ms(server_pid) - used)
        if status != 200 or not body:
            raise SystemExit(f"turn {turn}: HTTP {status}, {body!r}")
        latencies.append(1000 * seconds)
    return latencies, cpu


def medians(latencies: List[float]) -> Dict[Tuple[int, int], float]:
    return {w: statistics.median(latencies[w[0] : w[1]]) for w in WINDOWS if w[1] <= len(latencies)}


def report(name: str, latencies: List[float], cpu: List[float]) -> Dict[str, float]:
    """Print the windows' medians; return the ratios turn ~400 / turn ~10 (wall and CPU)."""
    ratios = {}
    for kind, label, values in (("wall", "latency", latencies), ("cpu", "server CPU", cpu)):
        found = medians(values)
        ratios[kind] = found[(350, 400)] / found[(0, 50)]
        cells = "  ".join(f"{a:>3}-{b:<3} {ms:5.1f} ms" for (a, b), ms in found.items())
        title = name if kind == "wall" else ""
        print(f"{title:<9} {label:<10} {cells}  400th/10th {ratios[kind]:.2f}")
    return ratios


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.long_conversation")
    parser.add_argument("--port", type=int, default=7400, help="Rasa's port (+1: actions)")
    parser.add_argument("--turns", type=int, default=TURNS)
    parser.add_argument("--max-ratio", type=float, default=1.5)
    parser.add_argument("--gate", choices=("cpu", "wall"), default="cpu")
    args = parser.parse_args(argv)
    unlimited = {"MAX_IN_FLIGHT_PER_SENDER": "0", "MAX_MESSAGES_PER_MINUTE": "0"}
    with running_stack(args.port, unlimited) as stack:
        client = RestClient(stack.rasa_url)
        pid = stack.processes[1].pid
        play(client, MIXED, len(MIXED), pid)  # warm-up: first calls load and compile things
        print(f"{args.turns} turns per conversation, one message at a time; per window:")
        ratios = {
            name: report(name, *play(client, messages, args.turns, pid))
            for name, messages in (("repeated", REPEATED), ("mixed", MIXED))
        }
    worst = max(found[args.gate] for found in ratios.values())
    if worst > args.max_ratio:
        print(f"FAIL: {args.gate} ratio {worst:.2f} > {args.max_ratio}")
        return 1
    print(f"ok: every {args.gate} ratio <= {args.max_ratio}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
