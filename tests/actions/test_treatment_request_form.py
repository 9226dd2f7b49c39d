"""The form validation action: answers, questions, corrections, failures, skip, cancel, consent."""

from __future__ import annotations

from typing import Any, Dict

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.treatment_request_form import ValidateTreatmentRequestForm
from tests.form_helpers import DOMAIN, FILLED, entity, run, slot_values, tracker

FORM = ValidateTreatmentRequestForm()


def filled_until(slot: str) -> Dict[str, Any]:
    """The slots a patient has given before being asked for ``slot``."""
    order = list(FILLED)
    index = order.index(slot) if slot in order else len(order)
    return {k: FILLED[k] for k in order[:index]} | {"consent_at": FILLED["consent_at"]}


async def test_consent_yes_records_the_time_and_asks_for_the_name() -> None:
    events, said = await run(FORM, tracker("yes", "affirm", requested_slot="privacy_consent"))
    slots = slot_values(events)
    assert slots["privacy_consent"] is True
    assert slots["consent_at"].endswith("+00:00")
    assert slots["requested_slot"] == "full_name"
    assert said == []


async def test_consent_no_ends_the_form_without_storing_anything() -> None:
    events, _ = await run(FORM, tracker("no", "deny", requested_slot="privacy_consent"))
    slots = slot_values(events)
    assert slots == {"privacy_consent": False, "requested_slot": None}


async def test_a_question_instead_of_consent_is_left_to_the_rules() -> None:
    tr = tracker("why do you need my phone?", "ask_privacy", requested_slot="privacy_consent")
    assert await run(FORM, tr) == ([], [])


# ------------------------------------------- clear consent and confirmation (issue #12, 1)
#: Read as ``affirm`` by the NLU, and stored as consent before the fix.
CRAFTED_CONSENT = [
    "not yes", "yes no", "yes?", "ok?", "agree?", "do I have to agree?", "I don't say yes",
    "yes, but no",
]  # fmt: skip
#: Sent the request from the summary before the fix.
CRAFTED_SUMMARY = ["I will not say yes", "yes I disagree", "is it ok?", "no yes", "not yes"]


@pytest.mark.parametrize("text", CRAFTED_CONSENT)
async def test_an_unclear_answer_sets_no_consent_and_explains_the_choice(text: str) -> None:
    events, said = await run(FORM, tracker(text, "affirm", requested_slot="privacy_consent"))
    slots = slot_values(events)
    assert slots == {"privacy_consent": None, "requested_slot": "privacy_consent"}
    assert "consent_at" not in slots
    assert said == ["utter_consent_unclear"]


async def test_the_consent_button_still_consents() -> None:
    tr = tracker("/affirm", "affirm", confidence=1.0, requested_slot="privacy_consent")
    events, said = await run(FORM, tr)
    slots = slot_values(events)
    assert slots["privacy_consent"] is True and slots["consent_at"].endswith("+00:00")
    assert said == []


async def test_a_refusal_read_as_affirm_is_still_a_refusal() -> None:
    tr = tracker("I do not agree", "affirm", requested_slot="privacy_consent")
    events, _ = await run(FORM, tr)
    assert slot_values(events) == {"privacy_consent": False, "requested_slot": None}


async def test_a_question_about_the_therapy_at_consent_is_answered_first() -> None:
    tr = tracker("what are the side effects?", "ask_side_effects", requested_slot="privacy_consent")
    assert await run(FORM, tr) == ([], [])


@pytest.mark.parametrize(
    "text,intent",
    [("how fast do they get back to me", "out_of_scope"), ("which drugs exactly", "nlu_fallback")],
)
async def test_a_question_without_a_question_mark_at_consent_is_answered_first(
    text: str, intent: str
) -> None:
    tr = tracker(text, intent, confidence=0.5, requested_slot="privacy_consent")
    assert await run(FORM, tr) == ([], [])


async def test_do_i_have_to_agree_is_never_a_yes() -> None:
    # Read as a privacy question: the rules answer it, then consent is asked again.
    tr = tracker("do I have to agree?", "ask_privacy", requested_slot="privacy_consent")
    assert await run(FORM, tr) == ([], [])
    # Read as affirm: the choice is explained.
    tr = tracker("do I have to agree?", "affirm", requested_slot="privacy_consent")
    events, said = await run(FORM, tr)
    assert slot_values(events)["privacy_consent"] is None
    assert said == ["utter_consent_unclear"]


@pytest.mark.parametrize("text", CRAFTED_SUMMARY)
async def test_an_unclear_answer_at_the_summary_does_not_send(text: str) -> None:
    tr = tracker(
        text, "affirm", slots=filled_until("request_confirmed"), requested_slot="request_confirmed"
    )
    events, said = await run(FORM, tr)
    slots = slot_values(events)
    assert slots["request_confirmed"] is None
    assert slots["requested_slot"] == "request_confirmed"
    assert said == ["utter_confirm_unclear"]


@pytest.mark.parametrize("text", ["/affirm", "yes", "yes send it"])
async def test_a_clear_yes_at_the_summary_still_sends(text: str) -> None:
    tr = tracker(
        text, "affirm", slots=filled_until("request_confirmed"), requested_slot="request_confirmed"
    )
    events, said = await run(FORM, tr)
    assert slot_values(events) == {"request_confirmed": True, "requested_slot": None}
    assert said == []


async def test_no_at_the_summary_still_shows_the_fields_to_change() -> None:
    tr = tracker(
        "no", "deny", slots=filled_until("request_confirmed"), requested_slot="request_confirmed"
    )
    events, said = await run(FORM, tr)
    slots = slot_values(events)
    assert slots["change_pending"] is True and slots["request_confirmed"] is None
    assert slots["requested_slot"] == "request_confirmed"


async def test_a_question_about_the_therapy_at_the_summary_is_answered_first() -> None:
    tr = tracker(
        "what are the side effects?",
        "ask_side_effects",
        slots=filled_until("request_confirmed"),
        requested_slot="request_confirmed",
    )
    assert await run(FORM, tr) == ([], [])


async def test_happy_path_field_by_field() -> None:
    answers = [
        ("full_name", "anna kowalska", "inform", "Anna Kowalska"),
        ("email", "Anna@Example.com", "inform", "anna@example.com"),
        ("phone", "+48 601 234 567", "inform", "+48 601 234 567"),
        ("country", "I live in Poland", "inform", "Poland"),
        ("destination", "Germany", "inform", "Germany"),
    ]
    for slot, text, intent, expected in answers:
        events, said = await run(
            FORM, tracker(text, intent, slots=filled_until(slot), requested_slot=slot)
        )
        assert slot_values(events)[slot] == expected, slot
        assert said == [], slot


async def test_diagnosis_from_the_tumour_entity_or_free_text() -> None:
    tr = tracker(
        "pheo",
        "ask_tumour",
        entities=[entity("tumour", "pheochromocytoma")],
        slots=filled_until("diagnosis"),
        requested_slot="diagnosis",
    )
    events, _ = await run(FORM, tr)
    assert slot_values(events)["diagnosis"] == "Pheochromocytoma"
    tr = tracker(
        "metastatic carcinoid of the small bowel since 2021",
        "inform",
        slots=filled_until("diagnosis"),
        requested_slot="diagnosis",
    )
    events, _ = await run(FORM, tr)
    assert slot_values(events)["diagnosis"].startswith("metastatic carcinoid")


async def test_mid_form_question_keeps_the_step() -> None:
    tr = tracker(
        "what are the side effects?",
        "ask_side_effects",
        slots=filled_until("full_name"),
        requested_slot="full_name",
    )
    assert await run(FORM, tr) == ([], [])


async def test_email_correction_at_a_later_step() -> None:
    tr = tracker(
        "actually my email is anna.k@example.org",
        "inform",
        slots=filled_until("country"),
        requested_slot="country",
    )
    events, said = await run(FORM, tr)
    slots = slot_values(events)
    assert slots["email"] == "anna.k@example.org"
    assert "country" not in slots or slots["country"] is None
    assert slots["requested_slot"] == "country"
    assert "utter_details_updated" in said


async def test_change_field_clears_the_field_so_it_is_asked_again() -> None:
    tr = tracker(
        "I want to change my phone number",
        "change_field",
        entities=[entity("form_field", "phone")],
        slots=filled_until("request_confirmed"),
        requested_slot="request_confirmed",
    )
    events, _ = await run(FORM, tr)
    slots = slot_values(events)
    assert slots["phone"] is None
    assert slots["requested_slot"] == "phone"


async def test_change_something_without_a_field_shows_the_field_list() -> None:
    tr = tracker(
        "/change_field",
        "change_field",
        slots=filled_until("request_confirmed"),
        requested_slot="request_confirmed",
    )
    events, _ = await run(FORM, tr)
    slots = slot_values(events)
    assert slots["change_pending"] is True
    assert slots["requested_slot"] == "request_confirmed"


@pytest.mark.parametrize("intent,text", [("cancel", "stop"), ("goodbye", "bye")])
async def test_cancel_is_left_to_the_cancel_rule(intent: str, text: str) -> None:
    tr = tracker(text, intent, slots=filled_until("email"), requested_slot="email")
    assert await run(FORM, tr) == ([], [])


async def test_invalid_email_is_explained_and_counted() -> None:
    tr = tracker("anna@example", "inform", slots=filled_until("email"), requested_slot="email")
    events, said = await run(FORM, tr)
    slots = slot_values(events)
    assert said == ["utter_invalid_email"]
    assert slots["email"] is None
    assert slots["field_failures"] == {"email": 1}
    assert slots["requested_slot"] == "email"


async def test_invalid_phone_is_explained() -> None:
    tr = tracker("0151 2345", "inform", slots=filled_until("phone"), requested_slot="phone")
    events, said = await run(FORM, tr)
    assert said == ["utter_invalid_phone"]
    assert slot_values(events)["phone"] is None


async def test_third_failure_offers_to_skip_or_talk_to_a_person() -> None:
    slots = filled_until("phone") | {"field_failures": {"phone": 2}}
    events, said = await run(FORM, tracker("12", "inform", slots=slots, requested_slot="phone"))
    assert said == ["utter_invalid_phone", "utter_offer_skip"]
    assert slot_values(events)["field_failures"] == {"phone": 3}


async def test_skip_stores_the_field_empty_and_moves_on() -> None:
    slots = filled_until("phone") | {"field_failures": {"phone": 3}}
    events, said = await run(FORM, tracker("skip", "skip", slots=slots, requested_slot="phone"))
    values = slot_values(events)
    assert values["phone"] == ""
    assert values["field_failures"] == {}
    assert values["requested_slot"] == "country"


async def test_cannot_skip_both_contact_fields() -> None:
    slots = filled_until("phone") | {"email": ""}
    events, said = await run(FORM, tracker("skip", "skip", slots=slots, requested_slot="phone"))
    assert said == ["utter_cannot_skip_contact"]
    assert slot_values(events)["phone"] is None


async def test_destination_not_served_is_explained() -> None:
    slots = filled_until("destination")
    events, said = await run(
        FORM, tracker("Turkey", "inform", slots=slots, requested_slot="destination")
    )
    assert said == ["utter_destination_not_served"]
    assert slot_values(events)["destination"] is None


async def test_confirm_completes_the_form() -> None:
    slots = filled_until("request_confirmed")
    events, _ = await run(
        FORM, tracker("yes", "affirm", slots=slots, requested_slot="request_confirmed")
    )
    assert slot_values(events) == {"request_confirmed": True, "requested_slot": None}


async def test_reactivation_after_a_save_goes_straight_to_submit() -> None:
    slots = FILLED | {"request_confirmed": True, "request_reference": "MIBG-ABC234"}
    events, _ = await run(FORM, tracker("/request_treatment", "request_treatment", slots=slots))
    assert slot_values(events) == {"requested_slot": None}


# ---------------------------------------------------------------- values of the wrong type


async def test_a_list_of_numbers_as_tumour_is_no_diagnosis() -> None:
    # What Rasa made of '/inform{"tumour": [1, 2, 3]}' before the NLU boundary dropped it.
    tr = tracker(
        '/inform{"tumour": [1, 2, 3]}',
        "inform",
        confidence=1.0,
        entities=[entity("tumour", 1), entity("tumour", 2), entity("tumour", 3)],
        slots=filled_until("diagnosis"),
        requested_slot="diagnosis",
    )
    events, said = await run(FORM, tr)
    slots = slot_values(events)
    assert slots["diagnosis"] is None and slots["requested_slot"] == "diagnosis"
    assert said == ["utter_invalid_diagnosis"]


@pytest.mark.parametrize("value", [{"a": 1}, [1, 2], 5, None])
async def test_a_dict_or_number_as_tumour_is_no_diagnosis(value: Any) -> None:
    tr = tracker(
        "/inform",
        "inform",
        confidence=1.0,
        entities=[entity("tumour", value)],
        slots=filled_until("diagnosis"),
        requested_slot="diagnosis",
    )
    events, said = await run(FORM, tr)
    assert slot_values(events)["diagnosis"] is None
    assert said == ["utter_invalid_diagnosis"]


async def test_a_number_as_form_field_shows_the_list_of_fields() -> None:
    # '/change_field{"form_field": 5}' at the summary: no field named, so the list is shown.
    tr = tracker(
        '/change_field{"form_field": 5}',
        "change_field",
        confidence=1.0,
        entities=[entity("form_field", 5)],
        slots=filled_until("request_confirmed"),
        requested_slot="request_confirmed",
    )
    events, said = await run(FORM, tr)
    slots = slot_values(events)
    assert slots["change_pending"] is True and slots["requested_slot"] == "request_confirmed"
    assert said == []


async def test_a_slot_of_the_wrong_type_counts_as_not_given() -> None:
    slots = filled_until("diagnosis") | {"full_name": {"a": 1}, "field_failures": [1, 2]}
    tr = tracker("neuroblastoma", "inform", slots=slots, requested_slot="diagnosis")
    events, said = await run(FORM, tr)
    values = slot_values(events)
    assert values["diagnosis"] == "neuroblastoma"
    assert values["requested_slot"] == "full_name"  # asked again, not stored as a dict
    assert said == []


async def test_an_unexpected_error_gets_a_polite_answer_and_the_same_question() -> None:
    # An action-server request whose tracker has no slots at all (rasa_sdk keeps the null).
    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher

    broken = Tracker.from_dict(
        {
            "sender_id": "test-sender",
            "slots": None,
            "latest_message": {"text": "hello", "intent": {"name": "greet"}},
            "events": [],
            "active_loop": {"name": "treatment_request_form"},
        }
    )
    dispatcher = CollectingDispatcher()
    events = await FORM.run(dispatcher, broken, {})
    assert [m.get("response") for m in dispatcher.messages] == ["utter_form_error"]
    assert slot_values(list(events)) == {"requested_slot": None}


# ------------------------------------------------------- the form's slots come from the domain
def test_every_field_of_the_form_after_consent_has_a_reader() -> None:
    from actions.treatment_request_form import CONSENT_SLOT, FIELD_READERS

    slots = FORM.domain_slots(DOMAIN)
    assert slots == DOMAIN["forms"]["treatment_request_form"]["required_slots"]
    assert slots[0] == CONSENT_SLOT
    assert set(FIELD_READERS) == set(slots) - {CONSENT_SLOT}


async def test_the_order_asked_is_the_domains() -> None:
    """A domain whose form asks no phone number goes from the email to the country."""
    required = DOMAIN["forms"]["treatment_request_form"]["required_slots"]
    form = {"required_slots": [name for name in required if name != "phone"]}
    without_phone = {**DOMAIN, "forms": {"treatment_request_form": form}}
    tr = tracker("anna@example.com", "inform", slots=filled_until("email"), requested_slot="email")
    dispatcher = CollectingDispatcher()
    events = await FORM.run(dispatcher, tr, without_phone)
    assert slot_values(list(events))["requested_slot"] == "country"
    events, _ = await run(FORM, tr)  # domain.yml's form asks for the phone next
    assert slot_values(events)["requested_slot"] == "phone"
