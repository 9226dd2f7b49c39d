"""Rules and the action's answer table agree, and every question is answered inside the form."""

from __future__ import annotations

from typing import Dict, List

import yaml

from actions.answers import ANSWERS, QUESTION_INTENTS
from bot.settings import ROOT


def load_rules() -> List[dict]:
    rules: List[dict] = []
    for path in (ROOT / "data" / "rules").glob("*.yml"):
        rules += yaml.safe_load(path.read_text(encoding="utf-8")).get("rules", [])
    return rules


def test_rules_outside_the_form_use_the_answer_table() -> None:
    single_turn: Dict[str, str] = {}
    for rule in load_rules():
        steps = rule["steps"]
        if rule.get("condition") or len(steps) != 2 or "intent" not in steps[0]:
            continue
        single_turn[steps[0]["intent"]] = steps[1]["action"]
    for intent, response in ANSWERS.items():
        assert single_turn.get(intent) == response, intent


def test_every_question_intent_is_answered_during_the_form() -> None:
    (rule,) = [r for r in load_rules() if r["rule"].startswith("answer a question during the form")]
    answered = {step["intent"] for step in rule["steps"][0]["or"]}
    assert answered == set(QUESTION_INTENTS)


def test_every_domain_intent_has_a_rule_or_story() -> None:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    used = set()
    for rule in load_rules():
        for step in rule["steps"]:
            used.update([step["intent"]] if "intent" in step else [])
            used.update(s["intent"] for s in step.get("or", []) if "intent" in s)
    assert set(domain["intents"]) - used == set()
