"""End-to-end evaluation on the blind patient questions (tests/blind/patient_questions.yml).

The questions were written by a separate author who saw only the article, never our training
data. Each case is one conversation of one or more turns; each turn names what its reply must
be (``answer`` with fact groups, ``not_covered``, ``out_of_scope``, ``emergency`` or
``own_case``). A case passes when every turn does. Independently of the expectations, every
figure in every reply must appear in the article.

``python -m bot.checks.blind_eval --url http://127.0.0.1:5005`` runs it against a live server;
tests/test_blind_patient_questions.py runs it on the test stack with the gate.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import urllib.request
import uuid
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional

import yaml

from bot import domain
from bot.content.article import article_text, numbers_in
from bot.i18n import detect
from bot.i18n.nlg import localised_responses
from bot.settings import ROOT, policy_figures

CASES_PATH = ROOT / "tests" / "blind" / "patient_questions.yml"
#: Which response (recognised by the start of its text) each non-answer expectation needs.
EXPECTED_RESPONSES: Dict[str, tuple] = {
    "not_covered": ("utter_not_covered",),
    "out_of_scope": ("utter_out_of_scope",),
    "emergency": ("utter_emergency",),
    "own_case": ("utter_personal_case", "utter_personal_note"),
}
PROBE_CHARS = 40
Chat = Callable[[str, str], List[dict]]


def response_probes() -> Dict[str, List[str]]:
    """Response name -> the first characters of its text in each language, to recognise it."""
    probes: Dict[str, List[str]] = defaultdict(list)
    for responses in localised_responses(domain.load()["responses"]).values():
        for name, variations in responses.items():
            if variations and variations[0].get("text"):
                probes[name].append(" ".join(variations[0]["text"].split())[:PROBE_CHARS].lower())
    return dict(probes)


def reply_language(text: str) -> Optional[str]:
    """The language a reply is written in (py3langid over our languages), if it has words."""
    return detect.langid_language(text) if re.search(r"[^\W\d_]{3,}", text) else None


def reply_text(messages: List[dict]) -> str:
    """What the patient sees: every text and button title, whitespace normalised."""
    parts = []
    for message in messages:
        parts.append(message.get("text") or "")
        parts.extend(b.get("title", "") for b in message.get("buttons") or [])
    return " ".join(" ".join(parts).split())


def ungrounded_figures(text: str) -> List[str]:
    """Figures in ``text`` that neither the article nor the privacy texts' retention periods
    contain."""
    known = set(numbers_in(article_text())) | policy_figures()
    return [n for n in numbers_in(text) if n not in known]


@dataclass
class TurnResult:
    user: str
    expect: str
    passed: bool
    reply: str
    missing: List[List[str]] = field(default_factory=list)
    ungrounded: List[str] = field(default_factory=list)


@dataclass
class CaseResult:
    id: str
    category: str
    passed: bool
    turns: List[TurnResult]


def check_turn(
    turn: dict, messages: List[dict], probes: Dict[str, List[str]], language: str = "en"
) -> TurnResult:
    """A turn passes with the expected facts or response, in the case's language, and with
    no figure the article lacks."""
    text = reply_text(messages)
    lowered = text.lower()
    sent = {name for name, found in probes.items() if any(p and p in lowered for p in found)}
    expect = turn["expect"]
    missing: List[List[str]] = []
    if expect == "answer":
        missing = [
            group
            for group in turn.get("facts") or []
            if not any(str(alt).lower() in lowered for alt in group)
        ]
        # The facts decide; a compound question may rightly add "not covered" for one part.
        passed = bool(turn.get("facts")) and not missing
    else:
        passed = bool(sent & set(EXPECTED_RESPONSES[expect]))
    ungrounded = ungrounded_figures(text)
    written_in = reply_language(text)
    if written_in != language:
        missing.append([f"(reply in {written_in}, not {language})"])
        passed = False
    return TurnResult(turn["user"], expect, passed and not ungrounded, text, missing, ungrounded)


def load_cases(path: Path = CASES_PATH) -> List[dict]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]


def cases_language(path: Path) -> str:
    """The language a case file is written in: its ``language`` key, English by default."""
    return str(yaml.safe_load(path.read_text(encoding="utf-8")).get("language") or "en")


def evaluate(chat: Chat, cases_path: Path = CASES_PATH) -> List[CaseResult]:
    """Run every case, each in a new conversation."""
    cases = load_cases(cases_path)
    language = cases_language(cases_path)
    probes = response_probes()
    results = []
    for case in cases:
        sender = f"blind-{uuid.uuid4().hex[:12]}"
        turns = [check_turn(t, chat(sender, t["user"]), probes, language) for t in case["turns"]]
        results.append(
            CaseResult(case["id"], case["category"], all(t.passed for t in turns), turns)
        )
    return results


def summary(results: List[CaseResult]) -> Dict[str, Dict[str, float]]:
    """Per category (and "all"): cases, passed, share passed."""
    counts: Dict[str, List[int]] = defaultdict(lambda: [0, 0])
    for result in results:
        for key in (result.category, "all"):
            counts[key][0] += 1
            counts[key][1] += int(result.passed)
    return {
        key: {"cases": total, "passed": ok, "score": ok / total if total else 0.0}
        for key, (total, ok) in sorted(counts.items())
    }


def ungrounded_replies(results: List[CaseResult]) -> List[TurnResult]:
    return [t for r in results for t in r.turns if t.ungrounded]


def write_report(results: List[CaseResult], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    report = {"summary": summary(results), "cases": [asdict(r) for r in results]}
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")


def format_summary(results: List[CaseResult]) -> str:
    lines = [f"{'category':16} {'cases':>5} {'passed':>6} {'score':>6}"]
    for key, row in summary(results).items():
        lines.append(f"{key:16} {row['cases']:5d} {row['passed']:6d} {row['score']:6.3f}")
    return "\n".join(lines)


def rest_chat(url: str) -> Chat:
    def chat(sender: str, message: str) -> List[dict]:
        request = urllib.request.Request(
            url.rstrip("/") + "/webhooks/rest/webhook",
            data=json.dumps({"sender": sender, "message": message}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as reply:
            return json.loads(reply.read() or b"[]")

    return chat


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:5005")
    parser.add_argument("--cases", type=Path, default=CASES_PATH)
    parser.add_argument("--json", type=Path, help="write the full report here")
    parser.add_argument("--failures", action="store_true", help="print every failed turn")
    parser.add_argument("--min-score", type=float, default=0.0)
    args = parser.parse_args(argv)
    results = evaluate(rest_chat(args.url), args.cases)
    if args.json:
        write_report(results, args.json)
    if args.failures:
        for result in results:
            for turn in result.turns:
                if not turn.passed:
                    print(f"- [{result.category}] {result.id}: {turn.user!r} ({turn.expect})")
                    print(f"    missing {turn.missing} ungrounded {turn.ungrounded}")
                    print(f"    reply: {turn.reply[:300]}")
    print(format_summary(results))
    score = summary(results)["all"]["score"]
    return 0 if score >= args.min_score and not ungrounded_replies(results) else 1


if __name__ == "__main__":
    sys.exit(main())
