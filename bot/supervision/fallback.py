"""What the Rasa server answers in place of an action server that cannot run an action.

Rasa 3.6 treats a failed custom action as "Bot will continue, but the actions events are lost":
the patient gets no reply at all, and inside the form a failed validation leaves the form in
whatever state Rasa's error path makes of it. :func:`answer` builds an action server's answer
instead (same format, so Rasa runs its normal path), which:

- says ``utter_action_unavailable`` once per turn (a form turn can call the server twice: the
  validation, then the question for the summary);
- in the form's validation, keeps the form where it was: no slot is changed but the one being
  asked, which is set to the value it had, and the same question is asked again. (An answer with
  no slot at all would make Rasa reject the form and hand the message to the rules.) Slots given
  before stay, so the first message after recovery continues the form;
- after an action the rules ran inside the form (cancel, a privacy request), returns to the
  form, which asks its question again;
- leaves messages that are not for the form to the rules, as the validation itself does
  (a question, cancel, a privacy request, a handoff or an emergency): the rules answer questions
  and emergencies in this process (bot/rasa_patches/local_actions.py), so they keep working,
  at full speed.
"""

from __future__ import annotations

from typing import Any, Dict, List

#: The domain response said in place of the action (domain.yml).
UNAVAILABLE_RESPONSE = "utter_action_unavailable"
#: The validation action of our one form (actions/treatment_request_form.py).
FORM_VALIDATION_ACTION = "validate_treatment_request_form"
REQUESTED_SLOT = "requested_slot"
#: Actions the form runs itself to ask for a slot (``action_ask_request_confirmed``).
ASK_PREFIX = "action_ask_"
#: Intents the form's validation always leaves to the rules (besides questions).
NOT_FOR_THE_FORM = frozenset({"human_handoff", "emergency"})


def _since_latest_user_message(events: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    for index in range(len(events) - 1, -1, -1):
        if events[index].get("event") == "user":
            return events[index + 1 :]
    return events


def _already_said(tracker: Dict[str, Any]) -> bool:
    """Did an earlier call of this turn already say the unavailable text?"""
    for event in _since_latest_user_message(tracker.get("events") or []):
        metadata = event.get("metadata") if event.get("event") == "bot" else None
        if isinstance(metadata, dict) and metadata.get("utter_action") == UNAVAILABLE_RESPONSE:
            return True
    return False


def _leaves_the_form(tracker: Dict[str, Any]) -> bool:
    """Would the validation reject this message, for the rules to handle it?"""
    from rasa_sdk import Tracker

    from actions.treatment_request_form import CANCEL_INTENTS, PRIVACY_INTENTS, FormMessage

    message = FormMessage.from_tracker(Tracker.from_dict(tracker))
    return (
        message.intent in CANCEL_INTENTS
        or message.intent in PRIVACY_INTENTS
        or message.intent in NOT_FOR_THE_FORM
        or message.is_question
    )


def answer(action_call: Dict[str, Any]) -> Dict[str, Any]:
    """The stand-in answer to ``action_call`` (Rasa's action-server request body)."""
    tracker = action_call.get("tracker")
    tracker = tracker if isinstance(tracker, dict) else {}
    name = action_call.get("next_action")
    events: List[Dict[str, Any]] = []
    if name == FORM_VALIDATION_ACTION:
        slots = tracker.get("slots")
        slots = slots if isinstance(slots, dict) else {}
        requested = slots.get(REQUESTED_SLOT)
        if not isinstance(requested, str) or _leaves_the_form(tracker):
            # Activation (nothing asked yet) or a message for the rules: as the validation.
            return {"events": [], "responses": []}
        events = [
            {"event": "slot", "name": requested, "value": slots.get(requested)},
            {"event": "slot", "name": REQUESTED_SLOT, "value": requested},
        ]
    elif _called_by_the_rules_in_a_form(name, tracker):
        # The rules ran it inside the form (cancel, a privacy request): go back to the form,
        # which asks its question again, instead of leaving the rules without a next step.
        events = [{"event": "followup", "name": tracker["active_loop"]["name"]}]
    responses = [] if _already_said(tracker) else [{"response": UNAVAILABLE_RESPONSE}]
    return {"events": events, "responses": responses}


def _called_by_the_rules_in_a_form(name: object, tracker: Dict[str, Any]) -> bool:
    """An action the rules predicted while a form is active (not the form's own question)."""
    loop = tracker.get("active_loop")
    return (
        isinstance(loop, dict)
        and isinstance(loop.get("name"), str)
        and isinstance(name, str)
        and not name.startswith(ASK_PREFIX)
    )
