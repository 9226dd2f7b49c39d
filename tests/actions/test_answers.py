"""action_answer: tumour figures by entity, questions in the form, framing, several questions,
follow-ups from context, and the article as the answer of last resort."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import pytest

from actions.answers import ActionAnswer
from tests.form_helpers import entity, run, slot_values, tracker


def located(name: str, value: str, start: int, end: int) -> dict:
    return {"entity": name, "value": value, "start": start, "end": end}


async def answer(
    text: str,
    intent: Optional[str],
    *,
    entities: Optional[List[dict]] = None,
    in_form: bool = False,
    slots: Optional[Dict[str, Any]] = None,
    confidence: float = 0.9,
    **parse: Any,
) -> tuple:
    tr = tracker(
        text,
        intent,
        confidence=confidence,
        entities=entities,
        slots=slots,
        active_loop="treatment_request_form" if in_form else None,
        parse=parse,
    )
    events, responses = await run(ActionAnswer(), tr)
    return responses, slot_values(events)


@pytest.mark.parametrize(
    "values,expected",
    [
        (["carcinoid"], ["utter_tumour_carcinoid"]),
        (["ppgl"], ["utter_tumour_pheochromocytoma", "utter_tumour_paraganglioma"]),
        (["neuroendocrine"], ["utter_candidates"]),
        (["neuroblastoma", "neuroblastoma"], ["utter_tumour_neuroblastoma"]),
        ([], ["utter_ask_which_tumour"]),
    ],
)
async def test_tumour_answer_follows_the_entities(values, expected) -> None:
    responses, _ = await answer("q", "ask_tumour", entities=[entity("tumour", v) for v in values])
    assert responses == expected


@pytest.mark.parametrize(
    "intent,values,expected",
    [
        ("ask_side_effects", [], ["utter_side_effects"]),
        ("ask_tumour", ["medullary_thyroid_cancer"], ["utter_tumour_medullary_thyroid_cancer"]),
        ("human_handoff", [], ["utter_handoff_in_form"]),
        ("personal_case", [], ["utter_handoff_in_form"]),
        ("emergency", [], ["utter_emergency"]),
        ("greet", [], ["utter_default"]),
    ],
)
async def test_question_during_the_form(intent, values, expected) -> None:
    responses, slots = await answer(
        "q", intent, entities=[entity("tumour", v) for v in values], in_form=True
    )
    assert responses == expected
    assert slots["personal_note"] is None  # the form is the offer already


async def test_a_personal_question_gets_its_topic_and_the_personal_note() -> None:
    responses, slots = await answer(
        "my dad has bad kidneys can he have it", "ask_contraindications", framing="personal"
    )
    assert responses == ["utter_contraindications"]
    assert slots["personal_note"] is True


async def test_a_general_question_gets_no_personal_note() -> None:
    responses, slots = await answer("what are the contraindications", "ask_contraindications")
    assert responses == ["utter_contraindications"] and slots["personal_note"] is None


async def test_personal_framing_without_a_topic_gets_no_second_note() -> None:
    responses, slots = await answer("is it right for me", "personal_case", framing="personal")
    assert responses == ["utter_personal_case"] and slots["personal_note"] is None


async def test_each_question_of_a_compound_message_is_answered_in_order() -> None:
    text = "my son has neuroblastoma, what are his chances and what are the side effects?"
    questions = [
        {"intent": "ask_tumour", "confidence": 0.9, "start": 0, "end": 46},
        {"intent": "ask_side_effects", "confidence": 0.9, "start": 51, "end": len(text)},
    ]
    responses, _ = await answer(
        text,
        "ask_tumour",
        entities=[located("tumour", "neuroblastoma", 15, 28)],
        questions=questions,
    )
    assert responses == ["utter_tumour_neuroblastoma", "utter_side_effects"]


async def test_an_emergency_comes_first_and_at_most_three_answers_are_given() -> None:
    questions = [
        {"intent": i, "confidence": 0.9, "start": n, "end": n + 1}
        for n, i in enumerate(["ask_costs", "ask_dosing", "ask_agency", "ask_services"])
    ]
    responses, _ = await answer("abcd", "emergency", questions=questions)
    assert responses == ["utter_emergency", "utter_costs", "utter_dosing"]


async def test_a_tumour_question_without_a_tumour_uses_the_last_tumour() -> None:
    responses, slots = await answer(
        "and its results?", "ask_tumour", slots={"last_tumour": "carcinoid"}
    )
    assert responses == ["utter_tumour_carcinoid"] and slots["last_tumour"] == "carcinoid"


async def test_does_it_work_for_it_is_read_as_the_last_tumour() -> None:
    responses, _ = await answer(
        "how well does it work for it", "ask_how_it_works", slots={"last_tumour": "paraganglioma"}
    )
    assert responses == ["utter_tumour_paraganglioma"]


async def test_how_it_works_without_context_is_the_general_answer() -> None:
    responses, _ = await answer("how well does it work for it", "ask_how_it_works")
    assert responses == ["utter_how_it_works"]


async def test_the_third_one_picks_from_the_last_list_and_keeps_it() -> None:
    _, slots = await answer("which tumours", "ask_candidates")
    assert slots["last_list"][2] == "tumour:carcinoid"
    responses, after = await answer("the third one, please", "choose_item", slots=slots)
    assert responses == ["utter_tumour_carcinoid"]
    assert "last_list" not in after  # still the tumour list: "and the last one" works next
    responses, _ = await answer("and the last one", "choose_item", slots={**slots, **after})
    assert responses == ["utter_tumour_medullary_thyroid_cancer"]


async def test_a_choice_without_a_list_falls_back() -> None:
    responses, _ = await answer("the second one", "choose_item")
    assert responses and responses[0] != "utter_tumour_paraganglioma"


async def test_what_does_that_mean_explains_the_last_answers_rarest_term() -> None:
    responses, _ = await answer(
        "what does that word mean", "ask_definition", slots={"last_topic": "utter_how_it_works"}
    )
    assert responses[0] == "utter_define_parenteral"


async def test_a_named_term_is_defined() -> None:
    responses, _ = await answer(
        "what is myelosupression", "ask_definition", entities=[entity("term", "myelosuppression")]
    )
    assert responses == ["utter_define_myelosuppression"]


async def test_a_definition_without_a_term_or_context_asks_which_word() -> None:
    responses, _ = await answer("what does that mean", "ask_definition")
    assert responses == ["utter_define_which"]


async def test_an_unconfident_question_about_the_article_is_answered_with_a_passage() -> None:
    tr = tracker(
        "will my husband throw up and feel sick from it",
        "nlu_fallback",
        confidence=0.3,
        active_loop=None,
    )
    _, responses = await run(ActionAnswer(), tr)
    assert responses == ["utter_article_quote"]


async def test_the_quote_names_its_section_and_quotes_the_cleaned_sentence() -> None:
    from rasa_sdk.executor import CollectingDispatcher

    from tests.form_helpers import DOMAIN

    dispatcher = CollectingDispatcher()
    tr = tracker("will my husband throw up and feel sick", "nlu_fallback", active_loop=None)
    await ActionAnswer().run(dispatcher, tr, DOMAIN)
    (message,) = dispatcher.messages
    assert message["section"] == "Side effects"
    assert "vomiting from time to time" in message["quote"]


async def test_an_in_domain_question_the_article_does_not_answer_is_said_so() -> None:
    responses, _ = await answer("does the insurance pay for it", "ask_uncovered")
    assert responses == ["utter_not_covered"]


async def test_a_not_covered_question_the_article_does_answer_gets_the_passage() -> None:
    responses, _ = await answer(
        "if i send the request today how fast will somebody call me", "ask_uncovered"
    )
    assert responses == ["utter_article_quote"]


@pytest.mark.parametrize(
    "text,intent,expected",
    [
        ("what is the weather in london", "out_of_scope", "utter_out_of_scope"),
        ("tell me about mibg and the insurance of it", "out_of_scope", "utter_not_covered"),
        ("zzkq", "nlu_fallback", "utter_default"),
        ("please explain the thing with the stuff", "nlu_fallback", "utter_out_of_scope"),
    ],
)
async def test_the_last_resort(text: str, intent: str, expected: str) -> None:
    responses, _ = await answer(text, intent, confidence=0.2)
    assert responses == [expected]


async def test_entities_of_the_wrong_type_are_no_value() -> None:
    responses, _ = await answer(
        "q", "ask_tumour", entities=[{"entity": "tumour", "value": {"a": 1}}, 7, None]
    )
    assert responses == ["utter_ask_which_tumour"]


async def test_last_as_a_verb_is_not_a_choice() -> None:
    slots = {"last_list": ["passage:side_effects-1", "term:bone_marrow"], "last_topic": "x"}
    responses, _ = await answer("how long does the sickness last", "nlu_fallback", slots=slots)
    assert "utter_define_bone_marrow" not in responses


async def test_the_thyroid_one_without_a_list_is_the_thyroid_tumour() -> None:
    responses, _ = await answer("the thyroid one?", "choose_item")
    assert responses == ["utter_tumour_medullary_thyroid_cancer"]


@pytest.mark.parametrize(
    "text,intent",
    [
        ("and what does mibg do for it", "ask_candidates"),
        ("which hormones are those", "ask_candidates"),
        ("does it shrink it", "ask_how_it_works"),
        ("how many people stabilise", "out_of_scope"),
    ],
)
async def test_questions_about_it_after_a_tumour_are_about_that_tumour(text, intent) -> None:
    responses, _ = await answer(text, intent, slots={"last_tumour": "pheochromocytoma"})
    assert responses == ["utter_tumour_pheochromocytoma"]


async def test_preparing_for_it_stays_the_preparation_answer() -> None:
    responses, _ = await answer(
        "how do they prepare for it", "ask_preparation", slots={"last_tumour": "carcinoid"}
    )
    assert responses == ["utter_preparation"]


async def test_tell_me_more_quotes_the_last_answers_section() -> None:
    from rasa_sdk.executor import CollectingDispatcher

    from tests.form_helpers import DOMAIN

    dispatcher = CollectingDispatcher()
    tr = tracker(
        "tell me more", "nlu_fallback", slots={"last_topic": "utter_how_it_works"}, active_loop=None
    )
    await ActionAnswer().run(dispatcher, tr, DOMAIN)
    (message,) = dispatcher.messages
    assert message["section"] == "Core of the treatment technique"
    assert "Cells die from the radiation" in message["quote"]


async def _quoted(text: str, intent: str, confidence: float, slots: Dict[str, Any]) -> list:
    from rasa_sdk.executor import CollectingDispatcher

    from tests.form_helpers import DOMAIN

    dispatcher = CollectingDispatcher()
    tr = tracker(text, intent, confidence=confidence, slots=slots, active_loop=None)
    await ActionAnswer().run(dispatcher, tr, DOMAIN)
    return dispatcher.messages


async def test_a_vague_follow_up_is_answered_from_the_last_answers_section() -> None:
    # "what can they do about it?" after the contraindications: nothing to rank on, so the
    # section itself, not "the article does not cover this".
    (message,) = await _quoted(
        "what can they do about it",
        "nlu_fallback",
        0.35,
        {"last_topic": "utter_contraindications"},
    )
    assert message["response"] == "utter_article_quote"
    assert message["section"] == "Contraindications"


async def test_a_vague_follow_up_prefers_the_closest_passage_of_the_section() -> None:
    (message,) = await _quoted(
        "and what about the relative ones",
        "nlu_fallback",
        0.35,
        {"last_topic": "utter_contraindications"},
    )
    assert message["section"] == "Contraindications"
    assert "relative contraindication" in message["quote"]


@pytest.mark.parametrize(
    "text,intent",
    [
        ("can you write me a poem about them", "nlu_fallback"),  # words the article never uses
        ("what can they do about it", "ask_costs"),  # a confident intent keeps its answer
    ],
)
async def test_what_is_not_a_vague_follow_up_keeps_its_answer(text: str, intent: str) -> None:
    messages = await _quoted(
        text,
        intent,
        0.9 if intent != "nlu_fallback" else 0.35,
        {"last_topic": "utter_contraindications"},
    )
    assert all(m["response"] != "utter_article_quote" for m in messages)


async def test_without_context_a_vague_question_is_not_quoted() -> None:
    messages = await _quoted("what can they do about it", "nlu_fallback", 0.35, {})
    assert [m["response"] for m in messages] != ["utter_article_quote"]


async def test_not_covered_keeps_the_subject_of_the_conversation() -> None:
    _, slots = await answer(
        "does the insurance pay for it", "ask_uncovered", slots={"last_topic": "utter_side_effects"}
    )
    assert "last_topic" not in slots


async def test_the_thyroid_one_after_another_tumour_is_the_thyroid_tumour() -> None:
    responses, slots = await answer(
        "and the thyroid one, do people stabilise",
        "ask_tumour",
        slots={"last_tumour": "pheochromocytoma"},
    )
    assert responses == ["utter_tumour_medullary_thyroid_cancer"]
    assert slots["last_tumour"] == "medullary_thyroid_cancer"


async def test_a_quote_with_no_subject_yet_makes_its_section_the_subject() -> None:
    # "how is mibg therapy planned" answered by a quote of *Dosing and monitoring*; "go on"
    # then goes on there instead of "Sorry, I did not understand that".
    (quote,) = await _quoted("how is mibg therapy planned", "nlu_fallback", 0.3, {})
    assert (quote["response"], quote["section"]) == ("utter_article_quote", "Dosing and monitoring")
    _, slots = await answer("how is mibg therapy planned", "nlu_fallback", confidence=0.3)
    assert slots["last_topic"] == "utter_dosing"
    (more,) = await _quoted("go on", "nlu_fallback", 0.35, {"last_topic": "utter_dosing"})
    assert more["section"] == "Dosing and monitoring"
    assert "catecholamine" in more["quote"]


async def test_a_quote_keeps_the_subject_the_conversation_already_has() -> None:
    _, slots = await answer(
        "will my husband throw up and feel sick from it",
        "nlu_fallback",
        confidence=0.3,
        slots={"last_topic": "utter_contraindications"},
    )
    assert "last_topic" not in slots


def test_the_section_topic_is_a_topic_answer_that_starts_with_the_section() -> None:
    from actions.answers import section_topic
    from tests.form_helpers import DOMAIN

    assert section_topic("side_effects", DOMAIN) == "utter_side_effects"  # not a definition
    assert section_topic("dosing_and_monitoring", DOMAIN) == "utter_dosing"
    assert section_topic("no_such_section", DOMAIN) is None


# --- follow-ups that lean on the conversation -------------------------------------------------


@pytest.mark.parametrize(
    "text,slots,quoted",
    [
        # the article gives the reason: what the tumour does that makes it worth treating
        ("then why treat it", {"last_tumour": "pheochromocytoma"}, "cardiovascular"),
        ("how so", {"last_topic": "utter_how_it_works"}, "Cells die from the radiation"),
        ("why?", {"last_topic": "utter_destinations"}, "difficulties"),
    ],
)
async def test_why_after_an_answer_quotes_the_sections_reason(text, slots, quoted) -> None:
    messages = await _quoted(text, "ask_treatment_abroad", 0.5, slots)
    assert [m["response"] for m in messages] == ["utter_article_quote"]
    assert quoted in messages[0]["quote"]


async def test_why_where_the_article_gives_no_reason_is_not_covered() -> None:
    # the article lists the side effects and never says why they happen
    responses, _ = await answer(
        "why?", "ask_treatment_abroad", confidence=0.46, slots={"last_topic": "utter_side_effects"}
    )
    assert responses == ["utter_not_covered"]


async def test_why_without_a_conversation_keeps_its_intent() -> None:
    responses, _ = await answer("why is mibg used", "ask_how_it_works", confidence=0.9)
    assert responses == ["utter_how_it_works"]


@pytest.mark.parametrize(
    "text,intent,slots,expected",
    [
        # an explicit pick beats a classifier that read "how well does it work"
        (
            "the third one, how well does it work",
            "ask_how_it_works",
            {"last_list": [f"tumour:{k}" for k in ("pheochromocytoma", "paraganglioma",
                                                   "carcinoid")], "last_topic": "utter_candidates"},
            ["utter_tumour_carcinoid"],
        ),
        # however long the message
        (
            "the fourth one is what my son has. how does it do with that, we are so worried",
            "ask_uncovered",
            {"last_list": [f"tumour:{k}" for k in ("pheochromocytoma", "paraganglioma",
                                                   "carcinoid", "neuroblastoma")]},
            ["utter_tumour_neuroblastoma"],
        ),
        # the article's words for a tumour point back at it
        ("wat about the brain one", "nlu_fallback", {"last_tumour": "pheochromocytoma"},
         ["utter_tumour_paraganglioma"]),
        ("and the one in the gut", "ask_contraindications", {"last_tumour": "paraganglioma"},
         ["utter_tumour_carcinoid"]),
        # a question about the tumour just discussed, whatever topic the classifier picked
        ("and the results after?", "ask_services", {"last_tumour": "medullary_thyroid_cancer"},
         ["utter_tumour_medullary_thyroid_cancer"]),
        ("is it cancer or the harmless kind", "ask_how_it_works", {"last_tumour": "carcinoid"},
         ["utter_tumour_carcinoid"]),
    ],
)  # fmt: skip
async def test_a_follow_up_about_a_tumour_uses_the_conversation(
    text, intent, slots, expected
) -> None:
    responses, _ = await answer(text, intent, confidence=0.55, slots=slots)
    assert responses == expected


async def test_a_brain_tumour_without_a_tumour_in_the_conversation_is_no_paraganglioma() -> None:
    responses, _ = await answer(
        "what about the brain one",
        "nlu_fallback",
        confidence=0.3,
        slots={"last_topic": "utter_costs"},
    )
    assert "utter_tumour_paraganglioma" not in responses


async def test_a_named_tumour_comes_before_the_general_list() -> None:
    responses, _ = await answer(
        "where are carcinoid tumours usually",
        "ask_candidates",
        entities=[located("tumour", "carcinoid", 10, 19)],
    )
    assert responses == ["utter_tumour_carcinoid", "utter_candidates"]


async def test_a_follow_up_quotes_its_own_sentence_over_a_topic_outside_the_conversation() -> None:
    messages = await _quoted(
        "and where is it located then", "ask_destinations", 0.6, {"last_tumour": "carcinoid"}
    )
    assert [m["response"] for m in messages] == ["utter_article_quote"]
    assert "digestive tract" in messages[0]["quote"]


async def test_a_new_subject_keeps_its_topic_despite_the_conversation() -> None:
    responses, _ = await answer(
        "what are the side effects", "ask_side_effects", slots={"last_tumour": "pheochromocytoma"}
    )
    assert responses == ["utter_side_effects"]


@pytest.mark.parametrize(
    "text,intent,slots",
    [
        ("how long does the nausea last usually", "ask_side_effects", {}),
        ("how long would he live with the treatment", "ask_dosing", {}),
        ("how often", "ask_dosing", {"last_topic": "utter_monitoring"}),
    ],
)
async def test_a_question_for_a_number_the_answer_lacks_says_so_first(text, intent, slots) -> None:
    responses, _ = await answer(text, intent, slots=slots)
    assert responses[0] == "utter_not_covered" and len(responses) == 2


@pytest.mark.parametrize(
    "text,intent,entities",
    [
        ("how many patients stabilise", "ask_tumour", [entity("tumour", "pheochromocytoma")]),
        ("how long has booking health been working", "ask_agency", []),
        ("how does it work", "ask_how_it_works", []),  # not a question for a number
    ],
)
async def test_a_question_for_a_number_the_answer_has_is_just_answered(
    text, intent, entities
) -> None:
    responses, _ = await answer(text, intent, entities=entities)
    assert "utter_not_covered" not in responses


@pytest.mark.parametrize(
    "text,intent,slots",
    [
        # the tumour's answer has figures, but no length of time
        ("how many years does that stabilisation last", "ask_uncovered",
         {"last_tumour": "pheochromocytoma", "last_topic": "utter_tumour_pheochromocytoma"}),
        ("how many blood tests, every week?", "ask_monitoring", {}),
    ],
)  # fmt: skip
async def test_a_question_for_a_length_of_time_no_answer_states_says_so_first(
    text, intent, slots
) -> None:
    responses, _ = await answer(text, intent, confidence=0.5, slots=slots)
    assert responses[0] == "utter_not_covered" and len(responses) == 2


async def test_a_length_of_time_the_answer_states_is_just_answered() -> None:
    responses, _ = await answer("how many days before do i stop the pills", "ask_preparation")
    assert responses == ["utter_preparation"]


async def test_a_follow_up_for_a_length_of_time_quotes_the_sentence_that_states_one() -> None:
    messages = await _quoted(
        "how long have they been doing this", "ask_dosing", 0.35,
        {"last_topic": "utter_services"},
    )  # fmt: skip
    assert [m["response"] for m in messages] == ["utter_article_quote"]
    assert "15 years" in messages[0]["quote"]


async def test_which_tumour_that_was_about_names_the_tumour_of_the_last_answer() -> None:
    responses, _ = await answer(
        "which tumour was that about", "ask_definition", confidence=0.48,
        slots={"last_topic": "utter_define_hormone_active"},
    )  # fmt: skip
    assert responses == ["utter_tumour_medullary_thyroid_cancer"]


async def test_an_out_of_scope_follow_up_that_uses_the_last_answers_words_is_read_in_it() -> None:
    responses, _ = await answer(
        "how long does the nausea last usually, 1 day or a week?", "out_of_scope",
        confidence=0.45, slots={"last_topic": "utter_side_effects"},
    )  # fmt: skip
    assert responses[0] == "utter_not_covered"
    assert "utter_out_of_scope" not in responses


async def test_a_general_question_judged_outside_stays_outside_after_a_shared_word() -> None:
    responses, _ = await answer(
        "how much does a tesla cost", "out_of_scope", confidence=0.75,
        slots={"last_topic": "utter_costs"},
    )  # fmt: skip
    assert responses == ["utter_out_of_scope"]


async def test_another_illness_after_a_tumour_is_not_that_tumour() -> None:
    responses, _ = await answer(
        "and for breast cancer?", "out_of_scope", confidence=0.75,
        slots={"last_tumour": "neuroblastoma", "last_topic": "utter_tumour_neuroblastoma"},
    )  # fmt: skip
    assert responses == ["utter_not_covered"]


@pytest.mark.parametrize(
    "text,intent,slots",
    [
        ("in which one does it accumulate best", "ask_how_it_works",
         {"last_list": ["tumour:pheochromocytoma", "tumour:carcinoid"]}),
        ("which tumour responds best to mibg", "ask_candidates", {}),
        ("which one gets more of the drug into the tumour then", "nlu_fallback",
         {"last_tumour": "carcinoid", "last_topic": "utter_tumour_carcinoid"}),
    ],
)  # fmt: skip
async def test_a_question_that_ranks_the_tumours_gets_their_figures_side_by_side(
    text, intent, slots
) -> None:
    responses, _ = await answer(text, intent, confidence=0.6, slots=slots)
    assert responses == ["utter_tumour_comparison"]


async def test_one_named_tumour_is_not_a_comparison() -> None:
    responses, _ = await answer(
        "which one works best, i mean for carcinoid", "ask_tumour",
        entities=[entity("tumour", "carcinoid")],
    )  # fmt: skip
    assert responses == ["utter_tumour_carcinoid"]


async def test_a_case_story_read_as_not_covered_still_gets_its_tumours_figures() -> None:
    responses, _ = await answer(
        "my son has neuroblastoma stage 4 after chemo, in how many kids does the tumour go back",
        "ask_uncovered", confidence=0.69, entities=[entity("tumour", "neuroblastoma")],
    )  # fmt: skip
    assert responses == ["utter_tumour_neuroblastoma"]


@pytest.mark.parametrize(
    "text,confidence,expected",
    [
        # "paid" is not the invoices the agency controls
        ("is mibg therapy paid by my german health insurance", 0.96, ["utter_not_covered"]),
        # a comparison names a tumour group, but the article compares no therapies
        ("what is better for neuroendocrine tumours, prrt or mibg", 0.6, ["utter_not_covered"]),
    ],
)
async def test_not_covered_stays_not_covered(text, confidence, expected) -> None:
    entities = [entity("tumour", "neuroendocrine")] if "neuroendocrine" in text else []
    responses, _ = await answer(text, "ask_uncovered", confidence=confidence, entities=entities)
    assert responses[: len(expected)] == expected
    assert not any(r.startswith("utter_tumour_") or r == "utter_candidates" for r in responses)


async def test_anything_else_quotes_the_rest_of_the_section() -> None:
    messages = await _quoted(
        "anything else apart from being sick?", "out_of_scope", 0.75,
        {"last_topic": "utter_side_effects"},
    )  # fmt: skip
    assert [m["response"] for m in messages] == ["utter_article_quote"]
    assert "bone marrow" in messages[0]["quote"]


async def test_an_uncovered_follow_up_says_so_then_quotes_what_is_next_to_it() -> None:
    messages = await _quoted(
        "and the imaging bit, what is that for", "ask_uncovered", 0.6,
        {"last_topic": "utter_monitoring"},
    )  # fmt: skip
    assert [m["response"] for m in messages] == ["utter_not_covered", "utter_article_quote"]
    assert "size" in messages[1]["quote"]


async def test_a_word_the_article_only_uses_is_not_covered_then_what_it_says() -> None:
    responses, _ = await answer(
        "what does enterochromaffin mean",
        "ask_definition",
        entities=[entity("term", "enterochromaffin")],
    )
    assert responses == ["utter_not_covered", "utter_define_enterochromaffin"]
    responses, _ = await answer(
        "what does myelosuppression mean",
        "ask_definition",
        entities=[entity("term", "myelosuppression")],
    )
    assert responses == ["utter_define_myelosuppression"]


async def test_a_not_covered_question_near_a_passage_says_so_then_quotes_it() -> None:
    responses, _ = await answer("does the paraganglioma come back after treatment", "ask_uncovered")
    assert responses == ["utter_not_covered", "utter_article_quote"]


async def test_what_can_they_do_about_it_quotes_the_treatment_first() -> None:
    (message,) = await _quoted(
        "so what will they do then",
        "ask_monitoring",
        0.5,
        {"last_topic": "utter_contraindications"},
    )
    assert "first give treatment to improve" in message["quote"]


async def test_a_terse_follow_up_without_a_pronoun_is_read_in_the_section() -> None:
    (message,) = await _quoted(
        "when exactly", "nlu_fallback", 0.35, {"last_tumour": "medullary_thyroid_cancer"}
    )
    assert message["section"] == "Medullary thyroid cancer"


async def test_what_about_a_named_tumour_then_is_that_tumours_answer() -> None:
    responses, _ = await answer(
        "what about for neuroblastma then",
        "nlu_fallback",
        confidence=0.35,
        entities=[located("tumour", "neuroblastoma", 15, 27)],
        slots={"last_tumour": "carcinoid"},
    )
    assert responses == ["utter_tumour_neuroblastoma"]


async def quoted(text: str, intent: str, slots: Dict[str, Any], confidence: float = 0.5) -> str:
    """The text of the article quotes the answer to ``text`` sends."""
    from rasa_sdk.executor import CollectingDispatcher

    from tests.form_helpers import DOMAIN

    tr = tracker(text, intent, confidence=confidence, slots=slots, active_loop=None)
    dispatcher = CollectingDispatcher()
    await ActionAnswer().run(dispatcher, tr, DOMAIN)
    return " ".join(str(m.get("quote") or "") for m in dispatcher.messages)


CONTRAINDICATIONS = {"last_topic": "utter_contraindications"}


async def contraindications_shown() -> Dict[str, Any]:
    _, slots = await answer("contraindications for mibg?", "ask_contraindications")
    return {**CONTRAINDICATIONS, **slots}


async def test_the_thyroid_one_after_the_list_names_an_item_it_does_not_pick_the_first() -> None:
    _, slots = await answer("which tumours", "ask_candidates")
    responses, _ = await answer("the thyroid one u said, how good results", "ask_tumour",
                                confidence=0.53, slots=slots)  # fmt: skip
    assert responses == ["utter_tumour_medullary_thyroid_cancer"]


async def test_a_contraindication_called_by_its_name_is_quoted_with_what_relative_means() -> None:
    slots = await contraindications_shown()
    quote = await quoted("the kidney one - her creatinine is 180, so she cannot do it at all?",
                         "out_of_scope", slots, confidence=0.75)  # fmt: skip
    assert "kidney function" in quote and "first give treatment to improve" in quote
    quote = await quoted("and the allergy one?", "ask_contraindications", slots, 0.68)
    assert quote.startswith("The absolute contraindication")


async def test_is_it_malignant_after_a_tumour_is_about_that_tumour_not_a_definition() -> None:
    slots = {"last_tumour": "carcinoid", "last_topic": "utter_tumour_carcinoid"}
    responses, _ = await answer("is it malignant", "ask_definition", confidence=0.53, slots=slots)
    assert responses == ["utter_tumour_carcinoid"]
    responses, _ = await answer("what does malignant mean", "ask_definition", slots=slots,
                                entities=[entity("term", "malignant")])  # fmt: skip
    assert "utter_tumour_carcinoid" not in responses


@pytest.mark.parametrize("text", ["is that a lot?", "and percents?", "is this good"])
async def test_a_judgement_of_the_figures_gets_the_tumours_figures(text: str) -> None:
    slots = {"last_tumour": "pheochromocytoma", "last_topic": "utter_tumour_pheochromocytoma"}
    responses, _ = await answer(text, "nlu_fallback", confidence=0.35, slots=slots)
    assert responses == ["utter_tumour_pheochromocytoma"]


async def test_which_is_better_ranks_tumours_only_in_a_conversation_about_them() -> None:
    slots = {"last_tumour": "neuroblastoma", "last_topic": "utter_tumour_neuroblastoma"}
    responses, after = await answer(
        "so which is better", "ask_uncovered", confidence=0.61, slots=slots
    )
    assert responses == ["utter_tumour_comparison"]
    assert after["last_list"][0] == "tumour:pheochromocytoma"  # "the first one" picks from it
    responses, _ = await answer("my mom needs a knee replacement, which is better, partial or "
                                "total", "out_of_scope", confidence=0.75)  # fmt: skip
    assert responses == ["utter_out_of_scope"]


async def test_a_word_that_names_our_scope_does_not_pull_a_general_question_back() -> None:
    slots = {"last_topic": "utter_treatment_abroad"}
    responses, _ = await answer("whats the weather in germany in march", "out_of_scope",
                                confidence=0.7, slots=slots)  # fmt: skip
    assert responses == ["utter_out_of_scope"]


async def test_a_symptom_asked_with_also_after_the_side_effects_is_not_covered() -> None:
    slots = {"last_topic": "utter_side_effects"}
    responses, _ = await answer(
        "hair falling out also?", "out_of_scope", confidence=0.6, slots=slots
    )
    assert responses == ["utter_not_covered"]


async def test_a_dose_asked_for_one_person_is_not_covered_then_chosen_individually() -> None:
    responses, _ = await answer("my nephew is 3, what dose for him", "ask_dosing")
    assert responses == ["utter_not_covered", "utter_dosing"]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("which tumour makes those hormones", "utter_tumour_pheochromocytoma"),
        ("what cancer grows in the gut", "utter_tumour_carcinoid"),
    ],
)
async def test_which_tumour_does_something_is_the_tumour_whose_section_says_so(
    text: str, expected: str
) -> None:
    slots = {"last_topic": "utter_monitoring"}
    responses, _ = await answer(text, "ask_how_it_works", confidence=0.4, slots=slots)
    assert responses == [expected]


async def test_a_case_story_that_asks_for_the_chance_gets_the_named_tumours_figures() -> None:
    text = (
        "my husband 58, pheochromocytoma left adrenal 6 cm, metanephrines high, surgeons say "
        "inoperable. ga-68 dotatate pet-ct positive. what chance mibg works for him"
    )
    responses, _ = await answer(text, "nlu_fallback", confidence=0.35,
                                entities=[entity("tumour", "pheochromocytoma")])  # fmt: skip
    assert responses == ["utter_tumour_pheochromocytoma"]


async def test_a_terse_follow_up_in_the_patients_words_is_read_in_the_last_answer() -> None:
    quote = await quoted("how often", "out_of_scope", {"last_topic": "utter_monitoring"}, 0.49)
    assert "checked repeatedly" in quote


async def test_another_thyroid_cancer_after_medullary_is_not_covered() -> None:
    slots = {"last_tumour": "medullary_thyroid_cancer",
             "last_topic": "utter_tumour_medullary_thyroid_cancer"}  # fmt: skip
    responses, _ = await answer("my mom has papillary thyroid cancer, does it work the same "
                                "for that", "ask_tumour", confidence=0.63, slots=slots)  # fmt: skip
    assert responses == ["utter_not_covered"]


async def test_a_country_of_the_destinations_picked_by_position_gets_the_reason() -> None:
    _, slots = await answer("which countries do you not take requests for", "ask_destinations")
    quote = await quoted("the first one, why not?", "choose_item", slots, confidence=0.96)
    assert "difficulties" in quote


async def test_where_a_tumour_comes_from_is_its_origin() -> None:
    quote = await quoted("where do carcinoids come from, like what cells", "nlu_fallback", {},
                         confidence=0.35)  # fmt: skip
    assert "enterochromaffin" in quote


async def test_a_pick_by_position_is_not_taken_from_a_lab_value_later_in_the_message() -> None:
    slots = await contraindications_shown()
    quote = await quoted("the second one... my dad has stage 3 kidney disease. what does that "
                         "mean for him", "ask_contraindications", slots, 0.83)  # fmt: skip
    assert "kidney function" in quote and "myelosuppression" not in quote


@pytest.mark.parametrize(
    "text,expected",
    [
        ("so he cant have it at all??", "first give treatment to improve"),
        ("and if she is allergic, can she still get it", "The absolute contraindication"),
    ],
)
async def test_whether_a_contraindication_rules_it_out_is_answered_for_that_one(
    text: str, expected: str
) -> None:
    slots = await contraindications_shown()
    assert expected in await quoted(text, "ask_contraindications", slots, 0.43)


async def test_a_named_medicine_gets_what_the_article_says_about_medicines() -> None:
    text = "my wife takes olanzapine. she now needs mibg for carcinoid. what with her olanzapine?"
    carcinoid = located("tumour", "carcinoid", text.index("carcinoid"), text.index("carcinoid") + 9)
    responses, _ = await answer(text, "ask_tumour", entities=[carcinoid], confidence=0.58)
    assert responses[:2] == ["utter_article_quote", "utter_tumour_carcinoid"]
    assert "neuroleptics" in await quoted(text, "ask_tumour", {}, 0.58)


async def test_may_they_have_it_after_a_story_gets_the_contraindication_the_story_names() -> None:
    text = (
        "Last year he got a strong reaction, rash all over, lips swelling. Is this allowed for him?"
    )
    quote = await quoted(text, "ask_what_is_mibg", {}, 0.61)
    assert "allergic reaction" in quote
    assert "allergic" not in await quoted("Is this allowed for him?", "ask_what_is_mibg", {}, 0.61)


async def test_how_well_it_works_for_the_tumour_the_story_named_gets_its_figures() -> None:
    text = (
        "My son has neuroblastoma. Our oncologist mentioned Germany. "
        "How well does it work for this tumour?"
    )
    at, asked = text.index("neuroblastoma"), text.index("How")
    responses, _ = await answer(
        text, "ask_treatment_abroad", confidence=0.65,
        entities=[located("tumour", "neuroblastoma", at, at + 13)],
        questions=[
            {"intent": "ask_treatment_abroad", "confidence": 0.8, "start": 0, "end": asked - 1},
            {"intent": "ask_how_it_works", "confidence": 0.65, "start": asked, "end": len(text)},
        ],
    )  # fmt: skip
    assert "utter_tumour_neuroblastoma" in responses


@pytest.mark.parametrize(
    "text,expected",
    [
        ("she also has hashimoto, what should she eat for that?", "utter_out_of_scope"),
        ("and for my papillary thyroid cancer?", "utter_not_covered"),  # would MIBG help
    ],
)
async def test_a_follow_up_asking_about_another_illness_itself_is_out_of_scope(
    text: str, expected: str
) -> None:
    slots = {"last_tumour": "medullary_thyroid_cancer",
             "last_topic": "utter_tumour_medullary_thyroid_cancer"}  # fmt: skip
    responses, _ = await answer(text, "out_of_scope", confidence=0.55, slots=slots)
    assert responses == [expected]


@pytest.mark.parametrize(
    "text,intent,topic",
    [
        ("is the hotel for my husband paid also?", "ask_services", "utter_services"),
        ("can we pay in installments", "ask_costs", "utter_costs"),
        ("how do they test for the allergy, a skin test?", "ask_contraindications",
         "utter_contraindications"),
        ("whats the difference in dose between the scan and the therapy", "ask_dosing",
         "utter_dosing"),
    ],
)  # fmt: skip
async def test_a_detail_the_article_never_gives_is_said_to_be_not_covered(
    text: str, intent: str, topic: str
) -> None:
    responses, _ = await answer(text, intent, confidence=0.9)
    assert responses[0] == "utter_not_covered"
    assert topic in responses or intent == "ask_contraindications"


async def test_what_the_services_are_is_answered_without_not_covered() -> None:
    responses, _ = await answer("what services do you offer", "ask_services", confidence=0.9)
    assert responses == ["utter_services"]


@pytest.mark.parametrize(
    "text,intent,expected",
    [
        ("son 6, neutrophils 0.6 and platelets low after chemo. we can still do mibg now?",
         "ask_uncovered", "myelosuppression"),  # the bullet and what a relative one means
        ("my son had his first mibg course, now he vomits sometimes. this is from mibg?",
         "ask_what_is_mibg", "nausea, vomiting"),
    ],
)  # fmt: skip
async def test_a_story_told_with_may_he_or_is_this_from_it_gets_the_articles_sentence(
    text: str, intent: str, expected: str
) -> None:
    quote = await quoted(text, intent, {}, 0.6)
    assert expected in quote
    if intent == "ask_uncovered":
        assert "first give treatment to improve" in quote


@pytest.mark.parametrize(
    "text",
    ["im 3 month pregnant, can i get mibg", "i have diabetes type 2, is it problem for mibg?"],
)
async def test_may_they_have_it_with_a_condition_the_article_does_not_list_is_not_covered(
    text: str,
) -> None:
    responses, _ = await answer(text, "personal_case", confidence=0.6)
    assert responses[0] == "utter_not_covered"


async def test_is_it_safe_about_another_medicine_stays_out_of_scope() -> None:
    responses, _ = await answer("is it safe to stop statins", "out_of_scope", confidence=0.79)
    assert responses == ["utter_out_of_scope"]


async def test_contraindications_asked_with_an_unlisted_condition_say_not_covered_first() -> None:
    responses, _ = await answer(
        "i have diabetes type 2, is it problem for mibg?", "ask_contraindications", confidence=0.66
    )
    assert responses[:2] == ["utter_not_covered", "utter_contraindications"]


@pytest.mark.parametrize(
    "text,intent",
    [
        ("do i need potassium iodide drops to protect my thyroid before mibg", "ask_preparation"),
        ("after the therapy is it safe for my grandkids to sit on my lap", "out_of_scope"),
    ],
)
async def test_protecting_the_thyroid_or_the_family_is_not_covered(text: str, intent: str) -> None:
    responses, _ = await answer(text, intent, confidence=0.75)
    assert responses[0] == "utter_not_covered"


async def test_how_much_radiation_quotes_the_small_amount() -> None:
    quote = await quoted("how much radiation", "out_of_scope", {"last_topic": "utter_what_is_mibg"})
    assert "small amount of radiation" in quote


async def test_a_follow_up_answered_by_a_neighbouring_sentence_says_not_covered_first() -> None:
    slots = {"last_topic": "utter_tumour_paraganglioma", "last_tumour": "paraganglioma"}
    responses, _ = await answer(
        "will she still need brain surgery afterwards", "nlu_fallback", confidence=0.3, slots=slots
    )
    assert responses[0] == "utter_not_covered"


def test_a_quote_that_uses_the_questions_words_answers_it() -> None:
    from actions.answers import leaves_words_unanswered

    said = ["Booking Health provides an interpreter and a personal medical coordinator."]
    assert not leaves_words_unanswered("and an interpreter?", said)
    assert not leaves_words_unanswered("and a translator?", said)  # QUERY_SYNONYMS
    assert leaves_words_unanswered("and a driver from the airport?", said)
