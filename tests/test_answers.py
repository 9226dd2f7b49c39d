"""The answer actions: tumour figures by entity, and questions during the form."""

from __future__ import annotations

import pytest

from actions.answers import ActionAnswerQuestion, ActionAnswerTumour
from tests.form_helpers import entity, run, tracker


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
    tr = tracker("q", "ask_tumour", entities=[entity("tumour", v) for v in values])
    assert (await run(ActionAnswerTumour(), tr))[1] == expected


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
    tr = tracker("q", intent, entities=[entity("tumour", v) for v in values])
    assert (await run(ActionAnswerQuestion(), tr))[1] == expected
