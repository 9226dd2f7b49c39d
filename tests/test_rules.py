"""Every question goes to the answer action, outside and inside the form, and every intent has a
rule or a story."""

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


def test_every_answerable_intent_goes_to_the_answer_action_outside_the_form() -> None:
    answered: Dict[str, str] = {}
    for rule in load_rules():
        steps = rule["steps"]
        if rule.get("condition") or "action" not in steps[1]:
            continue
        intents = [steps[0]["intent"]] if "intent" in steps[0] else []
        intents += [s["intent"] for s in steps[0].get("or", []) if "intent" in s]
        for intent in intents:
            answered[intent] = steps[1]["action"]
    # "is it right for me?" alone is answered straight away, so its offer rule can follow it.
    for intent in set(ANSWERS) - {"personal_case"}:
        assert answered.get(intent) == "action_answer", intent
    assert answered.get("personal_case") == ANSWERS["personal_case"]
    for intent in ("ask_tumour", "nlu_fallback", "out_of_scope", "choose_item"):
        assert answered.get(intent) == "action_answer", intent


def test_every_question_intent_is_answered_during_the_form() -> None:
    (rule,) = [r for r in load_rules() if r["rule"].startswith("answer a question during the form")]
    answered = {step["intent"] for step in rule["steps"][0]["or"]}
    # and a question the form turned away that no intent was sure of ("how fast do they get
    # back to me" at the consent step)
    assert answered == set(QUESTION_INTENTS) | {"nlu_fallback", "out_of_scope"}


def test_every_domain_intent_has_a_rule_or_story() -> None:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    used = set()
    for rule in load_rules():
        for step in rule["steps"]:
            used.update([step["intent"]] if "intent" in step else [])
            used.update(s["intent"] for s in step.get("or", []) if "intent" in s)
    assert set(domain["intents"]) - used == set()
