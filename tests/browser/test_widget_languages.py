"""The demo page in German and in Russian: the widget speaks the page's language, answers a
question in it and takes a treatment request to the end, in a real browser (Debian's chromium).

Texts are looked up in the locale files (bot/locales/<code>/), so the test follows the
translations instead of repeating them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, List

import pytest
import yaml
from sqlalchemy import select

from bot.db.engine import session_factory
from bot.db.models import TreatmentRequest
from bot.i18n import locales

ROOT = Path(__file__).resolve().parents[2]
ENGLISH = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]

#: What a patient writes in each language: a question with its expected figures, then the form.
PATIENTS: Dict[str, Dict[str, object]] = {
    "de": {
        "question": "mein sohn hat ein neuroblastom, wie gut wirkt mibg?",
        "figures": ["90", "36"],
        "request": "ich möchte eine anfrage stellen",
        "answers": ["Anna Müller", "anna.mueller@example.de", "+49 151 23456789", "Österreich"],
        "country": "Austria",
        "shown_country": "Österreich",
    },
    "ru": {
        "question": "у папы феохромоцитома, какие результаты у терапии МЙБГ?",
        "figures": ["88", "60"],
        "request": "хочу оставить заявку на лечение",
        "answers": [
            "Иван Петров",
            "ivan.petrov@example.ru",
            "+7 912 345 67 89",
            "я живу в Казахстане",
        ],
        "country": "Kazakhstan",
        "shown_country": "Казахстан",
    },
}


def local(name: str, language: str) -> Dict[str, object]:
    """The first variation of response ``name`` in ``language`` (text, button titles)."""
    return locales.responses(language)[name][0]


def first_words(name: str, language: str, count: int = 4) -> str:
    """A regex for the start of a response's text (placeholders never come first)."""
    words = re.findall(r"[^\W\d_]+", str(local(name, language)["text"]))[:count]
    return r"\W+".join(re.escape(w) for w in words)


@pytest.mark.parametrize("language", ["de", "ru"])
def test_the_widget_in_the_pages_language_answers_and_takes_a_request(
    browser, live_stack, artifacts: Path, language: str
) -> None:
    patient = PATIENTS[language]
    strings = locales.widget_strings(language)
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale=language)
    page = context.new_page()
    try:
        page.goto(f"{live_stack.web_url}/?lang={language}")
        assert page.locator("html").get_attribute("lang") == language
        page.get_by_role("button", name=strings["open"]).click()
        panel = page.get_by_role("dialog", name=strings["title"])
        panel.wait_for()
        box = page.get_by_role("textbox", name=strings["inputLabel"])
        assert box.get_attribute("placeholder") == strings["placeholder"]
        assert page.locator(".mibgchat-language").input_value() == language

        def bot_says(pattern: str):
            found = page.locator(".mibgchat-msg-bot").filter(
                has_text=re.compile(pattern, re.IGNORECASE)
            )
            found.last.wait_for(timeout=30000)
            return found.last

        def ask(text: str) -> None:
            box.fill(text)
            box.press("Enter")

        def click(title: str) -> None:
            page.locator(".mibgchat-reply", has_text=title).last.click()

        ask(str(patient["question"]))
        answer = bot_says(first_words("utter_tumour_" + tumour_of(patient), language))
        for figure in patient["figures"]:  # type: ignore[union-attr]
            assert figure in answer.inner_text()
        page.screenshot(path=str(artifacts / f"widget-{language}.png"))

        ask(str(patient["request"]))
        consent = local("utter_ask_privacy_consent", language)
        bot_says(first_words("utter_ask_privacy_consent", language))
        click(str(consent["buttons"][0]))  # type: ignore[index]
        steps: List[str] = ["utter_ask_full_name", "utter_ask_email", "utter_ask_phone"]
        steps.append("utter_ask_country")
        for step, reply in zip(steps, patient["answers"]):  # type: ignore[arg-type]
            bot_says(first_words(step, language))
            ask(reply)
        bot_says(first_words("utter_ask_diagnosis", language))
        click(str(local("utter_ask_diagnosis", language)["buttons"][0]))  # type: ignore[index]
        bot_says(first_words("utter_ask_destination", language))
        click(str(local("utter_ask_destination", language)["buttons"][0]))  # type: ignore[index]
        bot_says(first_words("utter_ask_message", language))
        click(str(local("utter_ask_message", language)["buttons"][0]))  # type: ignore[index]
        summary = bot_says(first_words("utter_request_summary", language))
        assert str(patient["shown_country"]) in summary.inner_text()
        click(str(local("utter_request_summary", language)["buttons"][0]))  # type: ignore[index]
        saved = bot_says(first_words("utter_request_saved", language))
        reference = re.search(r"MIBG-[A-Z0-9]+", saved.inner_text())
        assert reference, saved.inner_text()
        page.screenshot(path=str(artifacts / f"widget-{language}-request.png"))
    finally:
        context.close()

    with session_factory(live_stack.env["DATABASE_URL"])() as session:
        query = select(TreatmentRequest).where(TreatmentRequest.reference == reference.group(0))
        stored = session.execute(query).scalar_one()
    # Stored in English for staff, whatever language the patient wrote in.
    assert stored.country == patient["country"]
    assert stored.full_name == patient["answers"][0]  # type: ignore[index]


def tumour_of(patient: Dict[str, object]) -> str:
    return "neuroblastoma" if patient["figures"] == ["90", "36"] else "pheochromocytoma"


def test_the_visitor_switches_the_language_in_the_widget(browser, live_stack) -> None:
    german, russian = locales.widget_strings("de"), locales.widget_strings("ru")
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    try:
        page.goto(f"{live_stack.web_url}/?lang=de")
        page.get_by_role("button", name=german["open"]).click()
        page.get_by_role("dialog", name=german["title"]).wait_for()
        page.get_by_role("combobox", name=german["languageLabel"]).select_option("ru")
        # The widget's own texts change at once; the assistant confirms in Russian.
        page.get_by_role("dialog", name=russian["title"]).wait_for()
        box = page.get_by_role("textbox", name=russian["inputLabel"])
        assert box.get_attribute("placeholder") == russian["placeholder"]
        pattern = first_words("utter_language_switched", "ru")
        page.locator(".mibgchat-msg-bot").filter(has_text=re.compile(pattern)).last.wait_for()
        box.fill("какие побочные эффекты?")
        box.press("Enter")
        nausea = re.compile("тошнот", re.IGNORECASE)
        page.locator(".mibgchat-msg-bot").filter(has_text=nausea).last.wait_for()
        page.reload()  # the choice is kept
        page.get_by_role("dialog", name=russian["title"]).wait_for()
    finally:
        context.close()
