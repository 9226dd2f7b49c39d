"""The comparison table (ours, baseline, ours/baseline) and the JSON result file."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List

from bench.prepare import ROOT

RESULTS = ROOT / "bench" / "results"
Getter = Callable[[Dict[str, Any]], float | None]


@dataclass(frozen=True)
class Row:
    label: str
    get: Getter
    digits: int = 0


def _path(*keys: Any) -> Getter:
    def get(data: Dict[str, Any]) -> float | None:
        value: Any = data
        for key in keys:
            try:
                value = value[key]
            except (KeyError, IndexError, TypeError):
                return None
        return value

    return get


def _total_errors(data: Dict[str, Any]) -> float | None:
    phases = data.get("phases")
    return sum(p["errors"] for p in phases) if phases is not None else None


def _percent(getter: Getter) -> Getter:
    def get(data: Dict[str, Any]) -> float | None:
        value = getter(data)
        return None if value is None else 100 * value

    return get


def rows(phase_names: List[str]) -> List[Row]:
    """Every figure of the table, in order."""
    table = [
        Row("training time (s)", _path("train", "seconds"), 1),
        Row("model file (MiB)", _path("train", "model_mib"), 1),
        Row("cold start to first answer (s)", _path("cold_start_s"), 1),
        Row("RSS after start (MiB)", _path("rss_after_start_mib")),
        Row("peak RSS of server tree (MiB)", _path("rss_peak_mib")),
    ]
    for index, name in enumerate(phase_names):
        phase = ("phases", index)
        table += [
            Row(f"{name}: p50 (ms)", _path(*phase, "p50_ms"), 1),
            Row(f"{name}: p95 (ms)", _path(*phase, "p95_ms"), 1),
            Row(f"{name}: p99 (ms)", _path(*phase, "p99_ms"), 1),
            Row(f"{name}: throughput (msg/s)", _path(*phase, "throughput_msg_s"), 1),
            Row(f"{name}: server CPU per msg (ms)", _path(*phase, "server_cpu_ms_per_msg"), 1),
            Row(f"{name}: errors", _path(*phase, "errors")),
        ]
    table += [
        Row("errors, all phases", _total_errors),
        Row("intent accuracy, hold-out (%)", _percent(_path("nlu", "accuracy")), 1),
        Row("intent macro-F1, hold-out (%)", _percent(_path("nlu", "macro_f1")), 1),
        Row("NLU fallback rate, hold-out (%)", _percent(_path("nlu", "fallback_rate")), 1),
        Row("NLU parse p50 (ms)", _path("nlu", "parse_p50_ms"), 1),
    ]
    return table


def fmt(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def ratio(ours: float | None, baseline: float | None) -> float | None:
    if ours is None or baseline is None or baseline == 0:
        return None
    return ours / baseline


def table(result: Dict[str, Any]) -> str:
    """A Markdown table (readable in a terminal as well)."""
    ours, baseline = result["bots"]["ours"], result["bots"]["baseline"]
    header = ["figure", "ours", "baseline", "ours/baseline"]
    lines = [header]
    for row in rows([p["name"] for p in result["plan"]["phases"]]):
        a, b = row.get(ours), row.get(baseline)
        r = ratio(a, b)
        lines.append(
            [row.label, fmt(a, row.digits), fmt(b, row.digits), "-" if r is None else f"{r:.3g}"]
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]

    def render(cells: List[str]) -> str:
        padded = [cells[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)
        ]
        return "| " + " | ".join(padded) + " |"

    separator = "|" + "|".join(["-" * (widths[0] + 2)] + ["-" * (w + 1) + ":" for w in widths[1:]])
    out = [render(lines[0]), separator + "|"] + [render(line) for line in lines[1:]]
    return "\n".join(out)


def ratios(result: Dict[str, Any]) -> Dict[str, float | None]:
    ours, baseline = result["bots"]["ours"], result["bots"]["baseline"]
    return {
        row.label: ratio(row.get(ours), row.get(baseline))
        for row in rows([p["name"] for p in result["plan"]["phases"]])
    }


def write(result: Dict[str, Any], stem: str) -> Path:
    """``bench/results/<stem>-<UTC time>.json``."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = result["machine"]["utc"].replace("-", "").replace(":", "")
    path = RESULTS / f"{stem}-{stamp}.json"
    path.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    return path
