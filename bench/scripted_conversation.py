"""The scripted conversation both bots are driven with, and how a reply is checked.

Each conversation is what a patient's relative typically does: greet, ask a general question and
a tumour question, apply, and fill in the whole treatment-request form until the bot answers with
a reference number. The expected answers are named by their ``domain.yml`` responses and
checked by the start of each response's text, read from the domain at run time, so editing an
answer text does not break the benchmark. The personal details are invented.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Sequence, Tuple

import yaml

REFERENCE_RE = re.compile(r"MIBG-[A-Z0-9]{4,}")
#: Characters of a response's text used to recognise it in a reply.
PROBE_CHARS = 40

GREETINGS = ("hello", "hi there", "good morning")
QUESTIONS = (
    ("what is mibg therapy", "utter_what_is_mibg"),
    ("what are the side effects?", "utter_side_effects"),
    ("how much does it cost", "utter_costs"),
    ("how does mibg work", "utter_how_it_works"),
)
TUMOUR_QUESTIONS = (
    ("does mibg work for neuroblastoma?", "utter_tumour_neuroblastoma"),
    ("can it treat pheochromocytoma?", "utter_tumour_pheochromocytoma"),
    ("is it used for paraganglioma?", "utter_tumour_paraganglioma"),
)
APPLY = ("I want to apply", "i want to apply for treatment", "please contact me")
NAMES = ("Anna Kowalska", "John Smith", "Maria Garcia", "Olena Shevchenko")
PHONES = ("+49 151 23456789", "+49 30 12345678", "+49 170 1234567")
COUNTRIES = ("Poland", "United Kingdom", "Nigeria", "Ukraine")
DIAGNOSES = ("neuroblastoma", "pheochromocytoma", "paraganglioma")


@dataclass(frozen=True)
class ScriptedTurn:
    """One user message and the responses its reply must contain."""

    step: str
    text: str
    expect: Tuple[str, ...]
    needs_reference: bool = False


@dataclass(frozen=True)
class Conversation:
    sender: str
    turns: Tuple[ScriptedTurn, ...]


def _pick(options: Sequence, index: int, salt: int = 0):
    return options[(index + salt) % len(options)]


def treatment_request(sender: str, index: int) -> Conversation:
    """The 13-turn script; ``index`` varies the wording and details between conversations."""
    question, question_answer = _pick(QUESTIONS, index)
    tumour_question, tumour_answer = _pick(TUMOUR_QUESTIONS, index, 1)
    turns = (
        ScriptedTurn("greet", _pick(GREETINGS, index), ("utter_disclaimer", "utter_greet")),
        ScriptedTurn("question", question, (question_answer,)),
        ScriptedTurn("tumour question", tumour_question, (tumour_answer,)),
        ScriptedTurn("apply", _pick(APPLY, index), ("utter_ask_privacy_consent",)),
        ScriptedTurn("consent", "yes", ("utter_ask_full_name",)),
        ScriptedTurn("name", _pick(NAMES, index), ("utter_ask_email",)),
        ScriptedTurn("email", f"patient.{index}@example.com", ("utter_ask_phone",)),
        ScriptedTurn("phone", _pick(PHONES, index), ("utter_ask_country",)),
        ScriptedTurn("country", _pick(COUNTRIES, index), ("utter_ask_diagnosis",)),
        ScriptedTurn("diagnosis", _pick(DIAGNOSES, index, 2), ("utter_ask_destination",)),
        ScriptedTurn("destination", "Germany", ("utter_ask_message",)),
        ScriptedTurn("message", "skip", ("utter_request_summary",)),
        ScriptedTurn("confirm", "yes", ("utter_request_saved",), needs_reference=True),
    )
    return Conversation(sender=sender, turns=turns)


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


class ReplyChecker:
    """Recognises responses of ``domain.yml`` in the texts of a REST reply."""

    def __init__(self, probes: Dict[str, List[str]]) -> None:
        self.probes = probes

    @classmethod
    def from_domain(cls, domain_path: Path) -> ReplyChecker:
        domain = yaml.safe_load(domain_path.read_text(encoding="utf-8"))
        probes: Dict[str, List[str]] = {}
        for name, variations in (domain.get("responses") or {}).items():
            for variation in variations or []:
                text = _normalise(str(variation.get("text") or "").split("{", 1)[0])
                if text:
                    probes.setdefault(name, []).append(text[:PROBE_CHARS])
        return cls(probes)

    def check_names(self, names: Iterable[str]) -> None:
        """Fail early when the script names a response the domain does not have."""
        missing = sorted(set(names) - set(self.probes))
        if missing:
            raise ValueError(f"responses missing from domain.yml: {', '.join(missing)}")

    def problem(self, turn: ScriptedTurn, messages: object) -> str | None:
        """``None`` when the reply is what the script expects, else a short reason."""
        if not isinstance(messages, list):
            return "reply is not a list"
        reply = _normalise(
            " ".join(str(m.get("text") or "") for m in messages if isinstance(m, dict))
        )
        for name in turn.expect:
            if not any(probe in reply for probe in self.probes.get(name, [])):
                return f"missing {name}"
        if turn.needs_reference and not REFERENCE_RE.search(reply):
            return "missing reference"
        return None


def all_expected(conversations: Iterable[Conversation]) -> List[str]:
    return sorted({name for c in conversations for t in c.turns for name in t.expect})
