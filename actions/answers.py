"""Answers that need a little logic: tumour figures, and questions asked during the form.

Outside the form, questions are answered by rules straight from ``domain.yml`` (no action-server
round trip). During the treatment-request form one rule sends every question here, so the
answer is given and the form resumes at the same step.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from bot.content.tumours import GROUPS, TUMOURS

#: Question intent -> the response that answers it. ``rules.yml`` uses the same pairs outside
#: the form; tests/test_rules_match_answers.py keeps the two in step.
ANSWERS: Dict[str, str] = {
    "ask_what_is_mibg": "utter_what_is_mibg",
    "ask_how_it_works": "utter_how_it_works",
    "ask_candidates": "utter_candidates",
    "ask_contraindications": "utter_contraindications",
    "ask_side_effects": "utter_side_effects",
    "ask_dosing": "utter_dosing",
    "ask_monitoring": "utter_monitoring",
    "ask_preparation": "utter_preparation",
    "ask_treatment_abroad": "utter_treatment_abroad",
    "ask_services": "utter_services",
    "ask_agency": "utter_agency",
    "ask_destinations": "utter_destinations",
    "ask_costs": "utter_costs",
    "ask_privacy": "utter_privacy",
    "ask_help": "utter_help",
    "bot_challenge": "utter_bot_challenge",
    "emergency": "utter_emergency",
}

#: During the form these get a form-friendly answer instead of an offer to start a request.
IN_FORM_ANSWERS: Dict[str, str] = {
    "human_handoff": "utter_handoff_in_form",
    "personal_case": "utter_handoff_in_form",
}

#: Tumour key -> the response with its description and figures.
TUMOUR_RESPONSES: Dict[str, str] = {key: f"utter_tumour_{key}" for key in TUMOURS}

#: Every intent that is a question rather than an answer to a form field.
QUESTION_INTENTS = frozenset(ANSWERS) | frozenset(IN_FORM_ANSWERS) | {"ask_tumour"}


def tumour_responses(tracker: Tracker) -> List[str]:
    """The responses that answer "does it work for X?" for the tumours in the latest message."""
    named = [
        e.get("value")
        for e in tracker.latest_message.get("entities", [])
        if e.get("entity") == "tumour"
    ]
    responses: List[str] = []
    for value in named:
        members = GROUPS.get(value, (value,))
        if not members:  # a neuroendocrine tumour without a type: the general answer
            candidates = "utter_candidates"
            if candidates not in responses:
                responses.append(candidates)
            continue
        for key in members:
            response = TUMOUR_RESPONSES.get(key)
            if response and response not in responses:
                responses.append(response)
    return responses or ["utter_ask_which_tumour"]


class ActionAnswerTumour(Action):
    """Answer with the figures for each tumour named, or ask which tumour with buttons."""

    def name(self) -> str:
        return "action_answer_tumour"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        for response in tumour_responses(tracker):
            dispatcher.utter_message(response=response)
        return []


class ActionAnswerQuestion(Action):
    """Answer whatever question was asked (used during the form, where one rule serves all)."""

    def name(self) -> str:
        return "action_answer_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent == "ask_tumour":
            responses = tumour_responses(tracker)
        else:
            responses = [IN_FORM_ANSWERS.get(intent) or ANSWERS.get(intent) or "utter_default"]
        for response in responses:
            dispatcher.utter_message(response=response)
        return []
