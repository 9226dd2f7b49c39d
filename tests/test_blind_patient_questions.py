"""The blind patient questions end to end over REST, with the gate of issue 10.

Nine English sets, each written by a separate author who saw only the article:
``patient_questions.yml``, ``followups_dev.yml`` and ``followups_dev2.yml`` (multi-turn
conversations), ``patient_questions_dev3/4/5/6/7.yml`` (all eight also read to find failure
kinds while building) and
``patient_questions_final.yml`` (only ever scored; its failures were not read,
except the one emergency it missed). German and Russian (issue 13) have a blind set each
(``patient_questions_de``/``_ru``: only scored) and a development set each (``*_dev``: read to
find failure kinds), all by authors who saw only the article. Each reply must carry the
expected facts in the set's language, and no reply may contain a figure that is not in the
article. The full report goes to test-artifacts/.
"""

from __future__ import annotations

from typing import List

import pytest

from bot.checks import blind_eval
from tests.support.stack import ROOT, LiveStack

ARTIFACTS = ROOT / "test-artifacts"
#: German and Russian (issue 13 targets 0.9 in each; reached 0.920 and 0.916): one case of margin.
GATE_DE, GATE_RU, GATE_DE_DEV, GATE_RU_DEV = 0.91, 0.9, 0.95, 0.94
#: Set -> the share of cases that must pass. Issue 10 targets 0.95; these gates hold what the
#: assistant reaches now (docs/intents.md has the figures), so a change that loses answers fails.
SETS = {
    "patient_questions": 0.98,
    "followups_dev": 0.93,
    "followups_dev2": 0.80,
    "patient_questions_dev3": 0.94,
    "patient_questions_dev4": 0.93,
    "patient_questions_dev5": 0.94,
    "patient_questions_dev6": 0.93,
    "patient_questions_dev7": 0.88,
    "patient_questions_final": 0.91,
    "patient_questions_de": GATE_DE,
    "patient_questions_ru": GATE_RU,
    "patient_questions_de_dev": GATE_DE_DEV,
    "patient_questions_ru_dev": GATE_RU_DEV,
}


@pytest.mark.parametrize("name,gate", list(SETS.items()))
def test_blind_patient_questions(live_stack: LiveStack, name: str, gate: float) -> None:
    path = ROOT / "tests" / "blind" / f"{name}.yml"
    results: List[blind_eval.CaseResult] = blind_eval.evaluate(live_stack.chat, path)
    blind_eval.write_report(results, ARTIFACTS / f"blind-{name}.json")
    table = blind_eval.format_summary(results)
    (ARTIFACTS / f"blind-{name}.txt").write_text(table + "\n", encoding="utf-8")
    print(f"\n{name}\n{table}")
    ungrounded = blind_eval.ungrounded_replies(results)
    assert not ungrounded, [(t.user, t.ungrounded) for t in ungrounded]
    score = blind_eval.summary(results)["all"]["score"]
    assert score >= gate, f"{name}: {score:.3f} < {gate}\n{table}"


def test_the_checker_fails_a_wrong_answer() -> None:
    """A reply without the facts, or with a figure the article lacks, does not pass."""
    probes = blind_eval.response_probes()
    turn = {"user": "q", "expect": "answer", "facts": [["88"]]}
    assert not blind_eval.check_turn(turn, [{"text": "It works in 77% of cases."}], probes).passed
    assert not blind_eval.check_turn(turn, [{"text": "In 88% and 99% of cases."}], probes).passed
    assert blind_eval.check_turn(turn, [{"text": "In 88% of cases."}], probes).passed
    oos = {"user": "q", "expect": "out_of_scope"}
    assert not blind_eval.check_turn(oos, [{"text": "In 88% of cases."}], probes).passed


def test_an_answer_in_the_wrong_language_fails() -> None:
    probes = blind_eval.response_probes()
    turn = {"user": "q", "expect": "answer", "facts": [["88"]]}
    german = [{"text": "MIBG reichert sich in 88 % der Fälle im Tumor an."}]
    assert not blind_eval.check_turn(turn, german, probes, "en").passed
    assert blind_eval.check_turn(turn, german, probes, "de").passed


def test_the_sets_are_large_enough() -> None:
    for name in SETS:
        path = ROOT / "tests" / "blind" / f"{name}.yml"
        data = blind_eval.load_cases(path)
        if blind_eval.cases_language(path) != "en":
            assert len(data) >= 60, name
        else:
            # issue 10's sets hold at least 150 questions; development sets at least 50
            assert len(data) >= (50 if "dev" in name else 150), name
