"""Run ``rasa data validate`` and fail on every warning it prints, with one checked exception.

Rasa 3.6 warns "The utterance 'utter_x' is not used in any story or rule" for every response
that only custom actions or forms send (form questions, tumour figures, the form's error
messages). Those responses are used; Rasa just cannot see it. This gate accepts that warning
only for responses that a custom action in ``actions/`` names (or the Rasa server's stand-in
answer for an action, ``bot/supervision/``), or that a form asks
(``utter_ask_<slot>``), so a response that nothing sends still fails, and so does any other
warning.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import List, Set

import yaml

from bot.settings import ROOT

UNUSED_RE = re.compile(r"The utterance '([^']+)' is not used in any story or rule")
WARNING_RE = re.compile(r"UserWarning: (.*)|WARNING\s+\S+\s+-\s+(.*)")


def responses_sent_by_code() -> Set[str]:
    """Response names that the custom actions send (string literals, the tumour table and
    the glossary's definitions)."""
    from actions.answers import TUMOUR_RESPONSES
    from bot.content.glossary import TERMS

    names: Set[str] = set(TUMOUR_RESPONSES.values()) | {t.response for t in TERMS.values()}
    # bot/supervision/: what the Rasa server says in place of an action it could not run.
    for path in [*(ROOT / "actions").glob("*.py"), *(ROOT / "bot" / "supervision").glob("*.py")]:
        names.update(re.findall(r"[\"'](utter_[a-z0-9_]+)[\"']", path.read_text(encoding="utf-8")))
    return names


def responses_asked_by_forms(domain_path: Path) -> Set[str]:
    domain = yaml.safe_load(domain_path.read_text(encoding="utf-8"))
    return {
        f"utter_ask_{slot}"
        for form in (domain.get("forms") or {}).values()
        for slot in form.get("required_slots", [])
    }


def check(output: str, allowed: Set[str]) -> List[str]:
    """The warnings in ``output`` that are not the accepted 'used by code' case."""
    problems = []
    for line in output.splitlines():
        match = WARNING_RE.search(line)
        if not match:
            continue
        message = (match.group(1) or match.group(2) or "").strip()
        unused = UNUSED_RE.search(message)
        if unused and unused.group(1) in allowed:
            continue
        problems.append(message)
    return problems


#: ``rasa data validate`` with Rasa's own output, without TensorFlow when the config it checks
#: the data for needs none (the runtime venv has none; bot/rasa_patches/tf_free.py). Not
#: ``python -m bot rasa``: its log filter hides the response names read here.
RASA_WITHOUT_TENSORFLOW = (
    "import sys; from pathlib import Path; from bot import rasa_patches, settings; "
    "rasa_patches.apply(settings.load(), training_config=Path('config.yml'), only=['tf-free']); "
    "from rasa.__main__ import main; sys.argv[0] = 'rasa'; main()"
)


def main() -> int:
    process = subprocess.run(
        [sys.executable, "-c", RASA_WITHOUT_TENSORFLOW, "data", "validate"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    output = process.stdout + process.stderr
    allowed = responses_sent_by_code() | responses_asked_by_forms(ROOT / "domain.yml")
    problems = check(output, allowed)
    accepted = len(UNUSED_RE.findall(output))
    for problem in problems:
        print(f"validate: {problem}")
    if process.returncode != 0 or problems:
        print(f"rasa data validate: FAILED (exit {process.returncode}, {len(problems)} warning(s))")
        return 1
    print(
        f"rasa data validate: OK, no warnings except {accepted} 'not used in any story or rule' "
        "for responses sent by custom actions or forms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
