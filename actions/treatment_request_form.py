"""The treatment-request form: consent first, then contact details, a summary, and a confirm step.

Rasa asks the questions (``utter_ask_<slot>``); this validation action decides what the patient's
message means for the requested field:

- an answer: the field is set (normalised) and the form moves on;
- an invalid answer: the patient is told what is wrong and asked again; after three failures at
  one field they are offered to skip it or to talk to a person;
- a question or a request to cancel: nothing is returned, so Rasa rejects the form action and
  the rules answer the question (or cancel) before the form asks again.

Consent and the final "Shall I send it?" take only a clear yes (``actions.consent``): the button,
or a yes with no negation, question or hedge in it. A clear no refuses (or, at the summary, shows
the fields to change); anything else ("not yes", "ok?", "yes but no") is explained and asked
again, and a question about something else is left to the rules as above.

Corrections work at any step: an email address or phone number in any message replaces the one
given before, "my name is ..." replaces the name, and "change my email" re-asks that field.
Values of the wrong type (a number or a dict where text belongs, from a typed ``/intent{...}``
payload or a damaged conversation) count as no value: the patient is asked for the field again.
An unexpected error in this action is caught: the patient hears ``utter_form_error`` and the same
question again, and only the error's type is logged. Nothing personal is written to the logs.

The form's slots, their order and which are yes/no steps come from the domain Rasa sends
(rasa_sdk's ``domain_slots``: ``forms: treatment_request_form: required_slots`` in domain.yml).
The action does not use rasa_sdk's ``extract_<slot>`` / ``validate_<slot>`` flow: that flow
validates the slots Rasa's mappings set in this turn, while here one message can answer the
field asked, correct another one, ask to change or skip a field, or be a question for the rules
(then nothing at all may be returned). So ``run`` decides once per message, and what a message
means for the field asked is one function per field, in :data:`FIELD_READERS`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Dict, List, Optional, Sequence

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT, FormValidationAction

from actions import consent, form_fields
from actions.answers import QUESTION_INTENTS
from actions.consent import Answer
from bot.content import countries, tumours
from bot.domain import TREATMENT_REQUEST_FORM, FormSlots, treatment_request_form
from bot.i18n import locales

logger = logging.getLogger(__name__)

#: The two yes/no steps: consent comes first, the confirmation ("Shall I send it?") last.
#: A patient may skip any other field (stored empty), never these.
CONSENT_SLOT = "privacy_consent"
CONFIRMATION_SLOT = "request_confirmed"
#: We must be able to reach the patient: one of these has to stay.
CONTACT_FIELDS = ("email", "phone")
MAX_FAILURES = 3
#: Below this confidence a "question" intent does not outweigh a plausible free-text answer.
QUESTION_CONFIDENCE = 0.6
#: Intents that are never a field value, but not a question either: ask again.
NON_ANSWER_INTENTS = {"greet", "thanks", "affirm", "deny", "request_treatment", "out_of_scope"}
CANCEL_INTENTS = {"cancel", "goodbye"}
#: Privacy requests (actions/privacy_requests.py): never a field value, handled by the rules.
PRIVACY_INTENTS = {"erase_data", "withdraw_consent", "show_my_data"}
NO_PREFERENCE_RE = re.compile(
    r"\b(any|anywhere|no preference|doesn'?t matter|does not matter|don'?t mind|"
    r"do not mind|whatever|not sure|you decide)\b",
    re.IGNORECASE,
)
FIELD_KEYWORDS: Dict[str, tuple] = {
    "full_name": ("name",),
    "email": ("email", "e-mail", "mail"),
    "phone": ("phone", "number", "mobile", "telephone", "whatsapp"),
    "country": ("country", "live", "residence"),
    "diagnosis": ("diagnosis", "tumour", "tumor", "disease", "cancer"),
    "destination": ("destination", "germany", "where to be treated"),
    "message": ("message", "note", "comment"),
}
#: The same in our other languages (bot/locales/*/vocabulary.yml, ``form_fields``).
FIELD_KEYWORDS = {
    name: (*words, *locales.phrases_by_key("form_fields").get(name, []))
    for name, words in FIELD_KEYWORDS.items()
}


@dataclass
class FormMessage:
    """The latest user message, as the form needs it."""

    text: str
    intent: Optional[str]
    confidence: float
    entities: List[Dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_tracker(cls, tracker: Tracker) -> FormMessage:
        latest = _dict(tracker.latest_message)
        intent = _dict(latest.get("intent"))
        confidence = intent.get("confidence")
        entities = latest.get("entities")
        return cls(
            text=_string(latest.get("text")).strip(),
            intent=intent.get("name") if isinstance(intent.get("name"), str) else None,
            confidence=float(confidence) if isinstance(confidence, (int, float)) else 0.0,
            entities=[
                e
                for e in (entities if isinstance(entities, list) else [])
                if isinstance(e, dict) and isinstance(e.get("value"), str)
            ],
        )

    @property
    def is_payload(self) -> bool:
        return self.text.startswith("/")

    @property
    def is_question(self) -> bool:
        """A question about the therapy or the agency, not an answer to the form."""
        if self.is_payload:
            return self.intent in QUESTION_INTENTS
        return self.text.endswith("?") or (
            self.intent in QUESTION_INTENTS and self.confidence >= QUESTION_CONFIDENCE
        )

    def entity(self, name: str) -> Optional[str]:
        """The first value of entity ``name``; only strings count (see ``from_tracker``)."""
        return next(
            (
                e["value"]
                for e in self.entities
                if e.get("entity") == name and isinstance(e.get("value"), str)
            ),
            None,
        )


@dataclass
class Outcome:
    """What one message meant for the form."""

    slots: Dict[str, Any] = field(default_factory=dict)
    responses: List[str] = field(default_factory=list)
    #: The message is not for the form (a question, cancel): let the rules handle it.
    reject: bool = False


#: What a message means for the field asked, one reader per field after consent.
Reader = Callable[[FormMessage, Dict[str, Any]], Outcome]


class ValidateTreatmentRequestForm(FormValidationAction):
    """Interprets each message of the treatment-request form (see the module docstring)."""

    def name(self) -> str:
        return f"validate_{TREATMENT_REQUEST_FORM}"

    def form_slots(self, domain: Dict[str, Any]) -> FormSlots:
        """The form's slots in the domain Rasa sent (rasa_sdk's ``domain_slots``).

        Rasa sends its domain with every call (endpoints.yml enables no selective domain); a
        call without one gets domain.yml's, which is the same domain.
        """
        order = self.domain_slots(domain)
        return FormSlots.of(domain, order=order) if order else treatment_request_form()

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        try:
            return self.validate(dispatcher, tracker, self.form_slots(domain))
        except Exception as error:  # noqa: BLE001 - the patient must get an answer
            logger.error("treatment request form failed: %s", type(error).__name__)
            dispatcher.utter_message(response="utter_form_error")
            try:
                requested = tracker.get_slot(REQUESTED_SLOT)
            except Exception:  # noqa: BLE001 - the tracker itself is broken
                requested = None
            known = treatment_request_form().order
            # Ask the same question again (Rasa re-asks the requested slot).
            return [SlotSet(REQUESTED_SLOT, requested if requested in known else None)]

    def validate(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, form: FormSlots
    ) -> List[EventType]:
        """What the latest message means for the form, as slot events (see the module)."""
        order = form.order
        slots = {name: _slot_value(name, tracker.get_slot(name), form) for name in order}
        failures = tracker.get_slot("field_failures")
        slots["field_failures"] = {
            key: value
            for key, value in (failures.items() if isinstance(failures, dict) else ())
            if key in order and isinstance(value, int)
        }
        requested = tracker.get_slot(REQUESTED_SLOT)
        if requested is not None and requested not in order:
            requested = next_slot(slots, order) or order[-1]
        message = FormMessage.from_tracker(tracker)

        reference = _slot_value("request_reference", tracker.get_slot("request_reference"), form)
        if reference or (requested is None and _all_filled(slots, order)):
            # Re-activated after a save (or a failed save): nothing to ask, go to submit.
            return [SlotSet(REQUESTED_SLOT, None)]
        if requested is None:
            return []

        change_pending = tracker.get_slot("change_pending") is True
        outcome = self.interpret(requested, message, slots, change_pending, form)
        if outcome.reject:
            return []
        for response in outcome.responses:
            dispatcher.utter_message(response=response)
        merged = {**slots, **outcome.slots}
        events: List[EventType] = [SlotSet(k, v) for k, v in outcome.slots.items()]
        events.append(SlotSet(REQUESTED_SLOT, next_slot(merged, order)))
        return events

    # ------------------------------------------------------------------ interpretation
    def interpret(
        self,
        requested: str,
        message: FormMessage,
        slots: Dict[str, Any],
        change_pending: Optional[bool],
        form: FormSlots,
    ) -> Outcome:
        """Decide what ``message`` means while the form asks for ``requested``."""
        if message.intent in CANCEL_INTENTS or message.intent in PRIVACY_INTENTS:
            return Outcome(reject=True)
        if requested == CONSENT_SLOT:
            return self._consent(message)
        corrections = self._corrections(requested, message, slots)
        if message.intent == "change_field" or (requested == CONFIRMATION_SLOT and change_pending):
            return self._change(message, corrections, form.order)
        if message.intent == "skip":
            return self._skip(requested, slots, corrections, form)
        outcome = FIELD_READERS[requested](message, slots)
        if outcome.reject and corrections.slots:
            return corrections
        outcome.slots = {**corrections.slots, **outcome.slots}
        outcome.responses = corrections.responses + outcome.responses
        if requested in outcome.slots and outcome.slots[requested] is None:
            return self._failed(requested, slots, outcome)
        if requested in outcome.slots and requested in slots["field_failures"]:
            outcome.slots["field_failures"] = _without(slots["field_failures"], requested)
        return outcome

    def _consent(self, message: FormMessage) -> Outcome:
        """Consent only for a clear yes (``actions.consent``); anything unclear is asked again."""
        answer = consent.classify(message.text, message.intent, message.confidence)
        if answer is Answer.YES:
            return Outcome(
                slots={
                    CONSENT_SLOT: True,
                    "consent_at": datetime.now(timezone.utc).isoformat(),
                }
            )
        if answer is Answer.NO:
            return Outcome(slots={CONSENT_SLOT: False})
        if _real_question(message) or message.intent in ("human_handoff", "emergency"):
            return Outcome(reject=True)
        return Outcome(slots={CONSENT_SLOT: None}, responses=["utter_consent_unclear"])

    def _corrections(self, requested: str, message: FormMessage, slots: Dict[str, Any]) -> Outcome:
        """A new email, phone or name given while another field is asked for."""
        outcome = Outcome()
        if message.is_payload:
            return outcome
        email = form_fields.parse_email(message.text)
        if email and requested != "email" and slots.get("email") not in (None, email):
            outcome.slots["email"] = email
        phone = form_fields.parse_phone(message.text)
        if phone and requested != "phone" and slots.get("phone") not in (None, phone):
            outcome.slots["phone"] = phone
        name = form_fields.name_correction(message.text)
        if name and requested != "full_name" and slots.get("full_name") not in (None, name):
            outcome.slots["full_name"] = name
        if outcome.slots:
            outcome.responses.append("utter_details_updated")
        return outcome

    def _change(self, message: FormMessage, corrections: Outcome, order: Sequence[str]) -> Outcome:
        if corrections.slots:
            return corrections
        target = _field_named(message, order)
        if target is None:
            # "Change something": the summary step shows the list of fields instead.
            return Outcome(slots={"change_pending": True, CONFIRMATION_SLOT: None})
        return Outcome(slots={target: None, "change_pending": False, CONFIRMATION_SLOT: None})

    def _skip(
        self, requested: str, slots: Dict[str, Any], corrections: Outcome, form: FormSlots
    ) -> Outcome:
        """Skip a field (stored empty; the case manager asks later), but keep one contact."""
        if requested not in form.answers:  # consent and the confirmation cannot be skipped
            return Outcome(slots={requested: None}, responses=["utter_ask_yes_or_no"])
        other_contacts = [name for name in CONTACT_FIELDS if name != requested]
        if requested in CONTACT_FIELDS and not any(slots.get(name) for name in other_contacts):
            return Outcome(slots={requested: None}, responses=["utter_cannot_skip_contact"])
        skipped = {**corrections.slots, requested: ""}
        skipped["field_failures"] = _without(slots["field_failures"], requested)
        return Outcome(slots=skipped, responses=corrections.responses)

    def _failed(self, requested: str, slots: Dict[str, Any], outcome: Outcome) -> Outcome:
        failures = dict(slots["field_failures"])
        failures[requested] = failures.get(requested, 0) + 1
        outcome.slots["field_failures"] = failures
        if failures[requested] >= MAX_FAILURES:
            outcome.responses.append("utter_offer_skip")
        return outcome


# ---------------------------------------------------------------------- one reader per field
def read_full_name(message: FormMessage, slots: Dict[str, Any]) -> Outcome:
    if message.is_question:
        return Outcome(reject=True)
    name = (
        None
        if message.intent in NON_ANSWER_INTENTS and message.confidence >= 0.8
        else (form_fields.parse_name(message.text))
    )
    return Outcome(slots={"full_name": name}, responses=[] if name else ["utter_invalid_full_name"])


def _parsed(name: str, parse: Callable[[str], Optional[str]], invalid: str) -> Reader:
    """A field whose answer ``parse`` recognises; anything else is a question or invalid."""

    def read(message: FormMessage, slots: Dict[str, Any]) -> Outcome:
        value = parse(message.text)
        if value:
            return Outcome(slots={name: value})
        if message.is_question:
            return Outcome(reject=True)
        return Outcome(slots={name: None}, responses=[invalid])

    return read


read_email = _parsed("email", form_fields.parse_email, "utter_invalid_email")
read_country = _parsed("country", form_fields.parse_country, "utter_invalid_country")


def read_phone(message: FormMessage, slots: Dict[str, Any]) -> Outcome:
    phone = form_fields.parse_phone(message.text)
    if phone:
        return Outcome(slots={"phone": phone})
    if message.is_question and not form_fields.looks_like_phone_attempt(message.text):
        return Outcome(reject=True)
    return Outcome(slots={"phone": None}, responses=["utter_invalid_phone"])


def read_diagnosis(message: FormMessage, slots: Dict[str, Any]) -> Outcome:
    tumour = message.entity("tumour")
    if tumour and (message.is_payload or not message.text.endswith("?")):
        if message.is_payload or len(message.text) <= 40:
            return Outcome(slots={"diagnosis": tumours.title(tumour)})
        return Outcome(slots={"diagnosis": message.text[:500]})
    if message.is_question:
        return Outcome(reject=True)
    text = message.text
    if (
        message.is_payload
        or sum(ch.isalpha() for ch in text) < 3
        or (message.intent in NON_ANSWER_INTENTS and message.confidence >= 0.8)
    ):
        return Outcome(slots={"diagnosis": None}, responses=["utter_invalid_diagnosis"])
    return Outcome(slots={"diagnosis": text[:500]})


def read_destination(message: FormMessage, slots: Dict[str, Any]) -> Outcome:
    country = form_fields.parse_country(message.text)
    if country == "Germany" or (
        country is None and (message.intent == "affirm" or NO_PREFERENCE_RE.search(message.text))
    ):
        return Outcome(slots={"destination": "Germany"})
    if country in countries.NOT_SERVED_DESTINATIONS:
        return Outcome(slots={"destination": None}, responses=["utter_destination_not_served"])
    if country:
        return Outcome(slots={"destination": None}, responses=["utter_destination_germany_only"])
    if message.is_question:
        return Outcome(reject=True)
    return Outcome(slots={"destination": None}, responses=["utter_destination_germany_only"])


def read_message(message: FormMessage, slots: Dict[str, Any]) -> Outcome:
    if message.intent == "deny" and len(message.text) < 20:
        return Outcome(slots={"message": ""})
    if message.is_question:
        return Outcome(reject=True)
    if message.is_payload:
        return Outcome(slots={"message": None}, responses=["utter_ask_message"])
    return Outcome(slots={"message": message.text[: form_fields.MAX_MESSAGE_CHARS]})


def read_confirmation(message: FormMessage, slots: Dict[str, Any]) -> Outcome:
    """Send only on a clear yes; a no shows the fields to change; unclear asks again."""
    answer = consent.classify(message.text, message.intent, message.confidence)
    if answer is Answer.YES:
        return Outcome(slots={CONFIRMATION_SLOT: True})
    if answer is Answer.NO:
        return Outcome(slots={"change_pending": True, CONFIRMATION_SLOT: None})
    if _real_question(message):
        return Outcome(reject=True)
    return Outcome(slots={CONFIRMATION_SLOT: None}, responses=["utter_confirm_unclear"])


#: The reader of each field the form asks after consent (``interpret`` has handled cancel,
#: privacy requests, consent, corrections, change and skip before). Every slot of the form in
#: the domain but consent has one (tests/actions/test_treatment_request_form.py checks it).
FIELD_READERS: Dict[str, Reader] = {
    "full_name": read_full_name,
    "email": read_email,
    "phone": read_phone,
    "country": read_country,
    "diagnosis": read_diagnosis,
    "destination": read_destination,
    "message": read_message,
    CONFIRMATION_SLOT: read_confirmation,
}


def _real_question(message: FormMessage) -> bool:
    """A question the rules answer (then the step is asked again), at a yes/no step.

    A recognised question intent counts ("what are the side effects?", "yes, is it safe?"), and
    so does any question without a word of yes or no in it. A question about the choice itself
    ("ok?", "do I have to agree?", "what if I say no?", read as ``affirm`` or ``deny``) is not
    one: it gets the explanation of the choice instead.
    """
    if not (message.is_question or consent.reads_as_question(message.text)):
        return False
    if message.intent in QUESTION_INTENTS and (
        message.is_payload or message.confidence >= QUESTION_CONFIDENCE
    ):
        return True
    return not consent.mentions_yes_or_no(message.text)


def _dict(value: Any) -> Dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _string(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _slot_value(name: str, value: Any, form: FormSlots) -> Any:
    """A slot's value, or ``None`` (not given) when it has the wrong type: True/False for the
    form's yes/no steps, text for every other slot."""
    if name in form.yes_no:
        return value if isinstance(value, bool) else None
    return value if isinstance(value, str) else None


def next_slot(slots: Dict[str, Any], order: Sequence[str]) -> Optional[str]:
    """The next field to ask for, or ``None`` when the form is done (or consent was refused)."""
    if slots.get(CONSENT_SLOT) is False:
        return None
    return next((name for name in order if slots.get(name) is None), None)


def _all_filled(slots: Dict[str, Any], order: Sequence[str]) -> bool:
    return all(slots.get(name) is not None for name in order)


def _without(failures: Dict[str, int], name: str) -> Dict[str, int]:
    return {key: value for key, value in failures.items() if key != name}


def _field_named(message: FormMessage, order: Sequence[str]) -> Optional[str]:
    """Which field "change my phone number" is about (entity first, then keywords)."""
    value = (message.entity("form_field") or "").lower().replace(" ", "_")
    if value in order:
        return value
    text = f"{value} {message.text}".lower()
    for name, keywords in FIELD_KEYWORDS.items():
        if any(re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text) for word in keywords):
            return name
    return None
